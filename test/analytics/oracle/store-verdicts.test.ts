import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../../src/analytics/analyze.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database } from '../../../src/db/schema.ts';
import { analysisContextOf } from '../../../src/pipeline/protocol.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { at, BLOCKS, HAND_ORACLE_PARAMS, HAND_SOURCES, TRADERS } from './hand-gmx.ts';
import { storeLogs } from './log-store.ts';

/**
 * Hand-computed GMX v2 liquidations through the real decoders, the store and `liqscope analyze`'s oracle
 * step, with a Chainlink ETH/USD feed as the reference (every figure worked out by hand below):
 *
 * A 10 ETH long opened at 2,000 (sizeInUsd 20,000) with 1,000 USDC of collateral, liquidated when GMX's
 * oracle priced ETH at 1,910 (index min price): PnL 10 × 1,910 − 20,000 = −900, position fee 20 USDC,
 * liquidation fee 38.2 USDC. GMX's rule (PositionUtils.isPositionLiquidatable, minCollateralFactor 1 %):
 * remaining collateral at P = 1,000 − 900 + 10 (P − 1,910) − 20 = 10 P − 19,020, liquidatable below
 * 1 % × 20,000 = 200, i.e. below P = 1,922.
 * - Trader A, at 21:00:30, while Chainlink said 1,950: at 1,950 it had 480 ≥ 200 (solvent): `erroneous`.
 *   It kept 80 − 38.2 = 41.8; at the reference it would have had 480: 438.2 USD lost.
 * - Trader B, the mirror, at 22:00:30, while Chainlink said 1,905: 10 × 1,905 − 19,020 = 30 < 200 at the
 *   reference too: `justified`.
 * - Trader C, a LINK long: no venue but GMX prices LINK here, so no reference: `unknown`, with the reason.
 * GMX's ETH feed sat at 1,910 against 1,950 from 21:00:00 until its 21:02:00 update at 1,950: one
 * deviation episode of −2.0513 %, holding A's liquidation.
 */
const config = configSchema.parse({ analytics: { oracle: HAND_ORACLE_PARAMS } });
const context = analysisContextOf(PROTOCOLS);

interface Check {
  account: string;
  asset: string;
  verdict: string;
  reason: string | null;
  venue_price: string | null;
  venue_price_kind: string | null;
  venue_price_staleness_s: number | null;
  reference_price: string | null;
  reference_method: string | null;
  reference_sources: { venue: string; kind: string; price: number; ageS: number }[] | string;
  reference_age_s: number | null;
  deviation_bps: number | null;
  equity_at_reference_usd: string | null;
  maintenance_at_reference_usd: string | null;
  equity_at_venue_price_usd: string | null;
  threshold_price: string | null;
  distance_to_threshold_pct: number | null;
  kept_usd: string | null;
  dollars_lost_usd: string | null;
  episode_id: string | null;
}

async function checks(db: Kysely<Database>): Promise<Record<string, Check>> {
  const { rows } = await sql<Check>`
    select lower(l.account) as account, c.asset, c.verdict, c.reason, c.venue_price::text, c.venue_price_kind, c.venue_price_staleness_s,
           c.reference_price::text, c.reference_method, c.reference_sources, c.reference_age_s, c.deviation_bps,
           c.equity_at_reference_usd::text, c.maintenance_at_reference_usd::text, c.equity_at_venue_price_usd::text,
           c.threshold_price::text, c.distance_to_threshold_pct, c.kept_usd::text, c.dollars_lost_usd::text, c.episode_id
    from liquidation_oracle_checks c join liquidations l on l.id = c.liquidation_id order by c.time`.execute(db);
  const sources = (s: Check['reference_sources']) => (typeof s === 'string' ? (JSON.parse(s) as Exclude<Check['reference_sources'], string>) : s);
  return Object.fromEntries(rows.map((r) => [Object.entries(TRADERS).find(([, a]) => a === r.account)![0], { ...r, reference_sources: sources(r.reference_sources) }]));
}

forEachDatabase((dbName, open) => {
  describe(`oracle checks of hand-computed GMX v2 liquidations on ${dbName}`, () => {
    let handle: LiqscopeDb;
    let db: Kysely<Database>;
    beforeAll(async () => {
      handle = await open();
      db = handle.db;
      await storeLogs(db, HAND_SOURCES, BLOCKS);
      await analyze(db, config, { steps: ['oracle'], context });
    }, 60_000);
    afterAll(() => handle?.close());

    it('stores what the logs say (the decoders ran)', async () => {
      const { rows } = await sql<{ venue: string; n: number }>`
        select venue, count(*)::int as n from oracle_prices group by venue order by venue`.execute(db);
      expect(rows).toEqual([{ venue: 'chainlink', n: 2 }, { venue: 'gmx-v2', n: 5 }]);
      const liq = await db.selectFrom('liquidations').select(['oracle_price', 'collateral_usd', 'pnl_usd', 'fee_usd']).where('account', '=', TRADERS.A).executeTakeFirstOrThrow();
      expect([liq.oracle_price, liq.collateral_usd, liq.pnl_usd, liq.fee_usd].map(Number)).toEqual([1910, 1000, -900, 38.2]);
    });

    it('erroneous: solvent at the reference, not at the oracle price; the dollars lost as computed by hand', async () => {
      const a = (await checks(db)).A!;
      expect(a.verdict).toBe('erroneous');
      expect(a.reason).toBeNull();
      expect(Number(a.venue_price)).toBe(1910);
      expect(a.venue_price_kind).toBe('oracle');
      // GMX's own ETH price in force was its 21:00:00 update: 30 s before
      expect(a.venue_price_staleness_s).toBe(30);
      expect(Number(a.reference_price)).toBe(1950);
      expect(a.reference_method).toBe('median');
      expect(a.reference_sources).toEqual([expect.objectContaining({ venue: 'chainlink', kind: 'oracle', price: 1950, ageS: 30 })]);
      expect(a.reference_age_s).toBe(30);
      expect(a.deviation_bps).toBeCloseTo(((1910 - 1950) / 1950) * 10_000, 9);
      expect(Number(a.equity_at_reference_usd)).toBeCloseTo(480, 6);
      expect(Number(a.maintenance_at_reference_usd)).toBeCloseTo(200, 6);
      expect(Number(a.equity_at_venue_price_usd)).toBeCloseTo(80, 6);
      expect(Number(a.threshold_price)).toBeCloseTo(1922, 6);
      expect(a.distance_to_threshold_pct).toBeCloseTo((100 * (1950 - 1922)) / 1950, 9);
      expect(Number(a.kept_usd)).toBeCloseTo(41.8, 6);
      expect(Number(a.dollars_lost_usd)).toBeCloseTo(438.2, 6);
    });

    it('justified: its mirror image, below maintenance at the reference too', async () => {
      const b = (await checks(db)).B!;
      expect(b.verdict).toBe('justified');
      expect(Number(b.reference_price)).toBe(1905);
      expect(b.reference_age_s).toBe(30);
      expect(Number(b.equity_at_reference_usd)).toBeCloseTo(30, 6);
      expect(b.distance_to_threshold_pct).toBeCloseTo((100 * (1905 - 1922)) / 1905, 9);
      expect(b.dollars_lost_usd).toBeNull();
      expect(b.episode_id).toBeNull();
    });

    it('unknown with the reason where no other venue prices the asset', async () => {
      const c = (await checks(db)).C!;
      expect(c.asset).toBe('LINK');
      expect(c.verdict).toBe('unknown');
      expect(c.reason).toBe('no_reference_source');
      expect(Number(c.venue_price)).toBe(9.6);
      expect(c.reference_price).toBeNull();
      expect(c.dollars_lost_usd).toBeNull();
    });

    it("GMX's feed away from the reference is one deviation episode holding the erroneous liquidation", async () => {
      const { rows } = await sql<{ id: string; kind: string; cause: string; venue: string; asset: string; start_time: Date; end_time: Date; peak_deviation_pct: number; liquidations_inside: number }>`
        select id, kind, cause, venue, asset, start_time, end_time, peak_deviation_pct, liquidations_inside from oracle_episodes order by start_time`.execute(db);
      expect(rows).toHaveLength(1);
      const e = rows[0]!;
      expect([e.kind, e.cause, e.venue, e.asset]).toEqual(['deviation', 'published', 'gmx-v2', 'ETH']);
      expect([e.start_time.toISOString(), e.end_time.toISOString()]).toEqual([at(0).toISOString(), at(120).toISOString()]);
      expect(e.peak_deviation_pct).toBeCloseTo((100 * (1910 - 1950)) / 1950, 9);
      expect(e.liquidations_inside).toBe(1);
      expect((await checks(db)).A!.episode_id).toBe(e.id);
    });

    it('views: the erroneous liquidations with their dollars, and the losses per venue, asset and episode', async () => {
      const { rows: erroneous } = await sql<{ account: string; dollars_lost_usd: string; episode_kind: string; episode_start: Date }>`
        select lower(account) as account, dollars_lost_usd::text, episode_kind, episode_start from oracle_erroneous_liquidations`.execute(db);
      expect(erroneous).toHaveLength(1);
      expect(erroneous[0]!.account).toBe(TRADERS.A);
      expect(Number(erroneous[0]!.dollars_lost_usd)).toBeCloseTo(438.2, 6);
      expect(erroneous[0]!.episode_kind).toBe('deviation');
      expect(erroneous[0]!.episode_start.toISOString()).toBe(at(0).toISOString());

      const { rows: losses } = await sql<{ venue: string; asset: string; in_episode: boolean; liquidations: string; erroneous: string; justified: string; unknown: string; dollars_lost_usd: string }>`
        select venue, asset, episode_id is not null as in_episode, liquidations::text, erroneous::text, justified::text, unknown::text, dollars_lost_usd::text
        from oracle_error_losses order by asset, in_episode`.execute(db);
      expect(losses.map((l) => [l.venue, l.asset, l.in_episode, Number(l.liquidations), Number(l.erroneous), Number(l.justified), Number(l.unknown), Number(l.dollars_lost_usd)])).toEqual([
        ['gmx-v2', 'ETH', false, 1, 0, 1, 0, 0],
        ['gmx-v2', 'ETH', true, 1, 1, 0, 0, 438.2],
        ['gmx-v2', 'LINK', false, 1, 0, 0, 1, 0],
      ]);
    });

    it('re-running the range changes nothing', async () => {
      const snapshot = async () => ({
        checks: (await sql`select liquidation_id, verdict, reason, venue_price, reference_price, deviation_bps, distance_to_threshold_pct, dollars_lost_usd, episode_id, params from liquidation_oracle_checks order by liquidation_id`.execute(db)).rows,
        episodes: (await sql`select id, kind, start_time, end_time, peak_deviation_pct, liquidations_inside from oracle_episodes order by id`.execute(db)).rows,
        health: (await sql`select oracle_price_id, trigger, gap_s, move_pct, late from oracle_feed_health order by oracle_price_id`.execute(db)).rows,
      });
      const before = await snapshot();
      await analyze(db, config, { steps: ['oracle'], context });
      expect(await snapshot()).toEqual(before);
    });

    it('bad parameters fail naming what and where, and leave the stored results as they were', async () => {
      const before = (await sql`select liquidation_id, verdict, run_id from liquidation_oracle_checks order by liquidation_id`.execute(db)).rows;
      const unknownVenue = configSchema.parse({ analytics: { oracle: { ...HAND_ORACLE_PARAMS, margin: { 'gmx-v3': {} } } } });
      await expect(analyze(db, unknownVenue, { steps: ['oracle'], context })).rejects.toThrow(/analytics\.oracle\.margin\.gmx-v3: no venue gmx-v3 has margin rules/);
      const badFactor = configSchema.parse({ analytics: { oracle: { ...HAND_ORACLE_PARAMS, margin: { 'gmx-v2': { minCollateralFactor: 2 } } } } });
      await expect(analyze(db, badFactor, { steps: ['oracle'], context })).rejects.toThrow(/analytics\.oracle\.margin\.gmx-v2\.minCollateralFactor/);
      expect(() => configSchema.parse({ analytics: { oracle: { tolerancePct: -1 } } })).toThrow(/tolerancePct/);
      expect((await sql`select liquidation_id, verdict, run_id from liquidation_oracle_checks order by liquidation_id`.execute(db)).rows).toEqual(before);
    });

    it('without the margin rules (no composition root) every position is unknown, with the reason', async () => {
      await analyze(db, config, { steps: ['oracle'] });
      const all = await checks(db);
      expect(Object.values(all).map((c) => [c.verdict, c.reason])).toEqual([
        ['unknown', 'no_margin_rules'],
        ['unknown', 'no_margin_rules'],
        ['unknown', 'no_margin_rules'],
      ]);
      // the reference is still recorded where there is one
      expect(Number(all.A!.reference_price)).toBe(1950);
      await analyze(db, config, { steps: ['oracle'], context });
      expect((await checks(db)).A!.verdict).toBe('erroneous');
    });
  });
});
