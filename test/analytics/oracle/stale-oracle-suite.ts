import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../helpers/db.ts';
import { episodeRows, gmxTriggers, grade, oracleScenario, withReference } from './sim-oracle.ts';

/**
 * The `stale-oracle` scenario: GMX v2's oracle publishes nothing for 4 minutes while ETH falls 9 % in 90
 * seconds; when it resumes, positions are liquidated at the market price (no oracle error: the
 * simulator's ground truth has none). Graded: no liquidation `erroneous`, every GMX one judged; the
 * missed heartbeats as stale windows matching the declared fault, and the stale price's deviation as an
 * episode caused by staleness.
 *
 * `NAME`: the shipped scenario, or `stale-oracle@<seed>` (test/analytics/unseen-seeds.test.ts).
 */
export function staleOracleSuite(NAME: string): void {
  forEachDatabase((dbName, open) => {
    describe(`${NAME} on ${dbName}`, () => {
      const s = oracleScenario(open, NAME);

      it('no liquidation is erroneous (the ground truth has no oracle error); every GMX liquidation is judged', async () => {
        expect(s.pairs).toHaveLength(s.gt.liquidations.length);
        expect(s.gt.liquidations.filter((l) => l.oracleError)).toHaveLength(0);
        const judged = await withReference(s.db, s.pairs);
        const g = grade(judged);
        expect(g.flagged).toBe(0);
        const gmx = s.pairs.filter((p) => p.check.venue === 'gmx-v2');
        expect(gmx.length).toBe(s.gt.liquidations.filter((l) => l.venueKind === 'gmx-v2').length);
        expect(gmx.length).toBeGreaterThan(20);
        // a reference and a counterfactual for each: nothing left unknown
        expect(gmx.filter((p) => p.check.verdict === 'unknown')).toEqual([]);
        // most were far past their threshold at the market price when the oracle resumed
        expect(gmx.filter((p) => p.check.verdict === 'justified').length).toBeGreaterThan(gmx.length / 2);
      });

      it('each missed heartbeat window is a stale window of GMX\'s feed, within one heartbeat of the declared fault', async () => {
        const episodes = await episodeRows(s.db);
        const faults = s.gt.oracleFaults.filter((f) => f.kind === 'stale');
        expect(faults.length).toBe(2);
        const stale = episodes.filter((e) => e.kind === 'stale');
        expect(stale.map((e) => [e.venue, e.asset]).sort()).toEqual(faults.map((f) => ['gmx-v2', f.market]).sort());
        for (const f of faults) {
          const e = stale.find((s) => s.asset === f.market)!;
          const heartbeatMs = f.heartbeatSeconds * 1000;
          expect(e.cause).toBe('missed_heartbeat');
          expect(Math.abs(e.start_time.getTime() - f.fromMs)).toBeLessThanOrEqual(heartbeatMs);
          expect(Math.abs(e.end_time!.getTime() - f.toMs)).toBeLessThanOrEqual(heartbeatMs);
        }
      });

      it("the stale price's deviation from the market is an episode caused by staleness, ending when the feed resumed", async () => {
        const episodes = await episodeRows(s.db);
        const deviations = episodes.filter((e) => e.kind === 'deviation');
        const faults = s.gt.oracleFaults.filter((f) => f.kind === 'stale');
        expect(deviations.map((e) => [e.venue, e.asset]).sort()).toEqual(faults.map((f) => ['gmx-v2', f.market]).sort());
        for (const f of faults) {
          const e = deviations.find((d) => d.asset === f.market)!;
          const heartbeatMs = f.heartbeatSeconds * 1000;
          expect(e.cause).toBe('stale');
          // never before the price in force was materially off, and inside the stale window
          expect(e.start_time.getTime()).toBeGreaterThanOrEqual(Date.parse(f.materialFrom!) - heartbeatMs);
          expect(e.start_time.getTime()).toBeGreaterThanOrEqual(f.fromMs);
          // the reference follows a 0.1 %/s fall through sources that lag it (a Chainlink feed with a 0.5 %
          // threshold, one-minute candles): it crosses the threshold up to two heartbeats later
          expect(e.start_time.getTime()).toBeLessThanOrEqual(Date.parse(f.materialFrom!) + 2 * heartbeatMs);
          expect(Math.abs(e.end_time!.getTime() - Date.parse(f.materialTo!))).toBeLessThanOrEqual(heartbeatMs);
          expect(Math.abs(e.peak_deviation_pct!)).toBeGreaterThan(0.9 * Number(f.maxDeviationPct));
        }
      });

      it("every GMX feed update classified as the simulator decided it; the update ending each stale window late", async () => {
        const { stored, truth, pairs: triggers } = await gmxTriggers(s.db, s.gt, 3, 0.1);
        expect(stored).toBe(truth);
        const matched = triggers.filter((t) => t.expected !== null);
        expect(matched).toHaveLength(stored);
        const first = matched.filter((t) => t.expected!.trigger === 'start');
        expect(first.map((t) => t.got)).toEqual(first.map(() => null));
        const rest = matched.filter((t) => t.expected!.trigger !== 'start');
        expect(rest.map((t) => t.got)).toEqual(rest.map((t) => t.expected!.trigger));
        expect(rest.map((t) => t.late)).toEqual(rest.map((t) => t.expected!.late));
        expect(rest.filter((t) => t.late).length).toBe(2);
      });
    });
  });
}
