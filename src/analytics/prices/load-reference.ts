import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { ReferenceParams } from '../params.ts';
import { referenceSeries, type ReferenceSeries, type SecondObservation } from './reference-series.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A span of seconds an asset's reference price is needed for. */
export interface PriceWindow {
  asset: string;
  fromSecond: number;
  toSecond: number;
}

/**
 * Reference price series for every window, computed once per asset over the union of its windows
 * (the windows of cascades a few minutes apart overlap by most of their length). SQL reduces the
 * oracle prices and one-second trade bars to one price per source and second; the median across
 * sources is taken here, over at most (seconds × sources) rows per asset: memory follows the windows'
 * length, never the size of the tables. Prices of every venue count, whatever venues the analysis is
 * limited to: the reference is the market's price, not the analysed venues' view of it.
 */
export class ReferencePrices {
  private constructor(private readonly byAsset: Map<string, ReferenceSeries[]>) {}

  static async load(db: Db, windows: readonly PriceWindow[], params: ReferenceParams): Promise<ReferencePrices> {
    const byAsset = new Map<string, ReferenceSeries[]>();
    await eachSpanSeries(db, mergeWindows(windows), params, (series) => {
      (byAsset.get(series.asset) ?? byAsset.set(series.asset, []).get(series.asset)!).push(series);
    });
    return new ReferencePrices(byAsset);
  }

  /** The series covering [fromSecond, toSecond) of `asset`, cut to it, or null when it was not loaded. */
  slice(asset: string, fromSecond: number, toSecond: number): ReferenceSeries | null {
    for (const series of this.byAsset.get(asset) ?? []) {
      const start = fromSecond - series.fromSecond;
      const end = toSecond - series.fromSecond;
      if (start >= 0 && end <= series.prices.length) {
        return { ...series, fromSecond, prices: series.prices.subarray(start, end), sourceCounts: series.sourceCounts.subarray(start, end) };
      }
    }
    return null;
  }
}

/**
 * Visits the reference series of every window one merged span at a time, keeping none: for many
 * windows over a long range (the price test of every candidate cluster), where holding every asset's
 * series at once would grow with the data. Each window lies wholly inside the span it is visited in.
 *
 * The observations are read once for consecutive spans within a day, and each span's series is built
 * from its own slice of them: the same series as one query per span (a second's price depends only on
 * the observations of the `maxStalenessSeconds` before it), with one query per asset and day instead
 * of one per span. On the analyze bench (1M liquidations, 4 weeks) the price test made 17,892 queries,
 * 41 s of the cascades step's 105 s.
 */
export async function visitReferenceSpans(
  db: Db,
  windows: readonly PriceWindow[],
  params: ReferenceParams,
  visit: (series: ReferenceSeries) => void,
  maxSpanSeconds = 86_400,
): Promise<void> {
  await eachSpanSeries(db, mergeWindows(windows, maxSpanSeconds), params, visit);
}

/** Spans whose observations are read by one query: within a day of the first. */
const GROUP_SECONDS = 86_400;

/** Reads observations once per group of spans (see groupSpans) and builds each span's series from its slice. */
async function eachSpanSeries(db: Db, spansByAsset: Map<string, [number, number][]>, params: ReferenceParams, visit: (series: ReferenceSeries) => void): Promise<void> {
  const staleness = params.maxStalenessSeconds;
  for (const [asset, spans] of spansByAsset) {
    for (const group of groupSpans(spans, GROUP_SECONDS)) {
      const observations = await loadObservations(db, asset, group.fromSecond - staleness, group.toSecond);
      for (const [fromSecond, toSecond] of group.spans) {
        visit(referenceSeries(asset, observationsFrom(observations, fromSecond - staleness), fromSecond, toSecond, params));
      }
    }
  }
}

/** Consecutive spans (in time order) gathered while the group stays within `maxSeconds` (a span longer than that is a group alone). */
function groupSpans(spans: readonly [number, number][], maxSeconds: number): { fromSecond: number; toSecond: number; spans: [number, number][] }[] {
  const groups: { fromSecond: number; toSecond: number; spans: [number, number][] }[] = [];
  for (const span of spans) {
    const last = groups.at(-1);
    if (last && Math.max(last.toSecond, span[1]) - last.fromSecond <= maxSeconds) {
      last.toSecond = Math.max(last.toSecond, span[1]);
      last.spans.push(span);
    } else groups.push({ fromSecond: span[0], toSecond: span[1], spans: [span] });
  }
  return groups;
}

/** The observations from `second` on (they are in time order), found by binary search. */
function observationsFrom(observations: readonly SecondObservation[], second: number): readonly SecondObservation[] {
  let lo = 0;
  let hi = observations.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (observations[mid]!.second < second) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? observations : observations.slice(lo);
}

/**
 * Per asset, the union of its windows as [from, to) spans in time order, disjoint unless a span would
 * grow past `maxSpanSeconds`: then the next window starts a span of its own (it may overlap the last).
 */
export function mergeWindows(windows: readonly PriceWindow[], maxSpanSeconds = Number.POSITIVE_INFINITY): Map<string, [number, number][]> {
  const byAsset = new Map<string, [number, number][]>();
  for (const w of [...windows].sort((a, b) => a.fromSecond - b.fromSecond)) {
    if (w.toSecond <= w.fromSecond) continue;
    const spans = byAsset.get(w.asset) ?? byAsset.set(w.asset, []).get(w.asset)!;
    const last = spans.at(-1);
    if (last && w.fromSecond <= last[1] && Math.max(last[1], w.toSecond) - last[0] <= maxSpanSeconds) last[1] = Math.max(last[1], w.toSecond);
    else spans.push([w.fromSecond, w.toSecond]);
  }
  return byAsset;
}

/**
 * One price per source and second: the last trade-bar close of each venue (one-second bars) and the
 * last price of each oracle venue, in USD (the higher price of two at the same instant, so that every
 * run picks the same). Oracle rows whose price is raw (unknown decimals) are skipped. DISTINCT ON rather
 * than GROUP BY with array_agg: 66 ms against 146 ms for a week of BTC on the analyze bench (47,571 rows).
 */
async function loadObservations(db: Db, asset: string, fromSecond: number, toSecond: number): Promise<SecondObservation[]> {
  const from = new Date(fromSecond * 1000);
  const to = new Date(toSecond * 1000);
  const { rows } = await sql<{ source: string; kind: 'trades' | 'oracle'; second: string; price: number }>`
    select distinct on (second, source) source, kind, second, price
    from (
      select 'trades:' || venue as source, 'trades' as kind, time, close::float8 as price,
             floor(extract(epoch from time))::bigint as second
        from trade_bars
       where asset = ${asset} and interval = '1s' and time >= ${from} and time < ${to}
         and close is not null and coalesce(quote, 'USD') = 'USD'
      union all
      select 'oracle:' || venue, 'oracle', time, price::float8, floor(extract(epoch from time))::bigint
        from oracle_prices
       where asset = ${asset} and time >= ${from} and time < ${to}
         and coalesce(quote, 'USD') = 'USD' and not ('raw_price' = any(flags))
    ) o
    order by second, source, time desc, price desc`.execute(db);
  return rows.map((r) => ({ source: r.source, kind: r.kind, second: Number(r.second), price: Number(r.price) }));
}
