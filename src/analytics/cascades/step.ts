import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { TradingWindows } from '../depth/load-trading.ts';
import { cascadeParamsSchema, type CascadeParams } from '../params.ts';
import { ReferencePrices, type PriceWindow } from '../prices/load-reference.ts';
import { scopeKey } from '../scope.ts';
import type { AnalysisScope, AnalysisStep } from '../step.ts';
import { insertAggregates, writeKept } from './aggregates.ts';
import { candidateClusters, createClusteredEvents, gapSweep, type ClusterSummary } from './cluster.ts';
import { loadClusterFacts } from './cluster-facts.ts';
import { describeCascade, type CascadeDetail } from './describe.ts';
import { candidateMoves } from './price-test.ts';
import { writeDetails } from './write-details.ts';

/**
 * Episodes (cascades): time-gap clusters of liquidations and ADL fills across venues and assets, kept
 * when they pass the count, notional and price-move tests, with per cascade its figures, its assets'
 * price paths and depth proxies, its stages and its Hawkes fit (docs/analytics.md).
 */
export const cascadesStep: AnalysisStep<unknown> = {
  name: 'cascades',
  async run(trx, scope, rawParams) {
    const params = cascadeParamsSchema.parse(rawParams ?? {});
    return runCascades(trx, scope, params);
  },
};

/** The id a report can cite: the cascade's first event, and the scope when the run was limited. */
export function cascadeId(startMs: number, scope: string): string {
  const id = `C-${new Date(startMs).toISOString()}`;
  return scope === 'all' ? id : `${id}@${scope}`;
}

async function runCascades(trx: Transaction<Database>, scope: AnalysisScope, params: CascadeParams): Promise<Record<string, unknown>> {
  const started = performance.now();
  const key = scopeKey(scope.venues, scope.assets);
  const deleted = await sql`delete from cascades where scope = ${key} and start_time < ${scope.to} and end_time >= ${scope.from}`.execute(trx);
  const sweepGaps = [...params.sweepGapsMs, params.gapMs];
  const events = await createClusteredEvents(trx, scope, params.gapMs, Math.min(...sweepGaps));

  const sweep = await gapSweep(trx, sweepGaps, params.minLiquidations, params.minNotionalUsd);
  for (const row of sweep) {
    await sql`insert into cascade_gap_sweep (run_id, gap_ms, clusters, singletons, cascades, liquidations_in_cascades, share_in_cascades, median_liquidations, max_liquidations, longest_seconds, is_default)
      values (${scope.runId}, ${row.gapMs}, ${row.clusters}, ${row.singletons}, ${row.cascades}, ${row.liquidationsInCascades}, ${row.shareInCascades}, ${row.medianLiquidations}, ${row.maxLiquidations}, ${row.longestSeconds}, ${row.gapMs === params.gapMs})`.execute(trx);
  }

  const candidates = await candidateClusters(trx, params.minLiquidations, params.minNotionalUsd);
  // Prices and trades are canonical tables: read on the run's snapshot reader where there is one, so
  // that these reads do not queue behind the oracle step's writes on the transaction's connection.
  const canonical = scope.reader ?? trx;
  const st = params.stages;
  const reachBack = Math.max(params.priceMoveLookbackSeconds, st.triggerLookbackSeconds + st.baselineSeconds) + 1;
  const reachAhead = Math.max(st.recoveryHorizonSeconds, 2 * st.windowSeconds) + 1;

  // The price test, over short windows visited one span at a time (there may be thousands of candidates).
  const moves = await candidateMoves(canonical, candidates, params);
  const kept: { c: ClusterSummary; id: string; move: number | null; previousEndMs: number | null }[] = [];
  let droppedByMove = 0;
  for (const c of candidates) {
    const move = moves.get(c.cluster) ?? null;
    if (move !== null && move < params.minPriceMovePct) {
      droppedByMove++;
      continue;
    }
    kept.push({ c, id: cascadeId(c.startMs, key), move, previousEndMs: kept.at(-1)?.c.endMs ?? null });
  }

  // The kept cascades' prices over everything their description reads: baselines, recovery horizon.
  const windows: PriceWindow[] = kept.flatMap(({ c }) =>
    c.assets.map((asset) => ({ asset, fromSecond: Math.floor(c.startMs / 1000) - reachBack, toSecond: Math.floor(c.endMs / 1000) + reachAhead })),
  );
  const prices = await ReferencePrices.load(canonical, windows, params.reference);

  const paramsJson = JSON.stringify({ ...params, scope: key });
  await writeKept(trx, kept.map((k) => ({ cluster: k.c.cluster, cascadeId: k.id })));
  await insertAggregates(trx, scope.runId, key, paramsJson);

  // Trading from the earliest baseline to the end of the latest void window, once per asset.
  const trading = await TradingWindows.load(
    canonical,
    kept.flatMap((k) => k.c.assets.map((asset) => ({ asset, fromSecond: Math.floor(k.c.startMs / 1000) - reachBack, toSecond: Math.floor(k.c.endMs / 1000) + st.windowSeconds + 2 }))),
    prices,
  );
  const details: { id: string; detail: CascadeDetail }[] = [];
  // Each cascade's disturbed span (its trigger to the end of its trailing window), kept out of the
  // liquidity baselines of the cascades after it.
  const disturbed: [number, number][] = [];
  const facts = await loadClusterFacts(trx, st.bucketSeconds, params.hawkes.lookbackSeconds);
  for (const k of kept) {
    const detail = await describeCascade(trx, k.c, facts.get(k.c.cluster)!, k.previousEndMs, disturbed, k.move, params, prices, trading, reachBack, reachAhead, scope);
    details.push({ id: k.id, detail });
    disturbed.push([detail.triggerStartSecond, Math.floor(k.c.endMs / 1000) + st.windowSeconds]);
  }
  await writeDetails(trx, details);
  const stagesWritten = details.reduce((n, d) => n + d.detail.stages.length, 0);
  const hawkesFitted = details.filter((d) => d.detail.hawkes.status === 'fitted').length;

  return {
    events,
    deletedCascades: Number(deleted.numAffectedRows ?? 0),
    clusters: sweep.find((s) => s.gapMs === params.gapMs)?.clusters ?? 0,
    candidates: candidates.length,
    droppedByPriceMove: droppedByMove,
    cascades: kept.length,
    stages: stagesWritten,
    hawkesFitted,
    gapMs: params.gapMs,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
}
