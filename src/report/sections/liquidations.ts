import type { Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * Liquidations by venue, asset and side, the largest accounts, per second and cumulative: plain
 * aggregates of the canonical `liquidations` table (no analytics involved), so they are computed here.
 */
export async function liquidationsSection(ctx: SectionContext): Promise<Section> {
  const where = ctx.q.liquidations('l');
  const scoped = `with scope as (select * from liquidations l where ${where})`;
  const totals = `count(*) as liquidations, count(distinct account) as accounts, sum(size_usd) as usd,
         sum(size_usd) filter (where side = 'long') as long_usd, sum(size_usd) filter (where side = 'short') as short_usd,
         sum(bad_debt_usd) as bad_debt_usd`;
  const totalColumns = [
    { name: 'liquidations', unit: 'count' },
    { name: 'accounts', unit: 'count' },
    { name: 'usd', label: 'notional', unit: 'usd' },
    { name: 'long_usd', label: 'longs', unit: 'usd' },
    { name: 'short_usd', label: 'shorts', unit: 'usd' },
    { name: 'bad_debt_usd', label: 'bad debt', unit: 'usd' },
  ] as const;

  const byVenue = await ctx.run({
    id: 'liquidations.by-venue',
    title: 'Liquidations by venue',
    caption: 'Fills (a partial liquidation is one row), distinct accounts and notional closed, split by the side of the liquidated position. Bad debt where the venue reports it.',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select venue, ${totals}
      from scope group by venue order by usd desc nulls last, venue`),
    columns: [{ name: 'venue', unit: 'text' }, ...totalColumns],
  });
  const byAsset = await ctx.run({
    id: 'liquidations.by-asset',
    title: 'Liquidations by asset',
    caption: 'Canonical assets across venues (WETH and ETH are one asset); NULL for markets liqscope does not know.',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select asset, count(distinct venue) as venues, ${totals}
      from scope group by asset order by usd desc nulls last, asset`),
    columns: [{ name: 'asset', unit: 'text' }, { name: 'venues', unit: 'count' }, ...totalColumns],
  });
  const bySide = await ctx.run({
    id: 'liquidations.by-side',
    title: 'Liquidations by side',
    caption: 'Side of the liquidated position; "unknown" where the venue does not say (Synthetix v3 full liquidations).',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select coalesce(side, 'unknown') as side, count(*) as liquidations, count(distinct account) as accounts, sum(size_usd) as usd,
             sum(pnl_usd) as pnl_usd, sum(bad_debt_usd) as bad_debt_usd
      from scope group by 1 order by usd desc nulls last, side`),
    columns: [
      { name: 'side', unit: 'text' },
      { name: 'liquidations', unit: 'count' },
      { name: 'accounts', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
      { name: 'pnl_usd', label: 'realised PnL', unit: 'usd' },
      { name: 'bad_debt_usd', label: 'bad debt', unit: 'usd' },
    ],
  });
  const largest = await ctx.run({
    id: 'liquidations.largest-accounts',
    title: 'Largest liquidated accounts',
    caption: 'The ten accounts with the most notional liquidated, per venue (an account id means nothing across venues).',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select venue, account, count(*) as fills, array_to_string(array_agg(distinct asset order by asset), ', ') as assets,
             sum(size_usd) as usd, sum(bad_debt_usd) as bad_debt_usd, min(time) as first_time, max(time) as last_time
      from scope group by venue, account order by usd desc nulls last, venue, account limit 10`),
    columns: [
      { name: 'venue', unit: 'text' },
      { name: 'account', unit: 'text' },
      { name: 'fills', unit: 'count' },
      { name: 'assets', unit: 'text' },
      { name: 'usd', label: 'notional', unit: 'usd' },
      { name: 'bad_debt_usd', label: 'bad debt', unit: 'usd' },
      { name: 'first_time', label: 'first', unit: 'time' },
      { name: 'last_time', label: 'last', unit: 'time' },
    ],
  });
  const perSecond = await ctx.run({
    id: 'liquidations.per-second',
    title: 'Liquidations per second, by venue and side',
    caption: 'Liquidation fills in each UTC second, stacked by venue and side of the liquidated position.',
    shape: 'series',
    sql: sqlText(`
      ${scoped}
      select date_trunc('second', time) as second, venue, coalesce(side, 'unknown') as side, count(*) as liquidations, sum(size_usd) as usd
      from scope group by 1, 2, 3 order by 1, 2, 3`),
    columns: [
      { name: 'second', unit: 'time' },
      { name: 'venue', unit: 'text' },
      { name: 'side', unit: 'text' },
      { name: 'liquidations', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
    ],
    chart: { type: 'time-stacked-bars', x: 'second', y: 'liquidations', seriesBy: ['venue', 'side'], yLabel: 'liquidations per second', yUnit: 'count', bucketSeconds: 1 },
  });
  const cumulative = await ctx.run({
    id: 'liquidations.cumulative-notional',
    title: 'Cumulative liquidated notional, by venue',
    caption: 'Running total of the notional liquidated, per venue, second by second.',
    shape: 'series',
    sql: sqlText(`
      ${scoped}
      select date_trunc('second', time) as second, venue,
             sum(sum(size_usd)) over (partition by venue order by date_trunc('second', time)) as cumulative_usd
      from scope group by 1, 2 order by 1, 2`),
    columns: [
      { name: 'second', unit: 'time' },
      { name: 'venue', unit: 'text' },
      { name: 'cumulative_usd', label: 'cumulative notional', unit: 'usd' },
    ],
    chart: { type: 'time-lines', x: 'second', y: 'cumulative_usd', seriesBy: ['venue'], yLabel: 'USD', yUnit: 'usd', step: true },
  });
  return {
    id: 'liquidations',
    title: 'Liquidations by venue, asset and side',
    paragraphs: ctx.scope.cascadeId
      ? ["The cascade's liquidations as analytics assigned them (cascade_members), read from the canonical liquidations table."]
      : ['Every liquidation in the range, read from the canonical liquidations table.'],
    figures: [byVenue, byAsset, bySide, largest, perSecond, cumulative],
  };
}
