import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeSummary } from '../../src/analytics/analyze.ts';
import { cascadesStep } from '../../src/analytics/cascades/step.ts';
import { cascadeParamsSchema } from '../../src/analytics/params.ts';
import type { AnalysisStep } from '../../src/analytics/step.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { loadSimulation, scenarioName, simulate } from '../helpers/sim-store.ts';
import { expectedCascades, fillKey, gapClusters, numericText, truthFills, usdSum, type TruthFill } from './cascade-truth.ts';
import { resetStore } from './reset-store.ts';

/**
 * Cascades (episodes) against the simulator's ground truth, on every shipped scenario (split over two
 * files, cascades.test.ts and cascades-calm.test.ts, to keep each under a minute): each scenario is
 * simulated once per file and loaded through the real decoders into one database per store kind
 * (emptied between scenarios: opening PGlite costs seconds). Expectations come from the ground truth
 * alone (cascade-truth.ts): its trees, its fills clustered by the documented gap rule, its reference.
 */
/** The scenarios of cascades.test.ts; cascades-calm.test.ts takes the others (the split keeps each file under a minute). */
export const CASCADE_SCENARIOS: readonly string[] = ['oct-10-2025', 'two-shocks', 'black-thursday'];

const config = configSchema.parse({});
const params = cascadeParamsSchema.parse({});
/** Results per scenario on the first store, compared with the second's. */
const firstStoreResults = new Map<string, unknown>();

export function cascadeSuite(scenarios: readonly string[]): void {
  forEachDatabase((dbName, open) => {
    describe(`cascades on ${dbName}`, () => {
      let handle: LiqscopeDb;
      beforeAll(async () => {
        handle = await open();
      });
      afterAll(async () => {
        await handle?.close();
      });

      for (const scenario of scenarios) {
        describe(scenario, () => {
          let gt: GroundTruth;
          let fills: TruthFill[];
          let summary: AnalyzeSummary;
          /** Per ground-truth fill key, the cascade ids of the matching store rows (the view's cascade_id). */
          let cascadeOf: Map<string, (string | null)[]>;

          beforeAll(async () => {
            await resetStore(handle.db);
            ({ gt } = await loadSimulation(handle.db, simulate(scenario)));
            fills = truthFills(gt);
            summary = await analyze(handle.db, config, {});
            const { rows } = await sql<{ kind: string; venue: string; account: string | null; asset: string | null; side: string; time: Date; size: string; cascade_id: string | null }>`
              select kind, venue, account, asset, side, time, size::text as size, cascade_id from liquidation_events`.execute(handle.db);
            cascadeOf = new Map();
            for (const r of rows) {
              const key = fillKey({ kind: r.kind === 'liquidation' ? 'L' : 'A', venue: r.venue, account: r.account, asset: r.asset, side: r.side, timeMs: r.time.getTime(), size: r.size });
              (cascadeOf.get(key) ?? cascadeOf.set(key, []).get(key)!).push(r.cascade_id);
            }
          });

          it('stores every ground-truth fill (the comparison below is over all of them)', () => {
            const stored = [...cascadeOf.values()].reduce((n, list) => n + list.length, 0);
            expect(stored).toBe(fills.length);
            for (const f of fills) expect(cascadeOf.has(fillKey(f)), `${f.kind} ${f.id}`).toBe(true);
          });

          it('puts every liquidation of a ground-truth cascade tree with two or more members inside a detected cascade', () => {
            const treeSize = new Map(gt.cascades.map((c) => [c.id, c.size]));
            const inTrees = fills.filter((f) => f.kind === 'L' && (treeSize.get(f.tree!) ?? 0) >= 2);
            const inside = inTrees.filter((f) => cascadeOf.get(fillKey(f))!.every((id) => id !== null));
            const recall = inTrees.length === 0 ? 1 : inside.length / inTrees.length;
            expect(recall, `${inside.length} of ${inTrees.length} tree liquidations inside a cascade`).toBeGreaterThanOrEqual(0.95);
          });

          it('keeps the gap clusters of the ground truth that pass the documented thresholds', async () => {
            const expected = expectedCascades(gt, params);
            const { rows } = await sql<{ start_time: Date; end_time: Date }>`
              select start_time, end_time from cascades where scope = 'all' order by start_time`.execute(handle.db);
            const span = (startMs: number, endMs: number) => `${new Date(startMs).toISOString()} – ${new Date(endMs).toISOString()}`;
            const detected = new Set(rows.map((r) => span(r.start_time.getTime(), r.end_time.getTime())));
            const expectedSpans = new Set(expected.kept.map((c) => span(c.startMs, c.endMs)));
            const borderline = new Set(expected.borderline.map((c) => span(c.startMs, c.endMs)));
            // Precision: every detected cascade is a ground-truth cluster that passes the thresholds, with
            // its exact span (or one whose price move is within a hair of the threshold: either answer is right).
            expect([...detected].filter((s) => !expectedSpans.has(s) && !borderline.has(s))).toEqual([]);
            // Recall: every cluster holding a liquidation of a multi-member tree, and 95 % of all. (The
            // store sees the price only through trades and oracles: in a liquidity void nobody trades
            // and a late oracle can hide a move the simulator's mid made; docs/analytics.md.)
            const treeSize = new Map(gt.cascades.map((c) => [c.id, c.size]));
            const withTrees = expected.kept.filter((c) => c.fills.some((f) => f.kind === 'L' && (treeSize.get(f.tree!) ?? 0) >= 2));
            expect(withTrees.map((c) => span(c.startMs, c.endMs)).filter((s) => !detected.has(s))).toEqual([]);
            const found = expected.kept.filter((c) => detected.has(span(c.startMs, c.endMs))).length;
            expect(expected.kept.length === 0 ? 1 : found / expected.kept.length, `${found} of ${expected.kept.length} expected cascades`).toBeGreaterThanOrEqual(0.95);
            if (scenarioName(scenario).file === 'quiet-day') expect(detected.size).toBe(0);
            if (scenarioName(scenario).file === 'two-shocks') expect(detected.size).toBe(2);
          });

          it('stores, for every gap of the sweep, the clusters of the ground truth\'s fills', async () => {
          const { rows } = await sql<{ gap_ms: number; clusters: number; singletons: number; cascades: number; liquidations_in_cascades: number; max_liquidations: number | null; longest_seconds: number | null; is_default: boolean }>`
            select gap_ms, clusters, singletons, cascades, liquidations_in_cascades, max_liquidations, longest_seconds, is_default
              from cascade_gap_sweep where run_id = ${summary.runId} order by gap_ms`.execute(handle.db);
          const expected = [...new Set([...params.sweepGapsMs, params.gapMs])].sort((a, b) => a - b).map((gap) => {
            const clusters = gapClusters(fills, gap);
            const kept = clusters.filter((c) => {
              const liqs = c.filter((f) => f.kind === 'L');
              return liqs.length >= params.minLiquidations && Number(usdSum(liqs)) >= params.minNotionalUsd;
            });
            const liqsOf = (c: TruthFill[]) => c.filter((f) => f.kind === 'L').length;
            return {
              gap_ms: gap, clusters: clusters.length, singletons: clusters.filter((c) => c.length === 1).length, cascades: kept.length,
              liquidations_in_cascades: kept.reduce((n, c) => n + liqsOf(c), 0),
              max_liquidations: kept.length === 0 ? null : Math.max(...kept.map(liqsOf)),
              longest_seconds: kept.length === 0 ? null : Math.max(...kept.map((c) => (c.at(-1)!.timeMs - c[0]!.timeMs) / 1000)),
              is_default: gap === params.gapMs,
            };
          });
          expect(summary.runId === null ? [] : rows).toEqual(summary.runId === null ? [] : expected);
        });

        it('has, per cascade, the first ADL, the per-venue counts and the notional by side of its ground-truth fills', async () => {
            const { rows: cascades } = await sql<{ cascade_id: string; start_time: Date; end_time: Date; liquidations: number; liquidations_long: number; liquidations_short: number; liquidated_usd: string | null; liquidated_long_usd: string; liquidated_short_usd: string; adl_fills: number; adl_long_usd: string; adl_short_usd: string; first_liquidation: Date | null; first_adl: Date | null; accounts: number; adl_accounts: number; cross_margin_accounts: number; venues: string[] }>`
              select * from cascades where scope = 'all' order by start_time`.execute(handle.db);
            const { rows: perVenue } = await sql<{ cascade_id: string; venue: string; kind: string; fills: string; long_usd: string; short_usd: string; first_time: Date }>`
              select cascade_id, venue, kind, fills::text as fills, long_usd::text as long_usd, short_usd::text as short_usd, first_time from cascade_venues`.execute(handle.db);
            for (const c of cascades) {
              // The ground truth's fills of the cascade's span (clusters are separated by gaps, so the span is the cluster).
              const own = fills.filter((f) => f.timeMs >= c.start_time.getTime() && f.timeMs <= c.end_time.getTime());
              const liqs = own.filter((f) => f.kind === 'L');
              const adls = own.filter((f) => f.kind === 'A');
              const side = (list: TruthFill[], s: string) => list.filter((f) => f.side === s);
              const firstAdl = adls.length === 0 ? null : Math.min(...adls.map((f) => f.timeMs));
              expect({
                liquidations: c.liquidations, long: c.liquidations_long, short: c.liquidations_short,
                longUsd: numericText(c.liquidated_long_usd), shortUsd: numericText(c.liquidated_short_usd),
                adl: c.adl_fills, adlLongUsd: numericText(c.adl_long_usd), adlShortUsd: numericText(c.adl_short_usd),
                firstLiquidation: c.first_liquidation?.getTime() ?? null, firstAdl: c.first_adl?.getTime() ?? null,
                accounts: c.accounts, adlAccounts: c.adl_accounts, crossMarginAccounts: c.cross_margin_accounts, venues: c.venues,
              }, c.cascade_id).toEqual({
                liquidations: liqs.length, long: side(liqs, 'long').length, short: side(liqs, 'short').length,
                longUsd: usdSum(side(liqs, 'long')), shortUsd: usdSum(side(liqs, 'short')),
                adl: adls.length, adlLongUsd: usdSum(side(adls, 'long')), adlShortUsd: usdSum(side(adls, 'short')),
                firstLiquidation: liqs.length === 0 ? null : Math.min(...liqs.map((f) => f.timeMs)), firstAdl,
                accounts: new Set(liqs.map((f) => `${f.venue}|${f.account}`)).size, adlAccounts: new Set(adls.map((f) => `${f.venue}|${f.account}`)).size,
                crossMarginAccounts: crossMarginAccounts(liqs), venues: [...new Set(own.map((f) => f.venue))].sort(),
              });
              const venueRows = perVenue.filter((r) => r.cascade_id === c.cascade_id).map((r) => ({ venue: r.venue, kind: r.kind, fills: Number(r.fills), longUsd: numericText(r.long_usd), shortUsd: numericText(r.short_usd), first: r.first_time.getTime() }));
              const expectedVenues = [...new Set(own.map((f) => `${f.venue}|${f.kind}`))].map((k) => {
                const [venue, kind] = k.split('|') as [string, 'L' | 'A'];
                const list = own.filter((f) => f.venue === venue && f.kind === kind);
                return { venue, kind: kind === 'L' ? 'liquidation' : 'adl', fills: list.length, longUsd: usdSum(side(list, 'long')), shortUsd: usdSum(side(list, 'short')), first: Math.min(...list.map((f) => f.timeMs)) };
              });
              const order = (a: { venue: string; kind: string }, b: { venue: string; kind: string }) => `${a.venue}${a.kind}`.localeCompare(`${b.venue}${b.kind}`);
              expect(venueRows.sort(order), c.cascade_id).toEqual(expectedVenues.sort(order));
            }
            // The scenario's first ADL fill, whatever the venue, is the first ADL of the cascade it lies in.
            const adls = fills.filter((f) => f.kind === 'A');
            if (adls.length > 0) {
              const first = Math.min(...adls.map((f) => f.timeMs));
              const holding = cascades.find((c) => c.start_time.getTime() <= first && first <= c.end_time.getTime());
              if (holding) expect(holding.first_adl?.getTime()).toBe(first);
            }
          });

          // Once is enough (every scenario would cost seconds each): two-shocks has cascades, stages and ADL.
          if (scenario === 'two-shocks') it('re-running the range replaces its results in one transaction', async () => {
            const counts = async () => {
              const out: Record<string, number> = {};
              for (const table of ['cascades', 'cascade_members', 'cascade_adl_members', 'cascade_assets', 'cascade_stages']) {
                const { rows } = await sql<{ n: number }>`select count(*)::integer as n from ${sql.table(table)}`.execute(handle.db);
                out[table] = rows[0]!.n;
              }
              return out;
            };
            const results = async () => (await sql<Record<string, unknown>>`
              select cascade_id, start_time, end_time, liquidations, liquidated_usd::text, adl_usd::text, first_adl, peak_second, peak_minute,
                     price_move_pct, hawkes_n, (select count(*)::integer from cascade_members m where m.cascade_id = c.cascade_id) as members,
                     (select string_agg(stage || '@' || start_time::text || '-' || end_time::text, ',' order by stage) from cascade_stages s where s.cascade_id = c.cascade_id) as stages
                from cascades c order by start_time`.execute(handle.db)).rows;
            const before = await counts();
            const beforeResults = await results();
            const again = await analyze(handle.db, config, { from: summary.from!, to: summary.to! });
            expect(again.runId).not.toBe(summary.runId);
            expect(await counts()).toEqual(before);
            expect(await results()).toEqual(beforeResults);
            const { rows: runs } = await sql<{ run_id: string }>`select distinct run_id::text as run_id from cascades`.execute(handle.db);
            expect(runs.map((r) => r.run_id)).toEqual(before.cascades === 0 ? [] : [again.runId]);

            // A step failing after the cascades' deletes and inserts rolls the whole run back.
            const failing: AnalysisStep<unknown> = { name: 'fails', after: ['cascades'], run: async () => { throw new Error('step failed on purpose'); } };
            await expect(analyze(handle.db, config, { from: summary.from!, to: summary.to!, registry: [cascadesStep, failing] })).rejects.toThrow('step failed on purpose');
            expect(await counts()).toEqual(before);
            const { rows: after } = await sql<{ run_id: string }>`select distinct run_id::text as run_id from cascades`.execute(handle.db);
            expect(after).toEqual(runs);
            const { rows: runRows } = await sql<{ n: number }>`select count(*)::integer as n from analysis_runs`.execute(handle.db);
            expect(runRows[0]!.n).toBe(2);
            summary = again;
          });

          if (scenario === 'two-shocks') it('checks what it is asked, and keeps a venue-limited run beside the full one', async () => {
            await expect(analyze(handle.db, config, { venues: ['hyperliquidd'] })).rejects.toThrow(/^analyze: unknown venue "hyperliquidd" \(the store has: .*hyperliquid.*\)$/);
            await expect(analyze(handle.db, config, { assets: ['NOPE'] })).rejects.toThrow(/^analyze: unknown asset "NOPE"/);
            await expect(analyze(handle.db, config, { from: summary.to!, to: summary.from! })).rejects.toThrow('is not before --to');
            await expect(analyze(handle.db, config, { steps: ['cascade'] })).rejects.toThrow('analyze: unknown step "cascade"');

            const before = (await sql<{ cascade_id: string }>`select cascade_id from liquidation_events where cascade_id is not null order by id, kind`.execute(handle.db)).rows;
            const limited = await analyze(handle.db, config, { venues: ['hyperliquid'], steps: ['cascades'] });
            expect(limited.scope).toBe('venues=hyperliquid');
            const { rows } = await sql<{ cascade_id: string; start_time: Date; end_time: Date; liquidations: number; venues: string[] }>`
              select cascade_id, start_time, end_time, liquidations, venues from cascades where scope = 'venues=hyperliquid' order by start_time`.execute(handle.db);
            const hyperliquid = fills.filter((f) => f.venue === 'hyperliquid');
            expect(rows.length).toBeGreaterThan(0);
            for (const c of rows) {
              expect(c.cascade_id).toMatch(/^C-.*Z@venues=hyperliquid$/);
              expect(c.venues).toEqual(['hyperliquid']);
              expect(c.liquidations).toBe(hyperliquid.filter((f) => f.kind === 'L' && f.timeMs >= c.start_time.getTime() && f.timeMs <= c.end_time.getTime()).length);
            }
            // The full run's cascades are untouched, and the views still read them.
            const { rows: full } = await sql<{ n: number }>`select count(*)::integer as n from cascades where scope = 'all'`.execute(handle.db);
            expect(full[0]!.n).toBe(2);
            expect((await sql<{ cascade_id: string }>`select cascade_id from liquidation_events where cascade_id is not null order by id, kind`.execute(handle.db)).rows).toEqual(before);
            await sql`delete from cascades where scope <> 'all'`.execute(handle.db);
          });

          it('gives the same results on every store', async () => {
            const { rows } = await sql<Record<string, unknown>>`
              select c.cascade_id, c.start_time, c.end_time, c.liquidations, c.liquidated_usd::text as usd, c.adl_fills, c.first_adl, c.peak_second,
                     c.peak_second_usd::text as peak_second_usd, c.peak_minute, round(c.price_move_pct::numeric, 9)::text as move,
                     round(c.max_drawdown_pct::numeric, 9)::text as drawdown, round(c.hawkes_n::numeric, 6)::text as hawkes_n, c.flags,
                     (select string_agg(stage || '@' || start_time::text || '-' || end_time::text, ',' order by stage) from cascade_stages s where s.cascade_id = c.cascade_id) as stages
                from cascades c order by start_time`.execute(handle.db);
            const { rows: sweep } = await sql<Record<string, unknown>>`
              select gap_ms, clusters, singletons, cascades, liquidations_in_cascades from cascade_gap_sweep where run_id = ${summary.runId} order by gap_ms`.execute(handle.db);
            const snapshot = { cascades: rows.map((r) => ({ ...r })), sweep };
            const first = firstStoreResults.get(scenario);
            if (first === undefined) firstStoreResults.set(scenario, snapshot);
            else expect(snapshot).toEqual(first);
          });
        });
      }
    });
  });
}

/** Accounts (per venue) with two or more positions (market and side) among the fills, counted by hand. */
function crossMarginAccounts(liquidations: readonly TruthFill[]): number {
  const positions = new Map<string, Set<string>>();
  for (const f of liquidations) {
    const key = `${f.venue}|${f.account}`;
    (positions.get(key) ?? positions.set(key, new Set()).get(key)!).add(`${f.asset}|${f.side}`);
  }
  return [...positions.values()].filter((p) => p.size >= 2).length;
}
