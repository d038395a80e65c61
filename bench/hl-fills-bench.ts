import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from '../src/pipeline/registry.ts';
import type { SourceInfo } from '../src/pipeline/source-info.ts';
import { hyperliquid } from '../src/protocols/hyperliquid/index.ts';
import type { TradeBarRow } from '../src/protocols/hyperliquid/trade-bar.ts';
import { FilesSource } from '../src/sources/files/files-source.ts';
import { Lz4FrameDecoder } from '../src/sources/files/lz4-frame.ts';
import { generateHlFillsHour } from './hl-fills-generate.ts';
import type { HlFillsHourSummary } from './hl-fills-generate.ts';

/**
 * Hyperliquid node fills benchmark, without a database: an Oct-10-scale hour of node_fills_by_block
 * (bench/hl-fills-generate.ts, LZ4 like the archive), then
 * 1. the parse limit: read + decompress + split + JSON.parse of every line, nothing else;
 * 2. the decode rate: the files source and the Hyperliquid decoder, as a run uses them, minus the store.
 * The import into a database (the runner's job) is measured by the caller on the same files
 * (`hlFilesDir` in the result); its targets are at least 150,000 fills/s and half the parse limit.
 */
export interface HlFillsBenchOptions {
  /** Where the generated hour goes (`<workDir>/node_fills_by_block/hourly/20251010/21.lz4`). */
  workDir: string;
  /** 1 = Oct-10 scale (about 3.2M fills, 1.1 GB of JSON). */
  scale?: number;
  seed?: number;
  /** Reuse the hour already generated in workDir with the same scale and seed (skips ~1 min). */
  reuse?: boolean;
  /** Also time the decode with the `allFills` option (every fill becomes a trades row). */
  allFills?: boolean;
  log?: (line: string) => void;
}

export interface HlFillsBenchResult {
  hl_fills: number;
  hl_liquidation_fills: number;
  hl_adl_fills: number;
  hl_blocks: number;
  hl_uncompressed_mb: number;
  hl_compressed_mb: number;
  hl_generate_seconds: number | null;
  hl_parse_limit_fills_per_s: number;
  hl_parse_limit_seconds: number;
  /** CPU seconds of this process (wall time is inflated when other work shares the cores). */
  hl_parse_limit_cpu_seconds: number;
  hl_parse_peak_rss_mb: number;
  hl_decode_fills_per_s: number;
  hl_decode_seconds: number;
  hl_decode_cpu_seconds: number;
  /** Decode rate over the parse limit. */
  hl_decode_share_of_parse_limit: number;
  hl_decode_peak_rss_mb: number;
  /** Peak RSS while the first half of the bytes was decoded: close to the overall peak when memory is flat. */
  hl_decode_peak_rss_mb_first_half: number;
  hl_decode_batches: number;
  hl_decoded_rows: { liquidations: number; adl_events: number; trade_bars: number; trades: number };
  hl_all_fills_decode_fills_per_s: number | null;
  /** The generated archive tree, for the database import the caller measures. */
  hlFilesDir: string;
}

const info = (allFills: boolean): SourceInfo => ({
  id: 'hl-bench',
  kind: 'files',
  protocol: 'hyperliquid',
  venue: 'hyperliquid',
  chain: 'hyperliquid',
  chainId: null,
  addresses: [],
  options: allFills ? { allFills: true } : {},
});

/** Samples RSS every 20 ms while `run` works. */
async function withPeakRss<T>(run: (sample: () => number) => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
    return rss;
  };
  const timer = setInterval(sample, 20);
  try {
    const value = await run(sample);
    sample();
    return { value, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Read + decompress + split + JSON.parse of every line; counts the fills of each block. */
async function parseLimit(path: string): Promise<{ fills: number; seconds: number; cpu: number }> {
  const started = performance.now();
  const cpu0 = cpuSeconds();
  let fills = 0;
  let carry: Buffer | null = null;
  const parse = (text: string) => {
    const value = JSON.parse(text) as { events: unknown[] };
    fills += value.events.length;
  };
  for await (const chunk of new Lz4FrameDecoder().decode(createReadStream(path, { highWaterMark: 1 << 20 }))) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (carry) {
        parse(Buffer.concat([carry, chunk.subarray(start, nl)]).toString('utf8'));
        carry = null;
      } else {
        parse(chunk.toString('utf8', start, nl));
      }
      start = nl + 1;
    }
    if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
  }
  if (carry && carry.length > 0) parse(carry.toString('utf8'));
  return { fills, seconds: (performance.now() - started) / 1000, cpu: cpuSeconds() - cpu0 };
}

interface DecodeRun {
  fills: number;
  seconds: number;
  cpu: number;
  batches: number;
  rows: HlFillsBenchResult['hl_decoded_rows'];
  barTrades: number;
  peakFirstHalfMb: number;
}

/** The files source and the decoder, as a run uses them, without the store. */
async function decodeRun(dir: string, allFills: boolean, sample: () => number): Promise<DecodeRun> {
  const source = new FilesSource({ info: info(allFills), paths: [dir], compareFiles: hyperliquid.files!.compareFiles });
  const ctx = {
    source: info(allFills),
    registry: Registry.scoped(hyperliquid.markets ?? [], [], 'hyperliquid', null),
    pending: { find: async () => new Map() },
  };
  const started = performance.now();
  const cpu0 = cpuSeconds();
  const run: DecodeRun = { fills: 0, seconds: 0, cpu: 0, batches: 0, rows: { liquidations: 0, adl_events: 0, trade_bars: 0, trades: 0 }, barTrades: 0, peakFirstHalfMb: 0 };
  let peakFirstHalf = 0;
  for await (const item of source.pull({ cursors: new Map(), signal: new AbortController().signal })) {
    if (item.type !== 'batch') continue;
    run.batches += 1;
    for (const record of item.records) run.fills += ((record.value as { events?: unknown[] }).events ?? [record.value]).length;
    const out = await hyperliquid.files!.decoder.decode(item.records, ctx);
    run.rows.liquidations += out.liquidations.length;
    run.rows.adl_events += out.adlEvents.length;
    run.rows.trades += out.trades.length;
    run.rows.trade_bars += out.tradeBarParts.length;
    for (const bar of out.tradeBarParts as unknown as TradeBarRow[]) run.barTrades += bar.trades;
    if (item.progress.position * 2n <= item.progress.target) peakFirstHalf = Math.max(peakFirstHalf, sample());
  }
  run.seconds = (performance.now() - started) / 1000;
  run.cpu = cpuSeconds() - cpu0;
  run.peakFirstHalfMb = peakFirstHalf / 2 ** 20;
  return run;
}

function check(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`hl bench: decoded ${actual} ${what}, the generator wrote ${expected}`);
}

export async function runHlFillsBench(options: HlFillsBenchOptions): Promise<HlFillsBenchResult> {
  const log = options.log ?? (() => {});
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 20251010;
  const dir = join(options.workDir, 'node_fills_by_block');
  const summaryPath = join(options.workDir, `hl-fills-${scale}-${seed}.json`);
  let summary: HlFillsHourSummary;
  let generateSeconds: number | null = null;
  if (options.reuse && existsSync(summaryPath)) {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as HlFillsHourSummary;
    log(`reusing ${summary.path}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const started = performance.now();
    summary = await generateHlFillsHour({ dir, seed, scale });
    generateSeconds = (performance.now() - started) / 1000;
    writeFileSync(summaryPath, JSON.stringify(summary));
  }
  log(
    `hour: ${summary.fills} fills (${summary.liquidationFills} liquidation, ${summary.adlFills} ADL) in ${summary.blocks} blocks, ` +
      `${(summary.uncompressedBytes / 2 ** 20).toFixed(0)} MB of JSON, ${(summary.compressedBytes / 2 ** 20).toFixed(0)} MB as LZ4`,
  );

  const parse = await withPeakRss(() => parseLimit(summary.path));
  check('fills (parse)', parse.value.fills, summary.fills);
  const parseRate = parse.value.fills / parse.value.seconds;
  log(`parse limit: ${Math.round(parseRate)} fills/s (${parse.value.seconds.toFixed(1)} s, ${parse.value.cpu.toFixed(1)} s CPU), peak RSS ${Math.round(parse.peakMb)} MB`);

  const decode = await withPeakRss((sample) => decodeRun(dir, false, sample));
  const d = decode.value;
  check('fills (decode)', d.fills, summary.fills);
  check('liquidations', d.rows.liquidations, summary.liquidationFills);
  check('ADL events', d.rows.adl_events, summary.adlFills);
  check('trades in bars', d.barTrades, summary.bookTrades);
  const decodeRate = d.fills / d.seconds;
  log(`decode: ${Math.round(decodeRate)} fills/s (${d.seconds.toFixed(1)} s, ${d.cpu.toFixed(1)} s CPU, ${d.batches} batches), peak RSS ${Math.round(decode.peakMb)} MB`);

  let allFillsRate: number | null = null;
  if (options.allFills) {
    const all = await withPeakRss((sample) => decodeRun(dir, true, sample));
    check('trades (allFills)', all.value.rows.trades, summary.fills - summary.liquidationFills - summary.adlFills);
    allFillsRate = all.value.fills / all.value.seconds;
    log(`decode with allFills: ${Math.round(allFillsRate)} fills/s (${all.value.seconds.toFixed(1)} s), peak RSS ${Math.round(all.peakMb)} MB`);
  }

  return {
    hl_fills: summary.fills,
    hl_liquidation_fills: summary.liquidationFills,
    hl_adl_fills: summary.adlFills,
    hl_blocks: summary.blocks,
    hl_uncompressed_mb: Math.round(summary.uncompressedBytes / 2 ** 20),
    hl_compressed_mb: Math.round(summary.compressedBytes / 2 ** 20),
    hl_generate_seconds: generateSeconds === null ? null : Math.round(generateSeconds * 10) / 10,
    hl_parse_limit_fills_per_s: Math.round(parseRate),
    hl_parse_limit_seconds: Math.round(parse.value.seconds * 10) / 10,
    hl_parse_limit_cpu_seconds: Math.round(parse.value.cpu * 10) / 10,
    hl_parse_peak_rss_mb: Math.round(parse.peakMb),
    hl_decode_fills_per_s: Math.round(decodeRate),
    hl_decode_seconds: Math.round(d.seconds * 10) / 10,
    hl_decode_cpu_seconds: Math.round(d.cpu * 10) / 10,
    hl_decode_share_of_parse_limit: Math.round((decodeRate / parseRate) * 100) / 100,
    hl_decode_peak_rss_mb: Math.round(decode.peakMb),
    hl_decode_peak_rss_mb_first_half: Math.round(d.peakFirstHalfMb),
    hl_decode_batches: d.batches,
    hl_decoded_rows: d.rows,
    hl_all_fills_decode_fills_per_s: allFillsRate === null ? null : Math.round(allFillsRate),
    hlFilesDir: dir,
  };
}

// `npx tsx bench/hl-fills-bench.ts [scale] [workDir]`: a run on its own, printing the figures as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const scale = Number(process.argv[2] ?? '1');
  const given = process.argv[3];
  const workDir = given ?? mkdtempSync(join(tmpdir(), 'liqscope-hl-bench-'));
  const result = await runHlFillsBench({
    workDir,
    scale,
    reuse: given !== undefined,
    allFills: process.env.HL_BENCH_ALL_FILLS === '1',
    log: (line) => process.stderr.write(`hl bench: ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!given) rmSync(workDir, { recursive: true, force: true });
}
