import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Database, NewAdlEvent, NewLiquidation } from '../../src/db/schema.ts';
import { builtinRegistry, indexConfig, upsertSource } from '../../src/indexer/index-config.ts';
import { planSources } from '../../src/indexer/plan-sources.ts';
import { loadRegistry, syncRegistry } from '../../src/indexer/registry-store.ts';
import { runSource } from '../../src/indexer/runner.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import type { CursorRow, PullEnd, Source, SourceItem } from '../../src/pipeline/source.ts';
import type { SourceInfo } from '../../src/pipeline/source-info.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { runSimulation } from '../../src/sim/run-sim.ts';
import type { SimOutput } from '../../src/sim/run-sim.ts';
import type { ChainPlan } from '../../src/sim/writers/chain.ts';
import { ARBITRUM_CHAIN_ID, GMX_EVENT_EMITTER } from '../../src/sim/writers/gmx-values.ts';

/**
 * A simulated scenario in the canonical tables, without a chain, for analytics tests.
 *
 * - GMX v2 and Chainlink: the simulator's chain plan (the very logs `liqscope demo` emits on anvil) is
 *   fed, as RawLogs, through the real runner and the real protocol decoders by an in-memory source, so
 *   the rows are exactly the indexer's; only anvil and JSON-RPC are skipped (they cost ~15 ms a
 *   transaction; the demo test covers them end to end). Block numbers and hashes are synthetic.
 * - Hyperliquid: the simulator's node fill files go through the real files source and decoder
 *   (`indexConfig`, as `liqscope import hyperliquid-fills` does): liquidations, ADL and one-second bars.
 * - dYdX: no dYdX decoder exists yet, so its liquidations and ADL fills are mapped from the ground
 *   truth by hand as its indexer fills would read: venue `dydx-v4`, chain `dydx-mainnet-1`, market
 *   `<ASSET>-USD`, time to the millisecond, size, price and size × price; no mark price (fills carry
 *   none), no bars. Analytics reads none of the venue-specific columns.
 */
export const DYDX_VENUE = 'dydx-v4';

/** The store's venue of a ground-truth venue id. */
export function storeVenue(gt: GroundTruth, venueId: string): string {
  const kind = gt.venues.find((v) => v.id === venueId)?.kind;
  if (kind === 'gmx-v2') return 'gmx-v2';
  if (kind === 'hyperliquid') return 'hyperliquid';
  if (kind === 'dydx') return DYDX_VENUE;
  throw new Error(`unknown venue ${venueId}`);
}

/** The time a fact of this ground-truth record has in the store: block time on chain (whole seconds), else the fill's. */
export function storeTimeMs(gt: GroundTruth, record: { venue: string; timeMs: number; blockTimestamp: number | null }): number {
  return storeVenue(gt, record.venue) === 'gmx-v2' ? record.blockTimestamp! * 1000 : record.timeMs;
}

const simulations = new Map<string, SimOutput>();

/** `name` or `name@seed`: the shipped scenario (or file) and the seed that replaces its own, if any. */
export function scenarioName(name: string): { file: string; seed: number | undefined } {
  const [file, seed] = name.split('@') as [string, string | undefined];
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new Error(`${name}: the seed after '@' must be a whole number`);
  return { file, seed: seed === undefined ? undefined : Number(seed) };
}

/**
 * Simulates a shipped scenario (or a scenario file) once per process. `name@seed` runs it with another
 * seed: the same market and shocks, other traders and paths (test/analytics/unseen-seeds.test.ts).
 */
export function simulate(name: string): SimOutput {
  let output = simulations.get(name);
  if (!output) {
    const { file, seed } = scenarioName(name);
    const { scenario } = loadScenario(file);
    if (seed !== undefined) scenario.seed = seed;
    output = runSimulation(scenario);
    simulations.set(name, output);
  }
  return output;
}

export interface LoadedSimulation {
  gt: GroundTruth;
  counts: Record<string, number>;
}

/** Loads every venue of a simulation into `db` (migrated, empty) as the indexer would store it. */
export async function loadSimulation(db: Kysely<Database>, output: SimOutput): Promise<LoadedSimulation> {
  const gt = output.groundTruth;
  const config = configSchema.parse({
    chains: { arbitrum: { chainId: ARBITRUM_CHAIN_ID, rpc: ['http://127.0.0.1:9/unused'], finality: 0 } },
    sources: [
      { name: 'sim-gmx-v2', protocol: 'gmx-v2', chain: 'arbitrum', addresses: [GMX_EVENT_EMITTER], startBlock: 0 },
      ...(output.chainPlan.addresses.some((a) => a.toLowerCase() !== GMX_EVENT_EMITTER.toLowerCase())
        ? [{ name: 'sim-chainlink', protocol: 'chainlink', chain: 'arbitrum', addresses: output.chainPlan.addresses.filter((a) => a.toLowerCase() !== GMX_EVENT_EMITTER.toLowerCase()), startBlock: 0 }]
        : []),
    ],
  });
  await syncRegistry(db, builtinRegistry(PROTOCOLS), config);
  for (const plan of planSources(config, PROTOCOLS)) {
    await upsertSource(db, plan);
    const registry = await loadRegistry(db, plan.info.venue, plan.info.chainId);
    await runSource({
      db,
      source: new ChainPlanSource(plan.info, output.chainPlan),
      decoder: plan.decoder,
      registry,
      follow: false,
      pollIntervalMs: 0,
    });
  }

  const hlFiles = [...output.files.entries()].filter(([path]) => path.startsWith('hyperliquid/node_fills_by_block/'));
  if (hlFiles.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-sim-store-'));
    try {
      for (const [path, content] of hlFiles) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      const hlConfig = configSchema.parse({ sources: [{ name: 'sim-hyperliquid', kind: 'files', protocol: 'hyperliquid', paths: [join(dir, 'hyperliquid/node_fills_by_block')] }] });
      await indexConfig(db, hlConfig, { protocols: PROTOCOLS });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const dydx = new Set(gt.venues.filter((v) => v.kind === 'dydx').map((v) => v.id));
  const dydxLiquidations: NewLiquidation[] = gt.liquidations.filter((l) => dydx.has(l.venue)).map((l) => ({
    ...dydxBase(l.market, l.timeMs, l.id),
    account: l.account,
    liquidator: null,
    side: l.side,
    size: l.size,
    size_usd: l.sizeUsd,
    price: l.price,
    fee_usd: l.feeUsd,
  }));
  const dydxAdl: NewAdlEvent[] = gt.adlEvents.filter((a) => dydx.has(a.venue)).map((a) => ({
    ...dydxBase(a.market, a.timeMs, a.id),
    account: a.account,
    counterparty: a.liquidatedAccount,
    side: a.side,
    size: a.size,
    size_usd: a.sizeUsd,
    price: a.price,
  }));
  for (let i = 0; i < dydxLiquidations.length; i += 1000) await db.insertInto('liquidations').values(dydxLiquidations.slice(i, i + 1000)).execute();
  for (let i = 0; i < dydxAdl.length; i += 1000) await db.insertInto('adl_events').values(dydxAdl.slice(i, i + 1000)).execute();

  const counts: Record<string, number> = {};
  for (const table of ['liquidations', 'adl_events', 'oracle_prices', 'trade_bars'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return { gt, counts };
}

function dydxBase(asset: string, timeMs: number, uid: string) {
  return {
    venue: DYDX_VENUE,
    chain: 'dydx-mainnet-1',
    chain_id: null,
    market: `${asset}-USD`,
    symbol: `${asset}-USD`,
    asset,
    quote: 'USD',
    time: new Date(timeMs),
    uid,
    source_id: null,
  } as const;
}

/** The chain plan's blocks as RawLogs, in batches of 200 blocks, for the real runner and decoders. */
class ChainPlanSource implements Source<RawLog> {
  readonly reorgable = false;
  constructor(
    readonly info: SourceInfo,
    private readonly plan: ChainPlan,
  ) {}

  async *pull(options: { cursors: ReadonlyMap<string, CursorRow> }): AsyncGenerator<SourceItem<RawLog>, PullEnd, undefined> {
    const addresses = new Set(this.info.addresses.map((a) => a.toLowerCase()));
    const done = Number(options.cursors.get('logs')?.position ?? 0);
    const blocks = this.plan.blocks;
    const target = BigInt(blocks.length);
    for (let first = done; first < blocks.length; first += 200) {
      const last = Math.min(blocks.length, first + 200);
      const records: RawLog[] = [];
      for (let b = first; b < last; b++) {
        const block = blocks[b]!;
        const number = BigInt(b + 1);
        const blockHash = hex32(`b${number}`);
        let logIndex = 0;
        block.txs.forEach((tx, txIndex) => {
          const address = tx.address.toLowerCase() as Address;
          for (const log of tx.logs) {
            const index = logIndex++;
            if (!addresses.has(address)) continue;
            records.push({
              chainId: ARBITRUM_CHAIN_ID,
              blockNumber: number,
              blockHash,
              blockTime: new Date(block.timestamp * 1000),
              txHash: hex32(`t${number}:${txIndex}`),
              txIndex,
              logIndex: index,
              address,
              topics: log.topics.map((t) => t.toLowerCase() as Hex),
              data: log.data.toLowerCase() as Hex,
            });
          }
        });
      }
      const progress = { unit: 'blocks', start: 0n, position: BigInt(last), target };
      yield { type: 'batch', records, cursors: [{ stream: 'logs', position: String(last), blockNumber: BigInt(last) }], label: `plan blocks ${first + 1}–${last}`, progress };
    }
    return { state: 'finished', progress: { unit: 'blocks', start: 0n, position: target, target } };
  }

  position(cursors: ReadonlyMap<string, CursorRow>) {
    return { unit: 'blocks', start: 0n, position: BigInt(cursors.get('logs')?.position ?? 0), target: BigInt(this.plan.blocks.length) };
  }

  stats() {
    return { requests: 0, retries: 0, rewinds: 0 };
  }
}

/** A deterministic 32-byte hex from a label. */
function hex32(label: string): Hex {
  let h = 0n;
  for (const c of label) h = (h * 131n + BigInt(c.charCodeAt(0))) % (1n << 256n);
  return `0x${h.toString(16).padStart(64, '0')}` as Hex;
}
