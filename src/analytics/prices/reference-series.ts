/**
 * An asset's reference price, one value per second: the median across venues of their latest prices.
 * Pure: the observations come from SQL already reduced to one price per source and second
 * (prices/load-reference.ts).
 *
 * Why a median across venues: one venue's price can be wrong (a depegged oracle source, a stale feed,
 * a thin book), and the median of three ignores one. Why trades first ('trades', the default): the
 * one-second trade-bar closes are where the asset actually changed hands, while an oracle is a
 * venue's own (possibly faulty) view of it; oracles fill the seconds where no venue traded recently.
 */
export type SourceKind = 'trades' | 'oracle';
export type ReferencePreference = 'trades' | 'oracles' | 'all';

export interface SecondObservation {
  /** `trades:<venue>` or `oracle:<venue>`. */
  source: string;
  kind: SourceKind;
  /** Unix second. */
  second: number;
  /** The source's last price in that second. */
  price: number;
}

export interface ReferenceSeries {
  asset: string;
  /** Unix second of prices[0]. */
  fromSecond: number;
  /** One price per second from fromSecond; NaN where no source was fresh. */
  prices: Float64Array;
  /** Number of sources the median was taken over, per second. */
  sourceCounts: Uint8Array;
  /** Every source that contributed somewhere in the series. */
  sources: string[];
}

/**
 * Builds the per-second reference over [fromSecond, toSecond) from observations in time order (those
 * before fromSecond only seed each source's last price). 'trades': the median of the venues that
 * traded within `maxTradeStalenessSeconds`; where none did, the median of every source seen within
 * `maxStalenessSeconds` (oracles and the venues' older last trades alike). 'oracles': oracles only.
 * 'all': every source within `maxStalenessSeconds`.
 */
export function referenceSeries(
  asset: string,
  observations: readonly SecondObservation[],
  fromSecond: number,
  toSecond: number,
  options: { prefer: ReferencePreference; maxStalenessSeconds: number; maxTradeStalenessSeconds: number },
): ReferenceSeries {
  const length = Math.max(0, toSecond - fromSecond);
  const prices = new Float64Array(length).fill(Number.NaN);
  const sourceCounts = new Uint8Array(length);
  const last = new Map<string, { kind: SourceKind; second: number; price: number }>();
  const used = new Set<string>();
  const trades: number[] = [];
  const oracles: number[] = [];
  const older: number[] = [];
  let next = 0;
  for (let i = 0; i < length; i++) {
    const second = fromSecond + i;
    while (next < observations.length && observations[next]!.second <= second) {
      const o = observations[next++]!;
      if (Number.isFinite(o.price) && o.price > 0) last.set(o.source, { kind: o.kind, second: o.second, price: o.price });
    }
    trades.length = 0;
    oracles.length = 0;
    older.length = 0;
    const freshSources: string[] = [];
    const olderSources: string[] = [];
    const oracleSources: string[] = [];
    for (const [source, seen] of last) {
      const age = second - seen.second;
      if (age > options.maxStalenessSeconds) continue;
      if (seen.kind === 'oracle') {
        oracles.push(seen.price);
        oracleSources.push(source);
      } else if (age <= options.maxTradeStalenessSeconds) {
        trades.push(seen.price);
        freshSources.push(source);
      } else {
        older.push(seen.price);
        olderSources.push(source);
      }
    }
    let pool: number[];
    let poolSources: string[];
    if (options.prefer === 'oracles') [pool, poolSources] = [oracles, oracleSources];
    else if (options.prefer === 'all' || trades.length === 0) {
      // Without a fresh trade, every source still within the oracles' staleness: the venues' last
      // trades count beside the oracles, so that one faulty oracle of two cannot move the median.
      [pool, poolSources] = [[...trades, ...older, ...oracles], [...freshSources, ...olderSources, ...oracleSources]];
    } else [pool, poolSources] = [trades, freshSources];
    if (pool.length === 0) continue;
    prices[i] = median(pool);
    sourceCounts[i] = Math.min(255, pool.length);
    for (const source of poolSources) used.add(source);
  }
  return { asset, fromSecond, prices, sourceCounts, sources: [...used].sort() };
}

/** Median of a non-empty list (sorts a copy). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The series' price at a unix second (NaN outside it or where none). */
export function priceAt(series: ReferenceSeries, second: number): number {
  const i = second - series.fromSecond;
  return i >= 0 && i < series.prices.length ? series.prices[i]! : Number.NaN;
}
