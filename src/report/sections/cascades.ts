import type { Figure } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * The cascades analytics found in scope (`cascades`): one record for a cascade report, a list for a
 * range. Read as stored: spans, peaks, drawdown and the Hawkes branching ratio are analytics' figures.
 */
export function cascadesInScope(ctx: SectionContext): Promise<Figure> {
  const single = ctx.scope.cascadeId !== null;
  return ctx.run({
    id: 'summary.cascades',
    title: single ? 'The cascade as analytics recorded it' : 'Cascades found in the range',
    caption:
      'From the cascades table written by `liqscope analyze` (time-gap clustering of liquidations and ADL fills across venues and assets, kept when it passes the count, notional and price-move thresholds recorded in its params).',
    shape: single ? 'record' : 'table',
    sql: sqlText(`
      select c.cascade_id, c.start_time, c.end_time, c.duration_seconds, array_to_string(c.venues, ', ') as venues,
             array_to_string(c.assets, ', ') as assets, c.liquidations, c.accounts, c.liquidated_usd, c.adl_fills, c.adl_usd,
             c.adl_share, c.first_adl, c.adl_delay_seconds, c.peak_second, c.peak_second_usd, c.peak_minute, c.peak_minute_usd,
             c.max_drawdown_pct, c.max_drawdown_asset, c.price_move_pct, c.hawkes_n
      from cascades c where ${ctx.q.cascades('c')}
      order by c.start_time, c.cascade_id`),
    columns: [
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'start_time', label: 'start', unit: 'time' },
      { name: 'end_time', label: 'end', unit: 'time' },
      { name: 'duration_seconds', label: 'duration (s)', unit: 'seconds' },
      { name: 'venues', unit: 'text' },
      { name: 'assets', unit: 'text' },
      { name: 'liquidations', label: 'liquidation fills', unit: 'count' },
      { name: 'accounts', label: 'accounts', unit: 'count' },
      { name: 'liquidated_usd', label: 'liquidated', unit: 'usd' },
      { name: 'adl_fills', label: 'ADL fills', unit: 'count' },
      { name: 'adl_usd', label: 'ADL notional', unit: 'usd' },
      { name: 'adl_share', label: 'ADL share', unit: 'ratio' },
      { name: 'first_adl', label: 'first ADL', unit: 'time' },
      { name: 'adl_delay_seconds', label: 'first ADL after first liquidation (s)', unit: 'seconds' },
      { name: 'peak_second', label: 'peak second', unit: 'time' },
      { name: 'peak_second_usd', label: 'peak second notional', unit: 'usd' },
      { name: 'peak_minute', label: 'peak minute', unit: 'time' },
      { name: 'peak_minute_usd', label: 'peak minute notional', unit: 'usd' },
      { name: 'max_drawdown_pct', label: 'largest drawdown (%)', unit: 'pct' },
      { name: 'max_drawdown_asset', label: 'of asset', unit: 'text' },
      { name: 'price_move_pct', label: 'price move (%)', unit: 'pct' },
      { name: 'hawkes_n', label: 'Hawkes branching ratio n', unit: 'ratio' },
    ],
  });
}
