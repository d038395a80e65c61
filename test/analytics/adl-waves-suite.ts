import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analytics/analyze.ts';
import { adlParamsSchema, DEFAULT_SWEEP_GAPS_MS } from '../../src/analytics/params.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema } from '../../src/config/schema.ts';
import { analysisContextOf } from '../../src/pipeline/protocol.ts';
import type { Database, NewOraclePrice } from '../../src/db/schema.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { DYDX_VENUE, loadSimulation, simulate, storeTimeMs, storeVenue } from '../helpers/sim-store.ts';
import { expectedSweep, expectedWaves, type ExpectedWave } from './adl-ground-truth.ts';

/**
 * ADL waves against a simulation's ground truth (docs/analytics.md, "ADL waves"), on PGlite and,
 * when configured, Postgres. The scenario is simulated once per process; each database loads it
 * through the real decoders (test/helpers/sim-store.ts) and the step runs alone (`steps: ['adl']`).
 *
 * The store's Hyperliquid and GMX fills carry their own mark; dYdX fills carry none and the store has
 * no dYdX mark feed, and no source publishes account equity. So the suite first checks what the step
 * says without them (dYdX: no budget, nobody's deficit), then adds what a venue feed would give, from
 * the ground truth: the dYdX mark at each ADL fill as the venue's `oracle_prices`, and the liquidated
 * accounts' equity at each ADL fill as `account_equity` snapshots; re-runs (which must replace the
 * first results) and compares every figure with the ground truth's.
 */
/**
 * The venues' ADL rankings as they document them (GMX: most profitable first, on the realised PnL;
 * Hyperliquid: profit × leverage, scored as profit relative to entry since leverage is not in the fills;
 * dYdX: none). The protocols must declare the same (the context below is built from them).
 */
const DOCUMENTED_RANKINGS = { hyperliquid: 'profit_pct', 'gmx-v2': 'pnl_usd' } as const;

export function adlWavesSuite(scenario: string): void {
  const defaults = adlParamsSchema.parse({});
  const context = analysisContextOf(PROTOCOLS);
  const config = configSchema.parse({});
  const resultsByDb = new Map<string, WaveRow[]>();

  forEachDatabase((dbName, open) => {
    describe(`ADL waves of ${scenario} on ${dbName}`, () => {
      let handle: LiqscopeDb;
      let gt: GroundTruth;
      let expected: ExpectedWave[];
      let bare: WaveRow[];
      let waves: WaveRow[];
      let runId: string;

      beforeAll(async () => {
        handle = await open();
        ({ gt } = await loadSimulation(handle.db, simulate(scenario)));
        expected = expectedWaves(gt, defaults.gapMs, DOCUMENTED_RANKINGS);
        await analyze(handle.db, config, { steps: ['adl'], context });
        bare = await readWaves(handle.db);
        await addGroundTruthFeeds(handle.db, gt);
        const summary = await analyze(handle.db, config, { steps: ['adl'], context });
        runId = summary.runId!;
        waves = await readWaves(handle.db);
        resultsByDb.set(dbName, waves);
      });
      afterAll(async () => {
        await handle?.close();
      });

      it('has ADL fills to split (the scenario is meant to have some)', () => {
        expect(gt.adlEvents.length).toBeGreaterThan(0);
      });

      it('splits each venue\'s fills into the ground truth\'s waves, with the same fills, accounts, assets and notional', () => {
        expect(waves.map((w) => `${w.venue} ${w.start_time.toISOString()} – ${w.end_time.toISOString()}`)).toEqual(
          expected.map((e) => `${e.venue} ${new Date(e.startMs).toISOString()} – ${new Date(e.endMs).toISOString()}`),
        );
        expected.forEach((e, i) => {
          const w = waves[i]!;
          expect({ fills: w.fills, accounts: w.accounts, liquidated: w.liquidated_accounts, assets: w.assets }).toEqual({
            fills: e.fills,
            accounts: e.accounts,
            liquidated: e.liquidatedAccounts,
            assets: e.assets,
          });
          expectClose(w.notional_usd, e.notionalUsd, `${w.wave_id} notional`);
          expectClose(w.long_usd, e.longUsd, `${w.wave_id} long`);
          expectClose(w.short_usd, e.shortUsd, `${w.wave_id} short`);
        });
      });

      it('computes each wave\'s needed budget Σ|mark − exec|·|q| from every fill\'s mark', () => {
        expected.forEach((e, i) => {
          const w = waves[i]!;
          expect(w.budget_fills).toBe(e.fills);
          expectClose(w.needed_budget_usd, e.neededBudgetUsd, `${w.wave_id} needed budget`);
        });
      });

      it('sums the PnL the deleveraged accounts realised where the fills carry it (dYdX fills do not)', () => {
        expected.forEach((e, i) => {
          const w = waves[i]!;
          if (w.venue === DYDX_VENUE) expect(w.realised_pnl_usd).toBeNull();
          else expectClose(w.realised_pnl_usd, e.realisedPnlUsd, `${w.wave_id} realised pnl`);
        });
      });

      it('computes the losers\' deficit from the liquidated accounts\' equity, and nothing where the fills name no liquidated account', () => {
        expected.forEach((e, i) => {
          const w = waves[i]!;
          if (e.losersDeficitUsd === null) {
            expect(w.losers_deficit_usd).toBeNull();
            expect(w.evidence.losersDeficit).toMatch(/do not name the liquidated accounts/);
          } else {
            expectClose(w.losers_deficit_usd, e.losersDeficitUsd, `${w.wave_id} losers' deficit`);
          }
        });
      });

      it('computes the production haircut at the wave\'s end and the overshoot = haircut − needed budget', () => {
        expected.forEach((e, i) => {
          const w = waves[i]!;
          expectClose(w.haircut_usd, e.haircutUsd, `${w.wave_id} haircut`);
          expectClose(w.overshoot_usd, e.haircutUsd - e.neededBudgetUsd, `${w.wave_id} overshoot`);
        });
      });

      it('checks the pick order against each venue\'s documented ranking as a rank correlation', () => {
        expected.forEach((e, i) => {
          const w = waves[i]!;
          expect({ wave: w.wave_id, batches: w.ranking_batches, fills: w.ranking_fills }).toEqual({ wave: w.wave_id, batches: e.rankingBatches, fills: e.rankingFills });
          if (e.rankingSpearman === null) expect(w.ranking_spearman).toBeNull();
          else expect(w.ranking_spearman, `${w.wave_id} ρ`).toBeCloseTo(e.rankingSpearman, 9);
        });
      });

      it('stores the gap sweep (250 ms – 10 s) with the ground truth\'s wave counts per venue and gap', async () => {
        const { rows } = await sql<{ venue: string; gap_ms: number; waves: number; max_fills: number; is_default: boolean }>`
          select venue, gap_ms, waves, max_fills, is_default from adl_gap_sweep where run_id = ${runId} order by venue, gap_ms`.execute(handle.db);
        const gaps = [...new Set([...DEFAULT_SWEEP_GAPS_MS, defaults.gapMs])].sort((a, b) => a - b);
        expect(rows.map((r) => ({ venue: r.venue, gapMs: r.gap_ms, waves: r.waves, maxFills: r.max_fills }))).toEqual(expectedSweep(gt, gaps));
        expect(rows.filter((r) => r.is_default).map((r) => r.gap_ms)).toEqual([...new Set(rows.map((r) => r.venue))].map(() => defaults.gapMs));
      });

      it('replaced the first run\'s waves (same ids, one row each) and said why figures were missing without the feeds', () => {
        expect(bare.map((w) => w.wave_id)).toEqual(waves.map((w) => w.wave_id));
        for (const w of bare) {
          expect(w.losers_deficit_usd).toBeNull();
          if (w.venue === DYDX_VENUE) {
            expect(w.needed_budget_usd).toBeNull();
            expect(w.budget_fills).toBe(0);
            expect(w.evidence.markSources).toEqual({ row: 0, venueOracle: 0, none: w.fills });
            expect(w.overshoot_usd).toBeNull();
            expect(w.evidence.overshoot).toMatch(/not computed: 0 of the wave's \d+ fills have a mark/);
          }
          if (w.liquidated_accounts > 0) expect(w.evidence.losersDeficit).toMatch(/account_equity knows 0 of the wave's/);
        }
      });

      it('refuses parameters that do not validate, naming the field, and changes nothing', async () => {
        const runs = async () => Number((await sql<{ n: string }>`select count(*)::text as n from analysis_runs`.execute(handle.db)).rows[0]!.n);
        const before = await runs();
        const bad = { analytics: { ...config.analytics, adl: { ...config.analytics.adl, gapMs: -5, rankings: { hyperliquid: 'leverage' } } } };
        await expect(analyze(handle.db, bad as unknown as typeof config, { steps: ['adl'], context })).rejects.toThrow(/analytics\.adl\.gapMs: .*analytics\.adl\.rankings\.hyperliquid: /);
        expect(await runs()).toBe(before);
        expect(await readWaves(handle.db)).toEqual(waves);
      });

      it('records the parameters on every wave', () => {
        for (const w of waves) expect(w.params).toMatchObject({ gapMs: defaults.gapMs, oracleMarkMaxAgeSeconds: defaults.oracleMarkMaxAgeSeconds, rankings: DOCUMENTED_RANKINGS, scope: 'all' });
      });
    });
  });

  describe(`ADL waves of ${scenario}: the databases agree`, () => {
    it('PGlite and Postgres stored the same waves', (context) => {
      if (resultsByDb.size < 2) context.skip('LIQSCOPE_TEST_DATABASE_URL is not set: only PGlite ran');
      const [a, b] = [...resultsByDb.values()].map((rows) => rows.map(({ run_id: _run, ...rest }) => rest));
      expect(b).toEqual(a);
    });
  });
}

interface WaveRow {
  wave_id: string;
  run_id: string;
  venue: string;
  start_time: Date;
  end_time: Date;
  fills: number;
  accounts: number;
  liquidated_accounts: number;
  assets: string[];
  notional_usd: string | null;
  long_usd: string | null;
  short_usd: string | null;
  needed_budget_usd: string | null;
  budget_fills: number;
  realised_pnl_usd: string | null;
  losers_deficit_usd: string | null;
  haircut_usd: string | null;
  overshoot_usd: string | null;
  ranking_spearman: number | null;
  ranking_batches: number;
  ranking_fills: number;
  params: Record<string, unknown>;
  evidence: Record<string, unknown>;
}

async function readWaves(db: Kysely<Database>): Promise<WaveRow[]> {
  const { rows } = await sql<WaveRow>`select wave_id, run_id::text as run_id, venue, start_time, end_time, fills, accounts, liquidated_accounts, assets,
      notional_usd::text, long_usd::text, short_usd::text, needed_budget_usd::text, budget_fills, realised_pnl_usd::text,
      losers_deficit_usd::text, haircut_usd::text, overshoot_usd::text, ranking_spearman, ranking_batches, ranking_fills, params, evidence
    from adl_waves order by venue, start_time`.execute(db);
  return rows;
}

/**
 * What venue feeds would add, taken from the ground truth: dYdX's mark at each of its ADL fills (the
 * venue's oracle price, which its fills do not carry) and every liquidated account's equity when its
 * position was deleveraged (a venue snapshot of account equity).
 */
async function addGroundTruthFeeds(db: Kysely<Database>, gt: GroundTruth): Promise<void> {
  const marks = new Map<string, NewOraclePrice>();
  const equity = new Map<string, { venue: string; account: string; time: Date; equity_usd: string }>();
  for (const a of gt.adlEvents) {
    const venue = storeVenue(gt, a.venue);
    const time = new Date(storeTimeMs(gt, a));
    if (venue === DYDX_VENUE) {
      marks.set(`${a.market}|${a.timeMs}`, { venue, chain: 'dydx-mainnet-1', market: `${a.market}-USD`, symbol: `${a.market}-USD`, asset: a.market, quote: 'USD', price: a.markPrice, time, uid: `gt-mark:${a.market}:${a.timeMs}` });
    }
    if (a.liquidatedAccount !== null && a.liquidatedEquityUsd !== null) {
      equity.set(`${venue}|${a.liquidatedAccount}|${time.getTime()}`, { venue, account: a.liquidatedAccount, time, equity_usd: a.liquidatedEquityUsd });
    }
  }
  if (marks.size > 0) await db.insertInto('oracle_prices').values([...marks.values()]).execute();
  const rows = [...equity.values()];
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await sql`insert into account_equity (venue, account, time, equity_usd) values ${sql.join(chunk.map((r) => sql`(${r.venue}, ${r.account}, ${r.time}, ${r.equity_usd}::numeric)`))}`.execute(db);
  }
}

/** Stored NUMERIC against a float from the ground truth: relative 1e-9 (absolute 1e-6 USD near zero). */
function expectClose(stored: string | null, expected: number, what: string): void {
  expect(stored, what).not.toBeNull();
  const value = Number(stored);
  expect(Math.abs(value - expected), `${what}: stored ${stored}, expected ${expected}`).toBeLessThanOrEqual(Math.max(1e-6, Math.abs(expected) * 1e-9));
}
