import type { Figure } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * Per cascade and asset, the price move and the liquidity proxies before and during, as analytics
 * computed them from the reference price and trade bars (`cascade_assets`): drawdown and recovery,
 * price impact per $1M liquidated, Kyle's λ, Amihud illiquidity, Roll spread, trading rate.
 */
export async function cascadeAssetFigures(ctx: SectionContext): Promise<Figure[]> {
  if (!ctx.has('cascade_assets')) return [];
  const where = `${ctx.q.cascades('c')}${ctx.q.narrowAsset('ca')}`;
  const prices = await ctx.run({
    id: 'microstructure.price-moves',
    title: 'Price move and recovery per asset',
    caption:
      "The asset's reference price (recorded in price_sources) before the cascade, its low and high during it, the drawdown, and how much of the drawdown it had won back by the end of analytics' recovery horizon (recovered), with the time it first won back half.",
    shape: 'table',
    sql: sqlText(`
      select ca.cascade_id, ca.asset, array_to_string(ca.price_sources, ', ') as price_sources, ca.price_before, ca.price_low, ca.price_low_time,
             ca.price_high, ca.drawdown_pct, ca.runup_pct, ca.move_pct, ca.recovered_pct, ca.recovered_half_at, ca.price_after
      from cascade_assets ca join cascades c on c.cascade_id = ca.cascade_id
      where ${where}
      order by c.start_time, ca.cascade_id, ca.liquidated_usd desc nulls last, ca.asset`),
    columns: [
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'price_sources', label: 'reference from', unit: 'text' },
      { name: 'price_before', label: 'before', unit: 'price' },
      { name: 'price_low', label: 'low', unit: 'price' },
      { name: 'price_low_time', label: 'low at', unit: 'time' },
      { name: 'price_high', label: 'high', unit: 'price' },
      { name: 'drawdown_pct', label: 'drawdown (%)', unit: 'pct' },
      { name: 'runup_pct', label: 'run-up (%)', unit: 'pct' },
      { name: 'move_pct', label: 'move (%)', unit: 'pct' },
      { name: 'recovered_pct', label: 'recovered (%)', unit: 'pct' },
      { name: 'recovered_half_at', label: 'half recovered at', unit: 'time' },
      { name: 'price_after', label: 'after', unit: 'price' },
    ],
  });
  const liquidity = await ctx.run({
    id: 'microstructure.liquidity',
    title: 'Liquidity before and during',
    caption:
      "Depth proxies from trade bars, in the pre-cascade baseline window and during the cascade: price impact per $1M liquidated, Kyle's λ (regression of returns on signed flow), Amihud illiquidity (mean |return| per dollar traded), Roll's spread estimate, and the trading rate. A rise from before to during is the market getting thinner.",
    shape: 'table',
    sql: sqlText(`
      select ca.cascade_id, ca.asset, ca.impact_pct_per_musd, ca.kyle_lambda_before, ca.kyle_lambda_during, ca.amihud_before, ca.amihud_during,
             ca.roll_spread_bps_before, ca.roll_spread_bps_during, ca.trades_per_minute_before, ca.trades_per_minute_during,
             ca.volume_usd_per_minute_before, ca.volume_usd_per_minute_during
      from cascade_assets ca join cascades c on c.cascade_id = ca.cascade_id
      where ${where}
      order by c.start_time, ca.cascade_id, ca.liquidated_usd desc nulls last, ca.asset`),
    columns: [
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'impact_pct_per_musd', label: 'impact % per $1M', unit: 'number' },
      { name: 'kyle_lambda_before', label: 'Kyle λ before', unit: 'number' },
      { name: 'kyle_lambda_during', label: 'Kyle λ during', unit: 'number' },
      { name: 'amihud_before', label: 'Amihud before', unit: 'number' },
      { name: 'amihud_during', label: 'Amihud during', unit: 'number' },
      { name: 'roll_spread_bps_before', label: 'Roll spread bps before', unit: 'bps' },
      { name: 'roll_spread_bps_during', label: 'Roll spread bps during', unit: 'bps' },
      { name: 'trades_per_minute_before', label: 'trades/min before', unit: 'number' },
      { name: 'trades_per_minute_during', label: 'trades/min during', unit: 'number' },
      { name: 'volume_usd_per_minute_before', label: 'volume/min before', unit: 'usd' },
      { name: 'volume_usd_per_minute_during', label: 'volume/min during', unit: 'usd' },
    ],
  });
  return [prices, liquidity];
}
