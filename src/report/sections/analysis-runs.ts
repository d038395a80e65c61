import type { Figure } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';
import { anyOf } from '../sql-literal.ts';

/**
 * The analysis behind the analytics figures: the `liqscope analyze` runs that wrote the scope's
 * cascades (or that covered the range), with their parameters, and the run's gap sweep (how the
 * cascades found depend on the clustering gap).
 */
export async function analysisRunFigures(ctx: SectionContext): Promise<Figure[]> {
  if (!ctx.has('analysis_runs') || !ctx.has('cascades')) return [];
  const runsOfScope = `select c.run_id from cascades c where ${ctx.q.cascades('c')}`;
  const overlaps = `r.range_from < ${ctx.q.to} and r.range_to >= ${ctx.q.from}`;
  const runs = await ctx.run({
    id: 'methodology.analysis-runs',
    title: 'Analysis runs behind the analytics figures',
    caption: 'The runs of `liqscope analyze` that wrote the cascades in scope, or whose range overlaps the report range (the latest five), with the parameters every analytics figure was computed with.',
    shape: 'table',
    sql: sqlText(`
      select r.id as run_id, r.started_at, r.finished_at, r.range_from, r.range_to, r.scope, r.params::text as params
      from analysis_runs r
      where r.id in (${runsOfScope})
         or (${overlaps})
      order by r.id desc limit 5`),
    columns: [
      { name: 'run_id', label: 'run', unit: 'text' },
      { name: 'started_at', label: 'started', unit: 'time' },
      { name: 'finished_at', label: 'finished', unit: 'time' },
      { name: 'range_from', label: 'range from', unit: 'time' },
      { name: 'range_to', label: 'range to', unit: 'time' },
      { name: 'scope', unit: 'text' },
      { name: 'params', unit: 'text' },
    ],
  });
  if (!ctx.has('cascade_gap_sweep')) return [runs];
  const sweep = await ctx.run({
    id: 'methodology.gap-sweep',
    title: 'Sensitivity of the cascades to the clustering gap',
    caption:
      "How the clusters depend on the time gap that separates them (250 ms to 10 s), as swept by the run that wrote the cascades in scope (else the latest run over the range): clusters, cascades kept, the share of liquidations inside cascades, and their size. The gap used is marked.",
    shape: 'table',
    sql: sqlText(`
      select s.run_id, s.gap_ms, s.is_default, s.clusters, s.singletons, s.cascades, s.liquidations_in_cascades, s.share_in_cascades,
             s.median_liquidations, s.max_liquidations, s.longest_seconds
      from cascade_gap_sweep s
      where s.run_id = coalesce((select max(run_id) from (${runsOfScope}) r),
                                (select max(r.id) from analysis_runs r where ${overlaps}))
      order by s.gap_ms`),
    columns: [
      { name: 'run_id', label: 'run', unit: 'text' },
      { name: 'gap_ms', label: 'gap (ms)', unit: 'count' },
      { name: 'is_default', label: 'used', unit: 'text' },
      { name: 'clusters', unit: 'count' },
      { name: 'singletons', unit: 'count' },
      { name: 'cascades', unit: 'count' },
      { name: 'liquidations_in_cascades', label: 'liquidations in cascades', unit: 'count' },
      { name: 'share_in_cascades', label: 'share in cascades', unit: 'ratio' },
      { name: 'median_liquidations', label: 'median size', unit: 'number' },
      { name: 'max_liquidations', label: 'largest', unit: 'count' },
      { name: 'longest_seconds', label: 'longest (s)', unit: 'seconds' },
    ],
  });
  if (!ctx.has('adl_gap_sweep')) return [runs, sweep];
  const adlSweep = await ctx.run({
    id: 'methodology.adl-gap-sweep',
    title: 'Sensitivity of the ADL waves to their gap',
    caption: 'The same sweep for the ADL waves, per venue: waves found and their size at each gap. The gap used is marked.',
    shape: 'table',
    sql: sqlText(`
      select s.run_id, s.venue, s.gap_ms, s.is_default, s.waves, s.median_fills, s.max_fills, s.median_seconds
      from adl_gap_sweep s
      where s.run_id = coalesce((select max(run_id) from (${runsOfScope}) r),
                                (select max(r.id) from analysis_runs r where ${overlaps}))${anyOf('s.venue', ctx.scope.venues)}
      order by s.venue, s.gap_ms`),
    columns: [
      { name: 'run_id', label: 'run', unit: 'text' },
      { name: 'venue', unit: 'text' },
      { name: 'gap_ms', label: 'gap (ms)', unit: 'count' },
      { name: 'is_default', label: 'used', unit: 'text' },
      { name: 'waves', unit: 'count' },
      { name: 'median_fills', label: 'median fills', unit: 'number' },
      { name: 'max_fills', label: 'largest', unit: 'count' },
      { name: 'median_seconds', label: 'median duration (s)', unit: 'seconds' },
    ],
  });
  return [runs, sweep, ...(adlSweep.rows.length > 0 ? [adlSweep] : [])];
}
