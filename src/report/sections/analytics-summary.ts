import type { ColumnSpec, Figure } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * What analytics found in scope, at a glance: cascades, ADL waves with their needed budget, haircut
 * and overshoot, the oracle verdicts with the dollars lost, and the oracle episodes. Counts and sums of
 * the analytics tables' rows (each is broken down in its section); null for a table this database
 * does not have. Null when no analytics table exists at all.
 */
export async function analyticsAtAGlance(ctx: SectionContext): Promise<Figure | null> {
  const q = ctx.q;
  const parts: string[] = [];
  const columns: ColumnSpec[] = [];
  if (ctx.has('cascades')) {
    parts.push(`(select count(*) from cascades c where ${q.cascades('c')}) as cascades`);
    columns.push({ name: 'cascades', label: 'cascades', unit: 'count' });
  }
  if (ctx.has('adl_waves')) {
    const waves = `from adl_waves w where ${q.adlWaves('w')}`;
    parts.push(
      `(select count(*) ${waves}) as adl_waves`,
      `(select sum(w.needed_budget_usd) ${waves}) as adl_needed_budget_usd`,
      `(select sum(w.haircut_usd) ${waves}) as adl_haircut_usd`,
      `(select sum(w.overshoot_usd) ${waves}) as adl_overshoot_usd`,
    );
    columns.push(
      { name: 'adl_waves', label: 'ADL waves', unit: 'count' },
      { name: 'adl_needed_budget_usd', label: 'ADL needed budget', unit: 'usd' },
      { name: 'adl_haircut_usd', label: 'ADL haircut', unit: 'usd' },
      { name: 'adl_overshoot_usd', label: 'ADL overshoot (waves where known)', unit: 'usd' },
    );
  }
  if (ctx.has('liquidation_oracle_checks')) {
    const checks = `from liquidations l join liquidation_oracle_checks c on c.liquidation_id = l.id where ${q.liquidations('l')}`;
    parts.push(
      `(select count(*) ${checks}) as liquidations_checked`,
      `(select count(*) ${checks} and c.verdict = 'erroneous') as erroneous`,
      `(select count(*) ${checks} and c.verdict = 'borderline') as borderline`,
      `(select coalesce(sum(c.dollars_lost_usd), 0) ${checks} and c.verdict = 'erroneous') as dollars_lost_usd`,
    );
    columns.push(
      { name: 'liquidations_checked', label: 'liquidations checked against the reference price', unit: 'count' },
      { name: 'erroneous', label: 'erroneous at the reference price', unit: 'count' },
      { name: 'borderline', label: 'borderline', unit: 'count' },
      { name: 'dollars_lost_usd', label: 'dollars lost to erroneous liquidations', unit: 'usd' },
    );
  }
  if (ctx.has('oracle_episodes')) {
    const episodes = `from oracle_episodes e where e.start_time < ${q.windowTo} and coalesce(e.end_time, e.start_time) >= ${q.windowFrom}${q.narrowAsset('e')}`;
    parts.push(`(select count(*) ${episodes} and e.kind = 'deviation') as deviation_episodes`, `(select count(*) ${episodes} and e.kind = 'stale') as stale_windows`);
    columns.push({ name: 'deviation_episodes', label: 'oracle deviation episodes in the window', unit: 'count' }, { name: 'stale_windows', label: 'oracle stale windows in the window', unit: 'count' });
  }
  if (parts.length === 0) return null;
  return ctx.run({
    id: 'summary.analytics',
    title: 'What analytics found',
    caption: 'Counts and sums of the rows `liqscope analyze` wrote for this scope; each is broken down, with its method, in its section below.',
    shape: 'record',
    sql: sqlText(`
      select ${parts.join(',\n             ')}`),
    columns,
  });
}
