import { type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database } from '../../../src/db/schema.ts';
import type { GroundTruth } from '../../../src/sim/ground-truth.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { storeVenue } from '../../helpers/sim-store.ts';
import { checkRows, episodeRows, gmxTriggers, runOracle, storeScenario } from './sim-oracle.ts';

/**
 * The `quiet-day` scenario: an ordinary day, no oracle fault, no liquidation. Graded against the
 * simulator's ground truth: nothing erroneous, no deviation episode and no stale window on any feed (the
 * false alarms a method with thresholds fitted to a crash would raise), and GMX's feed updates classified
 * as the simulator published them.
 *
 * `NAME`: the shipped scenario, or `quiet-day@<seed>` (test/analytics/unseen-seeds.test.ts).
 */
export function quietDayOracleSuite(NAME: string): void {
  forEachDatabase((dbName, open) => {
    describe(`${NAME} on ${dbName}`, () => {
      let handle: LiqscopeDb;
      let db: Kysely<Database>;
      let gt: GroundTruth;
      beforeAll(async () => {
        handle = await open();
        db = handle.db;
        gt = await storeScenario(db, NAME);
        await runOracle(db, NAME);
      }, 180_000);
      afterAll(() => handle?.close());

      it('no liquidation, so no check; no fault, so no episode on any feed', async () => {
        expect(gt.liquidations).toHaveLength(0);
        expect(gt.oracleFaults).toHaveLength(0);
        expect(await checkRows(db)).toEqual([]);
        expect(await episodeRows(db)).toEqual([]);
      });

      it("every GMX feed update classified as the simulator published it (heartbeats on a quiet day)", async () => {
        // the first update of each of GMX's feeds has no previous one to measure from
        const feeds = new Set(gt.oracleUpdates.filter((o) => storeVenue(gt, o.venue) === 'gmx-v2').map((o) => o.market)).size;
        const { stored, truth, pairs } = await gmxTriggers(db, gt, 3, 0.1);
        expect(stored).toBe(truth);
        expect(stored).toBeGreaterThan(1000);
        const rest = pairs.filter((t) => t.expected !== null && t.expected.trigger !== 'start');
        expect(rest).toHaveLength(stored - feeds);
        expect(rest.map((t) => t.got)).toEqual(rest.map((t) => t.expected!.trigger));
        expect(rest.filter((t) => t.late)).toEqual([]);
      });
    });
  });
}
