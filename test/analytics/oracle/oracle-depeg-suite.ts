import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/schema.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { storeTimeMs } from '../../helpers/sim-store.ts';
import { checkRows, episodeRows, grade, oracleScenario, runOracle, withReference, type CheckRow } from './sim-oracle.ts';

/**
 * The `oracle-depeg` scenario (scenarios/oracle-depeg.json): GMX v2's oracle prices ETH from a thin venue
 * that falls about 35 % for 40 minutes while every other venue stays at the market; GMX liquidates
 * positions that were solvent at the market. Graded against the simulator's ground truth: per
 * liquidation `oracleError` (solvent by at least its materiality at the true reference), and the fault's
 * window (when the venue's price in force was at least that far from the reference).
 *
 * `NAME`: the shipped scenario, or `oracle-depeg@<seed>` (test/analytics/unseen-seeds.test.ts).
 */
export function oracleDepegSuite(NAME: string): void {
  forEachDatabase((dbName, open) => {
    describe(`${NAME} on ${dbName}`, () => {
      const s = oracleScenario(open, NAME);

      it('checks every liquidation; erroneous with precision ≥ 0.95 and recall ≥ 0.90 where the store has a reference', async () => {
        expect(s.pairs).toHaveLength(s.gt.liquidations.length);
        const judged = await withReference(s.db, s.pairs);
        const g = grade(judged);
        // the scenario's point: GMX liquidated solvent positions (the grade must have something to find)
        expect(g.errors).toBeGreaterThanOrEqual(50);
        expect(g.precision!).toBeGreaterThanOrEqual(0.95);
        expect(g.recall!).toBeGreaterThanOrEqual(0.9);
      });

      it('the dollars lost: equity at the reference less what the account kept, per erroneous liquidation', () => {
        const erroneous = s.pairs.filter((p) => p.check.verdict === 'erroneous');
        expect(erroneous.length).toBeGreaterThan(0);
        for (const { truth, check } of erroneous) {
          // From the ground truth alone (GMX's rule with the simulator's figures; no position fee or impact
          // is emitted): equity at P = collateral + PnL at the exit + side × size × (P − exit price).
          const sign = truth.side === 'long' ? 1 : -1;
          const size = Number(truth.size);
          const equityAt = (p: number) => Number(truth.collateralUsd) + Number(truth.pnlUsd) + sign * size * (p - Number(truth.markPrice));
          const kept = Math.max(0, equityAt(Number(truth.markPrice)) - Number(truth.feeUsd));
          const expected = Math.max(0, equityAt(Number(truth.referencePrice))) - kept;
          // the store's reference (a median of venues) is not the simulator's true price: 0.1 % of the notional
          expect(Math.abs(Number(check.dollars_lost_usd) - expected)).toBeLessThanOrEqual(0.001 * Number(truth.sizeUsd));
        }
      });

      it("the depeg is one deviation episode of GMX's ETH feed, starting and ending within one heartbeat of the ground truth's", async () => {
        const fault = s.gt.oracleFaults.find((f) => f.kind === 'depeg')!;
        const heartbeatMs = fault.heartbeatSeconds * 1000;
        const episodes = await episodeRows(s.db);
        const deviations = episodes.filter((e) => e.kind === 'deviation');
        // nothing else deviated: BTC on GMX, and every other venue, stayed at the market
        expect(deviations.map((e) => [e.venue, e.asset])).toEqual([['gmx-v2', fault.market]]);
        const e = deviations[0]!;
        expect(e.cause).toBe('published');
        expect(Math.abs(e.start_time.getTime() - Date.parse(fault.materialFrom!))).toBeLessThanOrEqual(heartbeatMs);
        expect(Math.abs(e.end_time!.getTime() - Date.parse(fault.materialTo!))).toBeLessThanOrEqual(heartbeatMs);
        // the declared window [from, to) lies inside it (the ramp out follows `to`)
        expect(e.start_time.getTime()).toBeLessThanOrEqual(fault.fromMs + heartbeatMs);
        expect(e.end_time!.getTime()).toBeGreaterThanOrEqual(fault.toMs);
        // its peak: the thin venue's full drop (35 %), below the reference
        expect(e.peak_deviation_pct).toBeLessThan(0);
        expect(Math.abs(e.peak_deviation_pct!)).toBeCloseTo(Number(fault.maxDeviationPct), 0);
        // the liquidations inside: GMX's liquidations of the asset between its start and end
        const inside = s.gt.liquidations.filter((l) => l.venueKind === 'gmx-v2' && l.market === fault.market && storeTimeMs(s.gt, l) >= e.start_time.getTime() && storeTimeMs(s.gt, l) <= e.end_time!.getTime());
        expect(e.liquidations_inside).toBe(inside.length);
        expect(inside.length).toBeGreaterThan(0);
        // and each erroneous liquidation names it
        const named = s.pairs.filter((p) => p.check.verdict === 'erroneous').map((p) => p.check.episode_id);
        expect(new Set(named)).toEqual(new Set([e.id]));
      });

      it('re-running changes nothing', async () => {
        const before = await snapshot(s.db);
        await runOracle(s.db, NAME);
        expect(await snapshot(s.db)).toEqual(before);
      }, 120_000);
    });
  });

  async function snapshot(db: Kysely<Database>): Promise<{ checks: Omit<CheckRow, 'time'>[]; episodes: unknown[] }> {
    const checks = (await checkRows(db)).map(({ time: _time, ...rest }) => rest);
    const episodes = (await sql`select id, kind, cause, start_time, end_time, peak_deviation_pct, liquidations_inside from oracle_episodes order by id`.execute(db)).rows;
    return { checks, episodes };
  }
}
