import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { buildReport, mainCascadeId, ReportRequestError, writeReport, type Report } from '../../src/report/index.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { storeVenue } from '../helpers/sim-store.ts';
import { loadAnalysedScenario } from './scenario-db.ts';
import { expectEveryNumberEqualsItsSql, figureOf, REPORT_SCHEMA, validateReport } from './report-checks.ts';

/** Exact decimal sum of decimal strings (the ground truth's amounts), as a string without trailing zeros. */
function decimalSum(values: readonly string[]): string {
  const scale = 24;
  let total = 0n;
  for (const v of values) {
    const [whole, frac = ''] = v.replace('-', '').split('.');
    const units = BigInt(whole!) * 10n ** BigInt(scale) + BigInt((frac + '0'.repeat(scale)).slice(0, scale));
    total += v.startsWith('-') ? -units : units;
  }
  return trimDecimal(`${total < 0n ? '-' : ''}${(total < 0n ? -total : total) / 10n ** BigInt(scale)}.${((total < 0n ? -total : total) % 10n ** BigInt(scale)).toString().padStart(scale, '0')}`)!;
}
/** Exact product of two decimal strings (Hyperliquid stores a fill's notional as px × sz, unrounded). */
function decimalProduct(a: string, b: string): string {
  const parse = (v: string) => {
    const [whole, frac = ''] = v.replace('-', '').split('.');
    return { units: BigInt(whole! + frac) * (v.startsWith('-') ? -1n : 1n), scale: frac.length };
  };
  const x = parse(a);
  const y = parse(b);
  const product = x.units * y.units;
  const scale = x.scale + y.scale;
  const digits = (product < 0n ? -product : product).toString().padStart(scale + 1, '0');
  return `${product < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale ? `.${digits.slice(digits.length - scale)}` : ''}`;
}
const trimDecimal = (s: string | null | undefined) => (s == null ? null : s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

forEachDatabase((dbName, open) => {
  describe(`report figures on ${dbName} (two-shocks scenario, analysed)`, () => {
    let handle: LiqscopeDb;
    let gt: GroundTruth;
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-report-figures-'));
    let cascadeReport: Report;
    let rangeReport: Report;

    beforeAll(async () => {
      handle = await open();
      ({ gt } = await loadAnalysedScenario(handle, 'two-shocks'));
      const cascadeId = await mainCascadeId(handle.db);
      expect(cascadeId, 'analytics found no cascade in two-shocks').not.toBeNull();
      const fixed = new Date('2026-01-01T00:00:00Z');
      cascadeReport = (await writeReport(handle.db, { cascadeId: cascadeId!, outDir: join(dir, 'cascade'), formats: ['md', 'json'], now: fixed })).report;
      rangeReport = (await writeReport(handle.db, { from: new Date(gt.scenario.start), to: new Date(Date.parse(gt.scenario.end) + 1000), outDir: join(dir, 'range'), formats: ['md', 'json'], now: fixed })).report;
    }, 120_000);
    afterAll(async () => {
      await handle?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const which of ['cascade', 'range'] as const) {
      it(`${which} report: every number shown equals the result of the SQL printed under it`, async () => {
        const cells = await expectEveryNumberEqualsItsSql(handle.db, join(dir, which));
        expect(cells).toBeGreaterThan(300);
        const json = JSON.parse(readFileSync(join(dir, which, 'report.json'), 'utf8')) as Report;
        expect(json.sections.flatMap((s) => s.figures).length).toBeGreaterThan(25);
      });

      it(`${which} report: report.json validates against docs/report.schema.json`, () => {
        const json = JSON.parse(readFileSync(join(dir, which, 'report.json'), 'utf8')) as unknown;
        const ok = validateReport(json);
        expect(validateReport.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
      });
    }

    it('the schema rejects a report whose figure lacks its SQL (the validation can fail)', () => {
      const json = JSON.parse(readFileSync(join(dir, 'range', 'report.json'), 'utf8')) as Report;
      delete (json.sections[0]!.figures[0] as Partial<Report['sections'][number]['figures'][number]>).sql;
      expect(validateReport(json)).toBe(false);
    });

    it('range report: counts and notional by venue equal the ground truth', () => {
      const byVenue = figureOf(rangeReport, 'liquidations.by-venue');
      // GMX stores the event's sizeDeltaUsd and dYdX size × price (both the ground truth's sizeUsd); Hyperliquid px × sz exactly
      const usdOf = (r: { venue: string; size: string; price: string; sizeUsd: string }) => (storeVenue(gt, r.venue) === 'hyperliquid' ? decimalProduct(r.size, r.price) : r.sizeUsd);
      const expected = [...new Set(gt.liquidations.map((l) => storeVenue(gt, l.venue)))].sort().map((venue) => {
        const liqs = gt.liquidations.filter((l) => storeVenue(gt, l.venue) === venue);
        return { venue, liquidations: String(liqs.length), usd: decimalSum(liqs.map(usdOf)) };
      });
      expect(expected.length).toBe(3);
      expect(byVenue.rows.map((r) => ({ venue: r.venue, liquidations: r.liquidations, usd: trimDecimal(String(r.usd)) })).sort((a, b) => String(a.venue).localeCompare(String(b.venue)))).toEqual(expected);
      const key = figureOf(rangeReport, 'summary.key-figures').rows[0]!;
      expect(key.adl_fills).toBe(String(gt.adlEvents.length));
      expect(trimDecimal(String(key.adl_usd))).toBe(decimalSum(gt.adlEvents.map(usdOf)));
    });

    it('every figure is described in docs/report.schema.json: its columns, in order', () => {
      const catalogue = REPORT_SCHEMA.$defs.figure.allOf.map((entry) => ({
        matches: (id: string) => (entry.if.properties.id.const !== undefined ? entry.if.properties.id.const === id : new RegExp(entry.if.properties.id.pattern!).test(id)),
        columns: entry.then.properties.columns.prefixItems.map((c) => c.properties.name.const),
      }));
      for (const report of [cascadeReport, rangeReport]) {
        for (const figure of report.sections.flatMap((s) => s.figures)) {
          const entries = catalogue.filter((e) => e.matches(figure.id));
          expect(entries.length, `${figure.id}: one schema entry`).toBe(1);
          expect(entries[0]!.columns, figure.id).toEqual(figure.columns.map((c) => c.name));
        }
      }
    });

    it('timeline: each stage shows its evidence as stored, every figure of it as path=value', async () => {
      const stages = figureOf(cascadeReport, 'timeline.stages');
      const stored = (await sql<{ stage: string; evidence: Record<string, unknown> }>`select stage, evidence from cascade_stages where cascade_id = ${cascadeReport.scope.cascadeId}`.execute(handle.db)).rows;
      expect(stages.rows.map((r) => r.stage).sort()).toEqual(stored.map((s) => s.stage).sort());
      expect(stored.length).toBeGreaterThanOrEqual(4);
      for (const { stage, evidence } of stored) {
        const shown = String(stages.rows.find((r) => r.stage === stage)!.evidence);
        // flattened here by walking the JSON: objects into dotted paths, lists and scalars as JSON values
        const leaves: [string, unknown][] = [];
        const walk = (prefix: string, value: unknown) => {
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
          else leaves.push([prefix, value]);
        };
        walk('', evidence);
        const pairs = shown.split('; ').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const);
        // in byte order of the paths (the SQL sorts with collation "C")
        expect(pairs.map(([path]) => path), stage).toEqual(leaves.map(([path]) => path).sort());
        for (const [path, text] of pairs) {
          const value = leaves.find(([p]) => p === path)![1];
          if (typeof value === 'string') expect(text, `${stage} ${path}`).toBe(value);
          else expect(JSON.parse(text), `${stage} ${path}`).toEqual(value);
        }
      }
    });

    it("ADL: the waves' haircut and overshoot as stored, and the summary's sums of them", async () => {
      const waves = figureOf(cascadeReport, 'adl.waves');
      const stored = await sql<{ wave_id: string; fills: number; needed: string | null; haircut: string | null; overshoot: string | null }>`
        select wave_id, fills, needed_budget_usd::text as needed, haircut_usd::text as haircut, overshoot_usd::text as overshoot
        from adl_waves where cascade_id = ${cascadeReport.scope.cascadeId} order by start_time`.execute(handle.db);
      expect(stored.rows.length).toBeGreaterThan(0);
      expect(waves.rows.map((r) => [r.wave_id, r.fills, trimDecimal(r.haircut_usd as string | null), trimDecimal(r.overshoot_usd as string | null)])).toEqual(
        stored.rows.map((w) => [w.wave_id, w.fills, trimDecimal(w.haircut), trimDecimal(w.overshoot)]),
      );
      // the simulator's venues mark every ADL fill, so every wave has a haircut and an overshoot = haircut − needed budget
      for (const w of stored.rows) expect(trimDecimal(w.overshoot)).toBe(decimalSum([w.haircut!, `-${w.needed!}`]));
      const glance = figureOf(cascadeReport, 'summary.analytics').rows[0]!;
      expect(trimDecimal(String(glance.adl_haircut_usd))).toBe(decimalSum(stored.rows.map((w) => w.haircut!)));
      expect(trimDecimal(String(glance.adl_overshoot_usd))).toBe(decimalSum(stored.rows.map((w) => w.overshoot!)));
      expect(glance.adl_waves).toBe(String(stored.rows.length));
    });

    it("oracle: verdict counts and dollars lost over the cascade's liquidations, as the checks hold them", async () => {
      const verdicts = figureOf(cascadeReport, 'oracle.verdicts');
      const checks = await sql<{ venue: string; verdict: string; lost: string | null }>`
        select c.venue, c.verdict, c.dollars_lost_usd::text as lost from liquidation_oracle_checks c
        join cascade_members m on m.liquidation_id = c.liquidation_id where m.cascade_id = ${cascadeReport.scope.cascadeId}`.execute(handle.db);
      const count = (venue: string, verdict: string) => String(checks.rows.filter((c) => c.venue === venue && c.verdict === verdict).length);
      for (const venue of ['gmx-v2', 'hyperliquid', 'dydx-v4']) {
        const rows = verdicts.rows.filter((r) => r.venue === venue);
        expect(rows.length, venue).toBeGreaterThan(0);
        for (const verdict of ['erroneous', 'borderline', 'justified', 'unknown'] as const) {
          expect(String(rows.reduce((n, r) => n + Number(r[verdict]), 0)), `${venue} ${verdict}`).toBe(count(venue, verdict));
        }
      }
      // GMX positions are judged by its margin rule: the simulated GMX liquidations get a verdict
      expect(verdicts.rows.filter((r) => r.venue === 'gmx-v2').reduce((n, r) => n + Number(r.justified) + Number(r.borderline), 0)).toBeGreaterThan(0);
      const reasons = figureOf(cascadeReport, 'oracle.reasons');
      expect(reasons.rows.reduce((n, r) => n + Number(r.liquidations), 0)).toBe(checks.rows.length);
    });

    it("cascade report: its liquidations are the cascade's members, and it has every section", async () => {
      const id = cascadeReport.scope.cascadeId!;
      const members = await sql<{ n: string }>`select count(*)::text as n from cascade_members where cascade_id = ${id}`.execute(handle.db);
      expect(cascadeReport.sections[0]!.figures[0]!.rows[0]!.liquidations).toBe(members.rows[0]!.n);
      expect(cascadeReport.sections.map((s) => s.id)).toEqual(['summary', 'timeline', 'liquidations', 'adl', 'oracle', 'microstructure', 'dynamics', 'comparison', 'methodology']);
      const comparison = cascadeReport.sections.find((s) => s.id === 'comparison')!.figures[0]!;
      expect(comparison.rows.filter((r) => r.origin === 'this report').map((r) => r.incident)).toEqual([id]);
      // the rule agrees with the seed article on both reference incidents
      for (const row of comparison.rows.filter((r) => String(r.origin).startsWith('published'))) expect(row.rule_class).toBe(row.published_class);
    });

    it('a range with no liquidation gives the short report that says so', async () => {
      const before = new Date(Date.parse(gt.scenario.start) - 3 * 3600_000);
      const report = await buildReport(handle.db, { from: before, to: new Date(before.getTime() + 3600_000) });
      expect(report.empty).toBe(true);
      expect(report.sections.map((s) => s.id)).toEqual(['summary', 'methodology']);
      expect(report.sections[0]!.paragraphs[0]).toMatch(/^No liquidation and no ADL fill between/);
      expect(report.sections[0]!.figures[0]!.rows[0]).toMatchObject({ liquidations: '0', adl_fills: '0' });
    });

    it('an unknown cascade id is a clear error naming it', async () => {
      const error = await buildReport(handle.db, { cascadeId: 'C-does-not-exist' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReportRequestError);
      expect((error as Error).message).toMatch(/^report: unknown cascade id "C-does-not-exist"; the latest are /);
    });
  });
});
