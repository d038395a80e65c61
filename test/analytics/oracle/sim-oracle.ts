import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { analyze, type AnalyzeSummary } from '../../../src/analytics/analyze.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { analysisContextOf } from '../../../src/pipeline/protocol.ts';
import { simulatedFeedRules } from '../../../src/sim/feed-rules.ts';
import type { GroundTruth, GtLiquidation } from '../../../src/sim/ground-truth.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { writeSimOutput } from '../../../src/sim/run-sim.ts';
import { dydxDemoSource } from '../../../src/sim/servers/dydx-demo-source.ts';
import { startDydxIndexerServer } from '../../../src/sim/servers/dydx-indexer-server.ts';
import { hyperliquidInfoSourceConfig, startHyperliquidInfoServer } from '../../../src/sim/servers/hyperliquid-info-server.ts';
import type { OpenTestDb } from '../../helpers/db.ts';
import { loadSimulation, scenarioName, simulate, storeTimeMs, storeVenue } from '../../helpers/sim-store.ts';

/**
 * A simulated scenario in the store as a user who indexed every venue would have it, then the oracle
 * step of `liqscope analyze` over it:
 * - GMX v2, Chainlink and Hyperliquid node fills through the real decoders (test/helpers/sim-store.ts);
 * - the reference series through the real API sources against the simulator's local servers: the
 *   Hyperliquid info API (metaAndAssetCtxs samples → oracle and mark rows, 1m candles → bars) and the
 *   dYdX indexer (funding ticks → oracle rows, 1MIN candles → bars; its fills are left to sim-store);
 * - the feeds' update rules as the scenario declares them (src/sim/feed-rules.ts), the venues' margin
 *   rules from the protocols, every other parameter at its default.
 */
const outputs = new Map<string, string>();

function outputDir(name: string): string {
  let dir = outputs.get(name);
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), `liqscope-oracle-${basename(name, ".json")}-`));
    writeSimOutput(dir, simulate(name));
    const remove = dir;
    process.once('exit', () => rmSync(remove, { recursive: true, force: true }));
    outputs.set(name, dir);
  }
  return dir;
}

export async function storeScenario(db: Kysely<Database>, name: string): Promise<GroundTruth> {
  const output = simulate(name);
  const { gt } = await loadSimulation(db, output);
  const dir = outputDir(name);
  const hl = gt.venues.some((v) => v.kind === 'hyperliquid') ? await startHyperliquidInfoServer({ outDir: dir, weightPerMinute: null }) : null;
  const dydx = gt.venues.some((v) => v.kind === 'dydx') ? await startDydxIndexerServer({ outDir: dir }) : null;
  try {
    const sources: Record<string, unknown>[] = [];
    if (hl) sources.push({ ...hyperliquidInfoSourceConfig(hl, { name: 'sim-hyperliquid-api', watch: 0 }), weightPerMinute: 1_000_000 });
    const dydxSource = dydx ? dydxDemoSource(dir, dydx.url, 'sim-dydx') : null;
    if (dydxSource) {
      const options = dydxSource.options as Record<string, unknown>;
      sources.push({ ...dydxSource, options: { markets: options.markets, from: options.from, read: ['funding', 'candles'] } });
    }
    if (sources.length > 0) await indexConfig(db, configSchema.parse({ sources }), { protocols: PROTOCOLS, follow: false });
  } finally {
    await hl?.close();
    await dydx?.close();
  }
  return gt;
}

export function oracleConfig(name: string, oracle: Record<string, unknown> = {}) {
  // The feeds' rules are the scenario's, whatever its seed (`name@seed`).
  return configSchema.parse({ analytics: { oracle: { feeds: simulatedFeedRules(loadScenario(scenarioName(name).file).scenario), ...oracle } } });
}

export function runOracle(db: Kysely<Database>, name: string, oracle: Record<string, unknown> = {}): Promise<AnalyzeSummary> {
  return analyze(db, oracleConfig(name, oracle), { steps: ['oracle'], context: analysisContextOf(PROTOCOLS) });
}

export interface CheckRow {
  liquidation_id: string;
  venue: string;
  asset: string | null;
  side: string | null;
  time: Date;
  account: string | null;
  size: string | null;
  verdict: 'erroneous' | 'borderline' | 'justified' | 'unknown';
  reason: string | null;
  reference_price: string | null;
  reference_source_count: number;
  venue_price: string | null;
  distance_to_threshold_pct: number | null;
  distance_after_pct: number | null;
  dollars_lost_usd: string | null;
  episode_id: string | null;
}

/** Every check with its liquidation's identity, to match against the ground truth. */
export async function checkRows(db: Kysely<Database>): Promise<CheckRow[]> {
  const { rows } = await sql<CheckRow>`
    select c.liquidation_id::text as liquidation_id, c.venue, c.asset, c.side, c.time, lower(l.account) as account, l.size::text as size,
           c.verdict, c.reason, c.reference_price::text as reference_price, c.reference_source_count, c.venue_price::text as venue_price,
           c.distance_to_threshold_pct, c.distance_after_pct, c.dollars_lost_usd::text as dollars_lost_usd, c.episode_id::text as episode_id
    from liquidation_oracle_checks c join liquidations l on l.id = c.liquidation_id
    order by c.time, c.liquidation_id`.execute(db);
  return rows;
}

const norm = (x: string | null) => (x === null ? '' : String(Number(x)));

/** Pairs each ground-truth liquidation with its check (venue, account, asset, side, size, time in the store). */
export function matchChecks(gt: GroundTruth, checks: readonly CheckRow[]): { truth: GtLiquidation; check: CheckRow }[] {
  const byKey = new Map<string, CheckRow[]>();
  const key = (venue: string, account: string, asset: string, side: string, size: string, timeMs: number) => [venue, account.toLowerCase(), asset, side, size, timeMs].join('|');
  for (const c of checks) {
    const k = key(c.venue, c.account ?? '', c.asset ?? '', c.side ?? '', norm(c.size), c.time.getTime());
    const list = byKey.get(k) ?? [];
    list.push(c);
    byKey.set(k, list);
  }
  return gt.liquidations.map((truth) => {
    const k = key(storeVenue(gt, truth.venue), truth.account, truth.market, truth.side, norm(truth.size), storeTimeMs(gt, truth));
    const check = byKey.get(k)?.shift();
    if (!check) throw new Error(`no check for ground-truth liquidation ${truth.id} (${k})`);
    return { truth, check };
  });
}

/** Precision and recall of `erroneous` against the ground truth's material oracle errors. */
export function grade(pairs: readonly { truth: GtLiquidation; check: CheckRow }[]) {
  const flagged = pairs.filter((p) => p.check.verdict === 'erroneous');
  const errors = pairs.filter((p) => p.truth.oracleError);
  const hits = flagged.filter((p) => p.truth.oracleError).length;
  return {
    flagged: flagged.length,
    errors: errors.length,
    hits,
    precision: flagged.length === 0 ? null : hits / flagged.length,
    recall: errors.length === 0 ? null : hits / errors.length,
  };
}

/** Each liquidating venue's own price series (never a reference for its own liquidations). */
const OWN_PRICES: Record<string, readonly string[]> = { 'gmx-v2': ['gmx-v2'], hyperliquid: ['hyperliquid', 'hyperliquid-mark'], 'dydx-v4': ['dydx-v4'] };

/** The pairs whose asset has a price in the store from a venue other than the liquidating venue's own. */
export async function withReference<T extends { check: CheckRow }>(db: Kysely<Database>, pairs: readonly T[]): Promise<T[]> {
  const { rows } = await sql<{ venue: string; asset: string }>`
    select distinct venue, asset from oracle_prices where asset is not null
    union select distinct venue, asset from trade_bars where asset is not null`.execute(db);
  const has = (venue: string, asset: string | null) => rows.some((r) => r.asset === asset && !(OWN_PRICES[venue] ?? [venue]).includes(r.venue));
  return pairs.filter((p) => has(p.check.venue, p.check.asset));
}

export interface EpisodeRow {
  id: string;
  kind: 'deviation' | 'stale';
  cause: string;
  venue: string;
  asset: string | null;
  start_time: Date;
  end_time: Date | null;
  peak_deviation_pct: number | null;
  liquidations_inside: number;
}

export async function episodeRows(db: Kysely<Database>): Promise<EpisodeRow[]> {
  const { rows } = await sql<EpisodeRow>`
    select id, kind, cause, venue, asset, start_time, end_time, peak_deviation_pct, liquidations_inside
    from oracle_episodes order by start_time, venue, asset, kind`.execute(db);
  return rows;
}

/**
 * GMX v2 feed updates: the trigger `oracle_feed_health` gave each, beside the simulator's own (it decides
 * `heartbeat` when the heartbeat was due, else `deviation`). Where both were true (the heartbeat due and
 * the price moved past the threshold), the data cannot tell which fired and the stated rule says
 * `deviation`: `expected` is the simulator's trigger except there, computed from the ground truth's own
 * times and prices.
 */
export async function gmxTriggers(db: Kysely<Database>, gt: GroundTruth, heartbeatS: number, deviationPct: number, grace = 0.02) {
  const { rows } = await sql<{ asset: string; t: number; min: string; max: string; trigger: string | null; late: boolean | null }>`
    select h.asset, extract(epoch from h.time)::float8 as t, p.price_min::text as min, p.price_max::text as max, h.trigger, h.late
    from oracle_feed_health h join oracle_prices p on p.id = h.oracle_price_id
    where h.venue = 'gmx-v2' order by h.asset, h.time, h.oracle_price_id`.execute(db);
  const updates = gt.oracleUpdates.filter((o) => storeVenue(gt, o.venue) === 'gmx-v2');
  const byMarket = new Map<string, typeof updates>();
  for (const o of updates) byMarket.set(o.market, [...(byMarket.get(o.market) ?? []), o]);
  const expected = new Map<string, { trigger: string; ambiguous: boolean; late: boolean }[]>();
  for (const [market, list] of byMarket) {
    list.sort((a, b) => a.blockTimestamp! - b.blockTimestamp! || a.timeMs - b.timeMs);
    list.forEach((o, i) => {
      const prev = list[i - 1];
      const mid = (x: typeof o) => (Number(x.minPrice) + Number(x.maxPrice)) / 2;
      const gap = prev ? o.blockTimestamp! - prev.blockTimestamp! : null;
      const move = prev ? (100 * Math.abs(mid(o) - mid(prev))) / mid(prev) : null;
      const ambiguous = gap !== null && move !== null && gap >= heartbeatS * (1 - grace) && move >= deviationPct;
      const key = `${market}|${o.blockTimestamp}|${Number(o.minPrice)}|${Number(o.maxPrice)}`;
      const entry = { trigger: ambiguous ? 'deviation' : o.trigger, ambiguous, late: gap !== null && gap > heartbeatS * (1 + grace) + 1 };
      expected.set(key, [...(expected.get(key) ?? []), entry]);
    });
  }
  return {
    stored: rows.length,
    truth: updates.length,
    pairs: rows.map((r) => {
      const e = expected.get(`${r.asset}|${r.t}|${Number(r.min)}|${Number(r.max)}`)?.shift();
      return { got: r.trigger, late: r.late, expected: e ?? null };
    }),
  };
}

export interface OracleScenario {
  db: Kysely<Database>;
  gt: GroundTruth;
  /** Each ground-truth liquidation with its check row. */
  pairs: { truth: GtLiquidation; check: CheckRow }[];
}

/**
 * For the describe block it is called in: a fresh store holding scenario `name`, its oracle step run,
 * and the checks matched to the ground truth; filled in before the block's tests run.
 */
export function oracleScenario(open: OpenTestDb, name: string, timeoutMs = 180_000): OracleScenario {
  const scenario = {} as OracleScenario;
  let handle: LiqscopeDb | undefined;
  beforeAll(async () => {
    handle = await open();
    scenario.db = handle.db;
    scenario.gt = await storeScenario(handle.db, name);
    await runOracle(handle.db, name);
    scenario.pairs = matchChecks(scenario.gt, await checkRows(handle.db));
  }, timeoutMs);
  afterAll(() => handle?.close());
  return scenario;
}
