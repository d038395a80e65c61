import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../helpers/db.ts';
import { storeVenue } from '../../helpers/sim-store.ts';
import { episodeRows, gmxTriggers, grade, oracleScenario, withReference } from './sim-oracle.ts';

/**
 * The `oct-10-2025` scenario: the 10 October cascade on three venues, with no oracle fault: every venue's
 * oracle followed the market, and the ground truth marks no oracle error (a few GMX positions were
 * solvent at the true price by less than its materiality). Graded: no liquidation `erroneous` in a
 * market falling 14–21 % in minutes, GMX's liquidations judged, no deviation episode, and GMX's feed
 * updates classified as the simulator published them.
 *
 * `NAME`: the shipped scenario, or `oct-10-2025@<seed>` (test/analytics/unseen-seeds.test.ts).
 */
export function oct10OracleSuite(NAME: string): void {
  forEachDatabase((dbName, open) => {
    describe(`${NAME} on ${dbName}`, () => {
      const s = oracleScenario(open, NAME, 240_000);

      it('outside oracle faults (there are none) no liquidation is erroneous', async () => {
        expect(s.gt.oracleFaults).toHaveLength(0);
        expect(s.pairs).toHaveLength(s.gt.liquidations.length);
        expect(grade(await withReference(s.db, s.pairs)).flagged).toBe(0);
        expect(s.pairs.filter((p) => p.check.verdict === 'erroneous')).toEqual([]);
        // the near misses the simulator marks solvent but immaterial are not called erroneous either
        const nearMisses = s.pairs.filter((p) => p.truth.solventAtReference && p.check.venue === 'gmx-v2');
        expect(nearMisses.length).toBeGreaterThan(0);
        expect(nearMisses.map((p) => p.check.verdict).filter((v) => v === 'erroneous')).toEqual([]);
      });

      it('every GMX liquidation is judged against a reference; Hyperliquid and dYdX say why not', async () => {
        const gmx = s.pairs.filter((p) => p.check.venue === 'gmx-v2');
        expect(gmx.length).toBeGreaterThan(100);
        expect(gmx.filter((p) => p.check.verdict === 'unknown')).toEqual([]);
        expect(gmx.every((p) => p.check.reference_source_count > 0)).toBe(true);
        const reasons = new Set(s.pairs.filter((p) => p.check.verdict === 'unknown').map((p) => `${p.check.venue}:${p.check.reason}`));
        // a fill carries no account equity; dYdX has no margin rules; a coin only Hyperliquid lists has no other venue's price
        expect(reasons).toEqual(new Set(['hyperliquid:account_equity_not_in_event', 'dydx-v4:no_margin_rules', 'hyperliquid:no_reference_source']));
        // the assets without a reference are exactly those no other venue prices
        const noReference = new Set(s.pairs.filter((p) => p.check.reason === 'no_reference_source').map((p) => p.truth.market));
        const elsewhere = new Set(s.gt.liquidations.filter((l) => l.venueKind !== 'hyperliquid').map((l) => l.market));
        expect([...noReference].filter((a) => elsewhere.has(a))).toEqual([]);
      });

      it('no deviation episode on any feed: every oracle followed the market', async () => {
        expect((await episodeRows(s.db)).filter((e) => e.kind === 'deviation')).toEqual([]);
      });

      it('every GMX feed update classified as the simulator published it (where both triggers held: deviation)', async () => {
        // the first update of each of GMX's feeds has no previous one to measure from
        const feeds = new Set(s.gt.oracleUpdates.filter((o) => storeVenue(s.gt, o.venue) === 'gmx-v2').map((o) => o.market)).size;
        const { stored, truth, pairs: triggers } = await gmxTriggers(s.db, s.gt, 3, 0.1);
        expect(stored).toBe(truth);
        const rest = triggers.filter((t) => t.expected !== null && t.expected.trigger !== 'start');
        expect(rest).toHaveLength(stored - feeds);
        expect(rest.map((t) => t.got)).toEqual(rest.map((t) => t.expected!.trigger));
        // both kinds occur in a crash
        expect(rest.filter((t) => t.got === 'deviation').length).toBeGreaterThan(100);
        expect(rest.filter((t) => t.got === 'heartbeat').length).toBeGreaterThan(100);
      });
    });
  });
}
