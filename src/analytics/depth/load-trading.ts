import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { mergeWindows, type PriceWindow, type ReferencePrices } from '../prices/load-reference.ts';
import type { ReferenceSeries } from '../prices/reference-series.ts';
import type { AssetTrading } from './depth-proxies.ts';

/**
 * Ordinary trading of every window, loaded once per asset over the union of its windows (cascades a
 * minute apart share most of their baseline) and cut per cascade.
 */
export class TradingWindows {
  private constructor(private readonly spans: Map<string, AssetTrading[]>) {}

  static async load(db: Kysely<Database> | Transaction<Database>, windows: readonly PriceWindow[], prices: ReferencePrices): Promise<TradingWindows> {
    const spans = new Map<string, AssetTrading[]>();
    for (const [asset, merged] of mergeWindows(windows)) {
      const list: AssetTrading[] = [];
      for (const [from, to] of merged) {
        const [t] = await loadTrading(db, [asset], from, to, (a) => prices.slice(a, from, to));
        list.push(t!);
      }
      spans.set(asset, list);
    }
    return new TradingWindows(spans);
  }

  /** The asset's trading over [from, to) (views into the loaded arrays), or null when not loaded. */
  slice(asset: string, fromSecond: number, toSecond: number): AssetTrading | null {
    for (const t of this.spans.get(asset) ?? []) {
      const a = fromSecond - t.fromSecond;
      const b = toSecond - t.fromSecond;
      if (a < 0 || b > t.trades.length) continue;
      const closes = new Map<string, { second: number; price: number }[]>();
      for (const [venue, list] of t.closes) closes.set(venue, list.filter((c) => c.second >= fromSecond && c.second < toSecond));
      return {
        asset,
        fromSecond,
        trades: t.trades.subarray(a, b),
        volumeUsd: t.volumeUsd.subarray(a, b),
        flowUsd: t.flowUsd.subarray(a, b),
        returnPct: t.returnPct.subarray(a, b),
        closes,
      };
    }
    return null;
  }
}

/**
 * One asset's ordinary trading per second over [fromSecond, toSecond), from the one-second trade bars
 * of every venue, for the depth proxies. A venue's bars hold its market liquidations too (they are
 * orders into the book); the liquidations of the same venue, asset and second are subtracted (floored
 * at zero) so that what remains is the trading of everyone else, whose thinning is what a withdrawal
 * of liquidity looks like. A venue whose liquidations never reach its book (a backstop takeover, GMX's
 * pool) loses at most that second's ordinary trades this way. The signed flow keeps the liquidations:
 * they are flow that moved the price.
 */
export async function loadTrading(
  db: Kysely<Database> | Transaction<Database>,
  assets: readonly string[],
  fromSecond: number,
  toSecond: number,
  reference: (asset: string) => ReferenceSeries | null,
): Promise<AssetTrading[]> {
  const length = Math.max(0, toSecond - fromSecond);
  const byAsset = new Map<string, AssetTrading>();
  for (const asset of assets) {
    const t: AssetTrading = {
      asset,
      fromSecond,
      trades: new Float64Array(length),
      volumeUsd: new Float64Array(length),
      flowUsd: new Float64Array(length),
      returnPct: new Float64Array(length),
      closes: new Map(),
    };
    const series = reference(asset);
    if (series) {
      for (let i = 1; i < length; i++) {
        const a = series.prices[fromSecond + i - 1 - series.fromSecond];
        const b = series.prices[fromSecond + i - series.fromSecond];
        if (a !== undefined && b !== undefined && a > 0 && b > 0) t.returnPct[i] = 100 * Math.log(b / a);
      }
    }
    byAsset.set(asset, t);
  }
  if (length === 0 || assets.length === 0) return [...byAsset.values()];
  const from = new Date(fromSecond * 1000);
  const to = new Date(toSecond * 1000);
  const { rows } = await sql<{ venue: string; asset: string; second: string; trades: number; volume: number; flow: number | null; close: number | null }>`
    with liq as (
      select venue, asset, date_trunc('second', time) as second, count(*) as n, sum(size_usd)::float8 as usd
        from liquidations where asset = any(${[...assets]}::text[]) and time >= ${from} and time < ${to}
       group by 1, 2, 3
    )
    select b.venue, b.asset, floor(extract(epoch from b.time))::bigint as second,
           greatest(b.trades - coalesce(l.n, 0), 0)::float8 as trades,
           -- bar volumes are float sums: what a second's liquidations leave of it below a millionth
           -- is rounding residue, not trading (it made Amihud's |r| / volume reach 1e16)
           case when coalesce(b.volume_usd::float8, 0) - coalesce(l.usd, 0) > 1e-6 * coalesce(b.volume_usd::float8, 0)
                then coalesce(b.volume_usd::float8, 0) - coalesce(l.usd, 0) else 0 end as volume,
           ((coalesce(b.buy_volume, 0) - coalesce(b.sell_volume, 0)) * coalesce(b.vwap, b.close))::float8 as flow,
           b.close::float8 as close
      from trade_bars b
      left join liq l on l.venue = b.venue and l.asset = b.asset and l.second = b.time
     where b.asset = any(${[...assets]}::text[]) and b.interval = '1s' and b.time >= ${from} and b.time < ${to}
       and coalesce(b.quote, 'USD') = 'USD'
     order by b.asset, b.venue, b.time`.execute(db);
  for (const r of rows) {
    const t = byAsset.get(r.asset)!;
    const i = Number(r.second) - fromSecond;
    if (i < 0 || i >= length) continue;
    t.trades[i] = t.trades[i]! + r.trades;
    t.volumeUsd[i] = t.volumeUsd[i]! + r.volume;
    t.flowUsd[i] = t.flowUsd[i]! + (r.flow ?? 0);
    if (r.close !== null) (t.closes.get(r.venue) ?? t.closes.set(r.venue, []).get(r.venue)!).push({ second: Number(r.second), price: r.close });
  }
  return [...byAsset.values()];
}
