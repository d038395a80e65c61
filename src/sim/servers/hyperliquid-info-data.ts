import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decompressFrameSync } from 'lz4-napi';
import { compareNatural } from '../../util/natural-compare.ts';

/** A recorded candle as `candleSnapshot` answers it. */
export interface RecordedCandle {
  t: number;
  T: number;
  [key: string]: unknown;
}

/** One recorded `metaAndAssetCtxs` answer and its time. */
export interface RecordedSample {
  time: number;
  response: unknown;
}

/** A fill as the API answers it (the node's fill without its user), with its time for slicing. */
export interface RecordedFill {
  time: number;
  fill: Record<string, unknown>;
}

/** What the simulator recorded of Hyperliquid's info API (`<out>/hyperliquid/info`) and node fills. */
export interface HyperliquidRecording {
  /** coin → interval → candles ascending by `t`. */
  candles: Map<string, Map<string, RecordedCandle[]>>;
  /** Ascending by time. */
  samples: RecordedSample[];
  /** Lower-case user → fills in the order the node wrote them (time order). */
  fills: Map<string, RecordedFill[]>;
  /** The recording's end: the last sample, candle close or fill. */
  endMs: number;
}

/**
 * Reads the simulator's output (docs/scenarios.md): `hyperliquid/info/index.json` and the files it names
 * (`candleSnapshot/<coin>/<interval>.json`, `metaAndAssetCtxs.jsonl`), and the node fill files under
 * `hyperliquid/node_fills_by_block` and `hyperliquid/node_fills` (plain or `.lz4`; either line layout),
 * which `userFillsByTime` answers from. A directory without an info index serves no candles or samples.
 */
export function loadHyperliquidRecording(outDir: string): HyperliquidRecording {
  const base = join(outDir, 'hyperliquid');
  const candles = new Map<string, Map<string, RecordedCandle[]>>();
  let samples: RecordedSample[] = [];
  const infoDir = join(base, 'info');
  const candleDir = join(infoDir, 'candleSnapshot');
  if (existsSync(candleDir)) {
    for (const coin of readdirSync(candleDir).sort()) {
      for (const file of readdirSync(join(candleDir, coin)).filter((f) => f.endsWith('.json')).sort()) {
        const list = JSON.parse(readFileSync(join(candleDir, coin, file), 'utf8')) as RecordedCandle[];
        if (!candles.has(coin)) candles.set(coin, new Map());
        candles.get(coin)!.set(file.slice(0, -'.json'.length), [...list].sort((a, b) => a.t - b.t));
      }
    }
  }
  const ctxFile = join(infoDir, 'metaAndAssetCtxs.jsonl');
  if (existsSync(ctxFile)) {
    samples = readFileSync(ctxFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as RecordedSample)
      .sort((a, b) => a.time - b.time);
  }
  const fills = new Map<string, RecordedFill[]>();
  for (const dir of ['node_fills_by_block', 'node_fills']) {
    const root = join(base, dir);
    if (!existsSync(root)) continue;
    for (const file of walk(root).sort((a, b) => compareNatural(relative(root, a), relative(root, b)))) {
      const bytes = readFileSync(file);
      const text = file.endsWith('.lz4') ? decompressFrameSync(bytes).toString('utf8') : bytes.toString('utf8');
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const value = JSON.parse(line) as unknown;
        const events = isRecord(value) && Array.isArray(value.events) ? (value.events as unknown[]) : [value];
        for (const event of events) addFill(fills, event);
      }
    }
  }
  // a user's fills in time order; the sort is stable, so one millisecond keeps the node's order
  for (const list of fills.values()) list.sort((a, b) => a.time - b.time);

  let endMs = 0;
  for (const byInterval of candles.values()) for (const list of byInterval.values()) endMs = Math.max(endMs, list.at(-1)?.T ?? 0);
  endMs = Math.max(endMs, samples.at(-1)?.time ?? 0);
  for (const list of fills.values()) endMs = Math.max(endMs, list.at(-1)?.time ?? 0);
  return { candles, samples, fills, endMs };
}

function addFill(fills: Map<string, RecordedFill[]>, event: unknown): void {
  let user: unknown;
  let fill: Record<string, unknown>;
  if (Array.isArray(event) && event.length === 2 && isRecord(event[1])) {
    user = event[0];
    fill = event[1];
  } else if (isRecord(event)) {
    const { user: u, ...rest } = event;
    user = u;
    fill = rest;
  } else {
    return;
  }
  if (typeof user !== 'string' || typeof fill.time !== 'number') return;
  const key = user.toLowerCase();
  if (!fills.has(key)) fills.set(key, []);
  fills.get(key)!.push({ time: fill.time, fill });
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
