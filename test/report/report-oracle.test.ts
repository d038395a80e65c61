import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { writeReport, type Report } from '../../src/report/index.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { storeVenue } from '../helpers/sim-store.ts';
import { loadAnalysedScenario } from './scenario-db.ts';
import { expectEveryNumberEqualsItsSql, figureOf, validateReport } from './report-checks.ts';

/**
 * The oracle-depeg scenario: one venue's oracle (GMX v2's ETH feed) prices ETH from a thin market that
 * falls about 35 % for 40 minutes while the market does not; every GMX liquidation in it is an oracle
 * error (the simulator's ground truth), and no cascade forms. Its range report must show the erroneous
 * liquidations with the dollars lost, per venue and per episode, exactly as analytics stored them, and
 * say briefly what it has not (no cascade: no timeline, dynamics or ADL).
 */
forEachDatabase((dbName, open) => {
  describe(`report of an oracle depeg on ${dbName} (oracle-depeg scenario, analysed)`, () => {
    let handle: LiqscopeDb;
    let gt: GroundTruth;
    let report: Report;
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-report-oracle-'));

    beforeAll(async () => {
      handle = await open();
      ({ gt } = await loadAnalysedScenario(handle, 'oracle-depeg'));
      const to = new Date(Date.parse(gt.scenario.end) + 1000);
      report = (await writeReport(handle.db, { from: new Date(gt.scenario.start), to, outDir: dir, formats: ['md', 'json'], now: new Date('2026-01-01T00:00:00Z') })).report;
    }, 120_000);
    afterAll(async () => {
      await handle?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('every number shown equals the result of the SQL printed under it, and report.json validates', async () => {
      expect(await expectEveryNumberEqualsItsSql(handle.db, dir)).toBeGreaterThan(150);
      const ok = validateReport(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
      expect(validateReport.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });

    it("the erroneous liquidations are the ground truth's oracle errors, per venue", () => {
      const verdicts = figureOf(report, 'oracle.verdicts');
      const venues = [...new Set(gt.liquidations.map((l) => storeVenue(gt, l.venue)))];
      const errors = gt.liquidations.filter((l) => l.oracleError);
      expect(errors.length).toBeGreaterThan(0);
      for (const venue of venues) {
        const expected = errors.filter((l) => storeVenue(gt, l.venue) === venue).length;
        const shown = verdicts.rows.filter((r) => r.venue === venue).reduce((n, r) => n + Number(r.erroneous), 0);
        expect(shown, venue).toBe(expected);
      }
      const glance = figureOf(report, 'summary.analytics').rows[0]!;
      expect(glance.erroneous).toBe(String(errors.length));
      // the table lists the 25 largest losses, each an erroneous one
      expect(figureOf(report, 'oracle.erroneous').rows.length).toBe(Math.min(25, errors.length));
    });

    it("dollars lost per venue and episode equal analytics' own view oracle_error_losses, and sum to the summary's", async () => {
      const losses = figureOf(report, 'oracle.losses');
      // the range covers the whole store, so the view's groups with an erroneous liquidation are this figure's
      const view = await sql<{ venue: string; asset: string; episode_id: string | null; erroneous: string; dollars_lost_usd: string }>`
        select venue, asset, episode_id, erroneous::text as erroneous, dollars_lost_usd::text as dollars_lost_usd
        from oracle_error_losses where erroneous > 0 order by venue, asset, episode_id`.execute(handle.db);
      expect(view.rows.length).toBeGreaterThan(0);
      const key = (r: Record<string, unknown>) => `${String(r.venue)}|${String(r.asset)}|${String(r.episode_id)}`;
      const shown = new Map(losses.rows.filter((r) => Number(r.erroneous) > 0).map((r) => [key(r), r]));
      expect([...shown.keys()].sort()).toEqual(view.rows.map(key).sort());
      let total = 0;
      for (const v of view.rows) {
        const row = shown.get(key(v))!;
        expect(row.erroneous, key(v)).toBe(v.erroneous);
        expect(Number(row.dollars_lost_usd), key(v)).toBe(Number(v.dollars_lost_usd));
        total += Number(v.dollars_lost_usd);
      }
      expect(total).toBeGreaterThan(0);
      expect(Number(figureOf(report, 'summary.analytics').rows[0]!.dollars_lost_usd)).toBeCloseTo(total, 6);
      // the depeg is one deviation episode of GMX's ETH feed, and its liquidations are inside it
      const gmx = losses.rows.filter((r) => r.venue === 'gmx-v2' && Number(r.erroneous) > 0);
      expect(gmx.map((r) => [r.asset, r.episode_kind])).toEqual([['ETH', 'deviation']]);
      const truth = gt.oracleFaults.filter((f) => f.materialFrom !== null);
      expect(truth.length).toBeGreaterThan(0);
      for (const row of gmx) {
        // the episode overlaps the fault's material span (the ground truth's window of a material deviation)
        expect(truth.some((f) => Date.parse(String(row.episode_start)) <= Date.parse(f.materialTo!) && Date.parse(String(row.episode_end)) >= Date.parse(f.materialFrom!)), String(row.episode_id)).toBe(true);
      }
    });

    it('the oracle deviation is drawn over time, and what the data does not have is said briefly', () => {
      const deviation = figureOf(report, 'oracle.deviation');
      expect(deviation.chart?.type).toBe('time-scatter');
      expect(deviation.rows.length).toBeGreaterThanOrEqual(gt.liquidations.filter((l) => l.oracleError).length);
      const section = (id: string) => report.sections.find((s) => s.id === id)!;
      // no cascade forms: the timeline and dynamics say so and show no figure; no ADL fill either
      expect(section('timeline').figures).toEqual([]);
      expect(section('timeline').paragraphs.join(' ')).toMatch(/no cascade/);
      expect(section('dynamics').figures).toEqual([]);
      expect(section('dynamics').paragraphs.join(' ')).toMatch(/no cascade/);
      expect(section('adl').figures).toEqual([]);
      expect(section('adl').paragraphs).toEqual(['No ADL fill in scope (in the adl_events the store holds for these venues).']);
      expect(gt.adlEvents).toEqual([]);
    });
  });
});
