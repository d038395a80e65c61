import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { toHex, type Address, type Hex } from 'viem';
import { configSchema, type LiqscopeConfig } from '../src/config/schema.ts';
import { openDatabase, type LiqscopeDb } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { indexConfig } from '../src/indexer/index-config.ts';
import { PROTOCOLS } from '../src/cli/protocols.ts';
import { planSources } from '../src/indexer/plan-sources.ts';
import { LogFetcher } from '../src/sources/evm/log-fetcher.ts';
import { RangeSizer } from '../src/sources/evm/range-sizer.ts';
import { EvmRpcClient } from '../src/sources/evm/rpc-client.ts';
import { encodeAnswerUpdated } from '../src/protocols/chainlink/encode.ts';
import { GMX_V2_EVENT_EMITTER } from '../src/protocols/gmx-v2/deployments.ts';
import { oraclePriceUpdateLog, orderExecutedLog, orderKeyFromNonce, positionDecreaseLog, positionFeesLog, positionKey } from '../src/protocols/gmx-v2/encode.ts';
import { encodeEmitterCalldata } from '../src/sim/emitter-bytecode.ts';
import { startLocalChain, type LocalChain } from '../src/sim/local-chain.ts';
import { installLogEmitter, rpc } from '../src/sim/log-emitter.ts';

/** Real addresses (shared/formats.md, src/protocols/*): GMX v2 EventEmitter and Chainlink ETH/USD on Arbitrum. */
const GMX_EVENT_EMITTER: Address = GMX_V2_EVENT_EMITTER.arbitrum.address;
const CHAINLINK_ETH_USD: Address = '0x3607e46698d218B3a5Cae44bF381475C0a5e2ca7';
const ETH_USD_MARKET: Address = '0x70d95587d40A2caf56bd97485aB3Eec10Bee6336';
const USDC: Address = '0xaf88d065e77c8cC2239327C5EDb3A432268e5831';
const WETH: Address = '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1';
/** Stand-in for the oracle provider contract named in OraclePriceUpdate (any address decodes the same). */
const ORACLE_PROVIDER: Address = '0x0000000000000000000000000000000000000abc';

/**
 * Which GMX v2 logs a liquidation emits in the bench:
 * - `realistic` (default): what the indexer fetches from a real liquidation transaction with its event-name
 *   filter: OraclePriceUpdate for the market's two tokens (≈1 KB each), PositionDecrease (≈6 KB),
 *   PositionFeesCollected (≈5 KB), OrderExecuted (≈1 KB) — two heavy logs in five;
 * - `heavy`: only PositionDecrease + PositionFeesCollected pairs, the worst case for payload size.
 */
export type GmxMix = 'realistic' | 'heavy';
const SENDER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
/** 2024-08-05 00:00 UTC: a real cascade day, so block times look like an incident. */
const GENESIS = 1_722_816_000;

export interface EvmBenchOptions {
  events: number;
  mix?: GmxMix;
  blocks: number;
  postgresUrl?: string;
  log?: (line: string) => void;
}

export interface EvmBenchResult {
  evm_events: number;
  evm_gmx_mix: GmxMix;
  evm_blocks: number;
  evm_pglite_events_per_s: number;
  evm_pg_events_per_s: number | null;
  evm_getlogs_calls: number;
  evm_peak_rss_mb: number;
  /** Peak RSS while the first half of the range was indexed: close to the overall peak when memory is flat. */
  evm_peak_rss_mb_first_half: number;
  /** Peak RSS of the PGlite run (the embedded database lives in this process, so it counts here). */
  evm_pglite_peak_rss_mb: number;
  evm_decoded_rows: number;
  evm_emit_seconds: number;
  /** Each source's own rate (they run at the same time): GMX logs carry ~7 KB each, Chainlink ~100 bytes. */
  evm_events_per_s_by_source: Record<string, number>;
  /**
   * The raw eth_getLogs rate on the same chain, ranges and concurrency (both sources' fetchers at
   * once, with the response checks, no decoding, no database): what no indexer can pass here.
   */
  evm_getlogs_limit_logs_per_s: number;
  /** liqscope's Postgres rate as a share of that limit: comparable across machines of one kind. */
  evm_pg_share_of_getlogs_limit: number | null;
}

/** Fetches the range as the indexer's sources would (same filters, ranges, concurrency), and nothing else. */
async function getLogsLimit(config: LiqscopeConfig, first: number, last: number): Promise<{ logs: number; seconds: number }> {
  const plans = planSources(config, PROTOCOLS);
  const started = process.hrtime.bigint();
  const counts = await Promise.all(
    plans.map(async (plan) => {
      const source = plan.config;
      if (source.kind !== 'evm') return 0;
      const chain = config.chains[source.chain]!;
      const client = new EvmRpcClient({ urls: chain.rpc, name: source.chain, requestsPerSecond: chain.requestsPerSecond });
      const max = chain.maxBlockRange;
      const fetcher = new LogFetcher(client, new RangeSizer(max, Math.min(max, 500)), {
        chainId: chain.chainId,
        addresses: plan.info.addresses,
        filter: plan.logFilter!,
        concurrency: chain.concurrency,
      });
      let logs = 0;
      for await (const chunk of fetcher.stream(BigInt(first), BigInt(last))) logs += chunk.logs.length;
      return logs;
    }),
  );
  return { logs: counts.reduce((a, b) => a + b, 0), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Logs of one GMX block: liquidations in the chosen mix, cut to exactly `perBlock` logs. */
function gmxLogs(perBlock: number, nonce: { n: bigint }, mix: GmxMix): { topics: Hex[]; data: Hex }[] {
  const logs: { topics: Hex[]; data: Hex }[] = [];
  while (logs.length < perBlock) {
    const n = nonce.n++;
    const account = `0x${(0x1000n + (n % 5000n)).toString(16).padStart(40, '0')}` as Address;
    const isLong = n % 2n === 0n;
    const orderKey = orderKeyFromNonce(n);
    const ethPrice = (2_300n + (n % 200n)) * 10n ** 12n; // USD per wei × 1e30
    const usdc = { min: 10n ** 24n, max: 10n ** 24n };
    const key = positionKey(account, ETH_USD_MARKET, USDC, isLong);
    const sizeDeltaUsd = (1_000n + (n % 9_000n)) * 10n ** 30n;
    const timestamp = BigInt(GENESIS) + n;
    const decrease = positionDecreaseLog({
      account, market: ETH_USD_MARKET, collateralToken: USDC, isLong,
      executionPrice: ethPrice, indexTokenPrice: { min: ethPrice, max: ethPrice }, collateralTokenPrice: usdc,
      sizeDeltaUsd, sizeDeltaInTokens: (sizeDeltaUsd / ethPrice), orderType: 7n, basePnlUsd: -(sizeDeltaUsd / 20n),
      orderKey, positionKey: key,
    });
    const fees = positionFeesLog({
      orderKey, positionKey: key, market: ETH_USD_MARKET, collateralToken: USDC, trader: account,
      collateralTokenPrice: usdc, tradeSizeUsd: sizeDeltaUsd, positionFeeAmount: 5_000_000n, totalCostAmount: 7_000_000n,
      liquidationFeeAmount: 2_000_000n, liquidationFeeReceiverFactor: 10n ** 29n, isIncrease: false,
    });
    if (mix === 'heavy') {
      logs.push(decrease, fees);
    } else {
      logs.push(
        oraclePriceUpdateLog({ token: WETH, provider: ORACLE_PROVIDER, minPrice: ethPrice, maxPrice: ethPrice + 10n ** 10n, timestamp }),
        oraclePriceUpdateLog({ token: USDC, provider: ORACLE_PROVIDER, minPrice: usdc.min, maxPrice: usdc.max, timestamp }),
        decrease,
        fees,
        orderExecutedLog({ key: orderKey, account, secondaryOrderType: 0n }),
      );
    }
  }
  return logs.slice(0, perBlock);
}

async function waitReceipt(url: string, hash: Hex): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await rpc(url, 'eth_getTransactionReceipt', [hash])) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`bench: tx ${hash} never mined`);
}

/** Emits `events` logs over exactly `blocks` blocks: even blocks GMX, odd blocks Chainlink. */
export async function emit(chain: LocalChain, events: number, blocks: number, log: (s: string) => void, mix: GmxMix = 'realistic'): Promise<{ first: number; last: number }> {
  await installLogEmitter(chain.rpcUrl, GMX_EVENT_EMITTER);
  await installLogEmitter(chain.rpcUrl, CHAINLINK_ETH_USD);
  const start = Number(BigInt(await rpc<Hex>(chain.rpcUrl, 'eth_blockNumber')));
  const perBlock = Math.max(2, Math.round(events / blocks / 2) * 2);
  const nonce = { n: 1n };
  let round = 1n;
  let emitted = 0;
  // A handful of GMX calldata templates, reused: ABI-encoding 100k nested tuples would dominate the run.
  const gmxTemplates = Array.from({ length: 16 }, () => encodeEmitterCalldata(gmxLogs(perBlock, nonce, mix)));
  for (let b = 0; b < blocks; b++) {
    let data: Hex;
    let to: Address;
    if (b % 2 === 0) {
      to = GMX_EVENT_EMITTER;
      data = gmxTemplates[(b / 2) % gmxTemplates.length]!;
    } else {
      to = CHAINLINK_ETH_USD;
      const logs = [];
      for (let i = 0; i < perBlock; i++) {
        const answer = 2_300_00000000n + ((round * 7919n) % 20_000_000_000n);
        logs.push(encodeAnswerUpdated(answer, (6n << 64n) | round, BigInt(GENESIS + b)));
        round++;
      }
      data = encodeEmitterCalldata(logs);
    }
    const hash = await rpc<Hex>(chain.rpcUrl, 'eth_sendTransaction', [{ from: SENDER, to, data, gas: toHex(30_000_000) }]);
    await waitReceipt(chain.rpcUrl, hash);
    emitted += perBlock;
    if (b % 2000 === 1999) log(`emitted ${b + 1}/${blocks} blocks (${emitted} events)`);
  }
  return { first: start + 1, last: Number(BigInt(await rpc<Hex>(chain.rpcUrl, 'eth_blockNumber'))) };
}

export function benchConfig(rpcUrl: string, first: number, last: number): LiqscopeConfig {
  return configSchema.parse({
    chains: { arbitrum: { chainId: 42161, rpc: [rpcUrl], finality: 0, maxBlockRange: 500, concurrency: 4, requestsPerSecond: 10_000 } },
    sources: [
      { name: 'bench-gmx-v2', protocol: 'gmx-v2', chain: 'arbitrum', addresses: [GMX_EVENT_EMITTER], startBlock: first, endBlock: last },
      { name: 'bench-chainlink', protocol: 'chainlink', chain: 'arbitrum', addresses: [CHAINLINK_ETH_USD], startBlock: first, endBlock: last, options: { decimals: 8 } },
    ],
  });
}

/** Indexes the emitted range into one database; returns events/s and memory figures. */
async function indexInto(handle: LiqscopeDb, config: LiqscopeConfig, first: number, last: number) {
  await migrateToLatest(handle.db);
  const mid = BigInt(Math.floor((first + last) / 2));
  let peak = process.memoryUsage().rss;
  let peakFirstHalf = peak;
  let lowestCursor = BigInt(last);
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    if (lowestCursor < mid) peakFirstHalf = Math.max(peakFirstHalf, rss);
  }, 50);
  const cursors = new Map<string, bigint>();
  const started = process.hrtime.bigint();
  try {
    const summary = await indexConfig(handle.db, config, {
      protocols: PROTOCOLS,
      dbKind: handle.kind,
      onProgress: (p) => {
        cursors.set(p.sourceId, p.position);
        lowestCursor = [...cursors.values()].reduce((a, b) => (a < b ? a : b));
      },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const events = summary.sources.reduce((n, s) => n + s.records, 0);
    return {
      events,
      seconds,
      eventsPerSecond: events / seconds,
      getLogs: summary.sources.reduce((n, s) => n + s.requests, 0),
      rows: summary.sources.reduce((n, s) => n + s.rows, 0),
      bySource: Object.fromEntries(summary.sources.map((s) => [s.sourceId, Math.round(s.records / s.seconds)])),
      peakMb: peak / 2 ** 20,
      peakFirstHalfMb: peakFirstHalf / 2 ** 20,
    };
  } finally {
    clearInterval(sampler);
  }
}

export async function runEvmBench(opts: EvmBenchOptions): Promise<EvmBenchResult> {
  const log = opts.log ?? (() => {});
  const chain = await startLocalChain({ chainId: 42161, genesisTimestamp: GENESIS });
  try {
    const emitStarted = Date.now();
    const mix = opts.mix ?? 'realistic';
    const { first, last } = await emit(chain, opts.events, opts.blocks, log, mix);
    const emitSeconds = (Date.now() - emitStarted) / 1000;
    log(`emitted blocks ${first}..${last} in ${emitSeconds.toFixed(1)} s`);
    const config = benchConfig(chain.rpcUrl, first, last);
    // The same chain's own limit, measured in this run: absolute rates differ ~3× between machines.
    const limit = await getLogsLimit(config, first, last);
    const limitRate = limit.logs / limit.seconds;
    log(`eth_getLogs alone: ${limit.logs} logs in ${limit.seconds.toFixed(1)} s = ${Math.round(limitRate)}/s`);

    // Postgres first, so its memory figure is not inflated by what the embedded database leaves behind.
    let pg: Awaited<ReturnType<typeof indexInto>> | null = null;
    if (opts.postgresUrl) {
      const schema = `bench_${randomBytes(4).toString('hex')}`;
      const handle = await openDatabase({ url: opts.postgresUrl, schema });
      try {
        pg = await indexInto(handle, config, first, last);
        log(`Postgres: ${pg.events} events in ${pg.seconds.toFixed(1)} s = ${Math.round(pg.eventsPerSecond)}/s, peak RSS ${Math.round(pg.peakMb)} MB`);
      } finally {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db).catch(() => {});
        await handle.close();
      }
    }

    // The embedded database on disk (its default), in a throwaway directory.
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-bench-'));
    const lite = await openDatabase({ path: join(dir, 'db'), useEnvUrl: false });
    const pglite = await indexInto(lite, config, first, last).finally(async () => {
      await lite.close();
      rmSync(dir, { recursive: true, force: true });
    });
    log(`PGlite: ${pglite.events} events in ${pglite.seconds.toFixed(1)} s = ${Math.round(pglite.eventsPerSecond)}/s, peak RSS ${Math.round(pglite.peakMb)} MB`);

    const ref = pg ?? pglite;
    return {
      evm_events: ref.events,
      evm_gmx_mix: mix,
      evm_blocks: last - first + 1,
      evm_pglite_events_per_s: Math.round(pglite.eventsPerSecond),
      evm_pg_events_per_s: pg ? Math.round(pg.eventsPerSecond) : null,
      evm_getlogs_calls: ref.getLogs,
      evm_peak_rss_mb: Math.round(ref.peakMb),
      evm_peak_rss_mb_first_half: Math.round(ref.peakFirstHalfMb),
      evm_pglite_peak_rss_mb: Math.round(pglite.peakMb),
      evm_decoded_rows: ref.rows,
      evm_emit_seconds: Math.round(emitSeconds),
      evm_events_per_s_by_source: ref.bySource,
      evm_getlogs_limit_logs_per_s: Math.round(limitRate),
      evm_pg_share_of_getlogs_limit: pg ? Math.round((pg.eventsPerSecond / limitRate) * 100) / 100 : null,
    };
  } finally {
    await chain.stop();
  }
}

export const RESULTS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

/** Merges `result` into bench/results.json (other benchmarks may write their own keys there). */
export function writeResults(result: object, path = RESULTS_PATH): void {
  const existing = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as object) : {};
  mkdirSync(dirname(path), { recursive: true });
  // each part stamps its own time; the EVM part's stamp only when the EVM part ran
  const stamp = 'evm_events' in result ? { evm_measured_at: new Date().toISOString() } : {};
  writeFileSync(path, `${JSON.stringify({ ...existing, ...result, ...stamp }, null, 2)}\n`);
}
