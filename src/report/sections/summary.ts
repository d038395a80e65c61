import type { Figure, Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/** The key figures of the scope, as one record, and the peak second and minute. */
export async function keyFigures(ctx: SectionContext): Promise<Figure> {
  return ctx.run({
    id: 'summary.key-figures',
    title: 'Key figures',
    caption: 'Liquidations and ADL fills in scope (canonical tables). Notional is the USD size closed; ADL share is ADL notional over liquidated plus ADL notional.',
    shape: 'record',
    sql: sqlText(`
      with l as (select * from liquidations l where ${ctx.q.liquidations('l')}),
           a as (select * from adl_events a where ${ctx.q.adl('a')})
      select (select count(*) from l) as liquidations,
             (select count(distinct (venue, account)) from l) as accounts,
             (select sum(size_usd) from l) as liquidated_usd,
             (select sum(size_usd) from l where side = 'long') as long_usd,
             (select sum(size_usd) from l where side = 'short') as short_usd,
             (select sum(bad_debt_usd) from l) as bad_debt_usd,
             (select count(*) from a) as adl_fills,
             (select sum(size_usd) from a) as adl_usd,
             (select sum(size_usd) from a) / nullif((select sum(size_usd) from l) + coalesce((select sum(size_usd) from a), 0), 0) * 100 as adl_share_pct,
             (select count(distinct venue) from (select venue from l union select venue from a) v) as venues,
             (select count(distinct asset) from (select asset from l union select asset from a) s) as assets,
             (select min(time) from l) as first_liquidation,
             (select min(time) from a) as first_adl,
             (select max(time) from (select time from l union all select time from a) e) as last_event`),
    columns: [
      { name: 'liquidations', label: 'liquidation fills', unit: 'count' },
      { name: 'accounts', label: 'accounts liquidated (venue, account)', unit: 'count' },
      { name: 'liquidated_usd', label: 'liquidated notional', unit: 'usd' },
      { name: 'long_usd', label: 'of which longs', unit: 'usd' },
      { name: 'short_usd', label: 'of which shorts', unit: 'usd' },
      { name: 'bad_debt_usd', label: 'bad debt reported by venues', unit: 'usd' },
      { name: 'adl_fills', label: 'ADL fills', unit: 'count' },
      { name: 'adl_usd', label: 'ADL notional', unit: 'usd' },
      { name: 'adl_share_pct', label: 'ADL share of notional', unit: 'pct' },
      { name: 'venues', unit: 'count' },
      { name: 'assets', unit: 'count' },
      { name: 'first_liquidation', label: 'first liquidation', unit: 'time' },
      { name: 'first_adl', label: 'first ADL', unit: 'time' },
      { name: 'last_event', label: 'last event', unit: 'time' },
    ],
  });
}

export async function peaks(ctx: SectionContext): Promise<Figure> {
  return ctx.run({
    id: 'summary.peaks',
    title: 'Peak second and peak minute',
    caption: 'The UTC second and minute with the most liquidated notional (liquidations only; ties go to the earlier).',
    shape: 'table',
    sql: sqlText(`
      with l as (select * from liquidations l where ${ctx.q.liquidations('l')})
      (select 'second' as bucket, date_trunc('second', time) as start_time, count(*) as liquidations, sum(size_usd) as usd
         from l group by 2 order by usd desc nulls last, start_time limit 1)
      union all
      (select 'minute', date_trunc('minute', time), count(*), sum(size_usd)
         from l group by 2 order by 4 desc nulls last, 2 limit 1)`),
    columns: [
      { name: 'bucket', unit: 'text' },
      { name: 'start_time', label: 'start', unit: 'time' },
      { name: 'liquidations', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
    ],
  });
}

/** Whether the key-figures record says the scope holds no liquidation and no ADL fill. */
export function isEmptyScope(key: Figure): boolean {
  const row = key.rows[0];
  return !row || (Number(row.liquidations) === 0 && Number(row.adl_fills) === 0);
}

export function summarySection(key: Figure, peaksFigure: Figure | null, more: readonly Figure[], paragraphs: string[]): Section {
  return {
    id: 'summary',
    title: 'Summary',
    paragraphs,
    figures: [key, ...(peaksFigure ? [peaksFigure] : []), ...more],
  };
}
