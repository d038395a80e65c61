import type { Figure } from '../figure.ts';
import { textLiteral } from '../sql-literal.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/** Price paths are drawn for at most this many assets (the most liquidated first). */
export const PRICE_PATH_ASSETS = 3;

/**
 * Traded price (trade bars' close), each venue's own oracle or mark, and the reference feeds (Chainlink,
 * Pyth) of one asset over the report's window: the chart a reader needs to see a venue's price leave
 * the market's. A feed is a reference when its venue liquidates nothing in the store: the report names
 * no venue (the engine knows none).
 */
export function pricePath(ctx: SectionContext, asset: string): Promise<Figure> {
  const a = textLiteral(asset);
  return ctx.run({
    id: `microstructure.price-path.${asset.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title: `${asset}: traded price, venue oracles and the reference`,
    caption:
      'Close of each trade bar (1 s bars folded from fills, 1 m venue candles), every oracle or mark update of the venues, and the reference feeds (the oracle prices of venues that liquidate nothing: Chainlink, Pyth) over the report window. Exact decimals; the chart holds each price until the next update.',
    shape: 'series',
    sql: sqlText(`
      select time, series, price from (
        select b.time, 'traded ' || b.venue || ' (' || b.interval || ')' as series, b.close as price
        from trade_bars b where b.asset = ${a} and b.interval in ('1s', '1m') and ${ctx.q.inWindow('b')}
        union all
        select o.time, case when exists (select 1 from liquidations l where l.venue = o.venue) then 'oracle ' else 'reference ' end || o.venue, o.price
        from oracle_prices o where o.asset = ${a} and ${ctx.q.inWindow('o')}
      ) p
      order by time, series`),
    columns: [
      { name: 'time', unit: 'time' },
      { name: 'series', unit: 'text' },
      { name: 'price', unit: 'price' },
    ],
    chart: { type: 'time-lines', x: 'time', y: 'price', seriesBy: ['series'], yLabel: `${asset} (USD)`, yUnit: 'price', step: true },
  });
}

/** The assets to draw: the first rows of the by-asset figure (ordered by notional), known assets only. */
export function assetsToDraw(byAsset: Figure | undefined, scopeAssets: readonly string[]): string[] {
  if (scopeAssets.length > 0) return scopeAssets.slice(0, PRICE_PATH_ASSETS);
  return (byAsset?.rows ?? [])
    .map((r) => r.asset)
    .filter((a): a is string => typeof a === 'string' && a.length > 0)
    .slice(0, PRICE_PATH_ASSETS);
}
