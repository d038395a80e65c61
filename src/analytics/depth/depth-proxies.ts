/**
 * Depth from trades alone (docs/analytics.md, "Depth proxies"): no venue publishes its order book
 * history, but every trade says what a dollar of flow did to the price. Pure functions on one asset's
 * per-second trading (depth/load-trading.ts) and its reference returns.
 *
 * - Amihud illiquidity: mean over buckets of |return| / dollar volume (% per $1M).
 * - Kyle's λ: the OLS slope of bucket returns on bucket signed flow (taker buys − sells, $M), % per $1M.
 * - Roll spread: 2·√(−cov(Δpₜ, Δpₜ₋₁)) of consecutive trade prices, in bps of the price (null when the
 *   covariance is not negative: no bid-ask bounce to measure).
 * - The illiquidity ratio of a second: Σ|r| / Σ volume over the trailing `windowSeconds`, divided by
 *   the asset's pre-cascade baseline of the same figure; its median across assets is the index the
 *   liquidity stages read.
 */

/**
 * An asset's baseline is the median of its trailing figure at the bucket ends of the baseline window,
 * and needs at least this many of them (with W = 30 s and 10 s buckets: 50 s of trading). A median of
 * fewer is one noisy window, which made a 1.6 % move look like a 30× void in a 12-second baseline.
 */
export const MIN_BASELINE_SAMPLES = 3;

export interface AssetTrading {
  asset: string;
  /** Unix second of index 0 of every array. */
  fromSecond: number;
  /** Per second, ordinary trading: trades and USD volume of the bars minus the liquidations of the same venue and second. */
  trades: Float64Array;
  volumeUsd: Float64Array;
  /** Per second, signed taker flow of the bars (buys − sells), USD. */
  flowUsd: Float64Array;
  /** Per second, the reference's log-return into that second, in % (0 where unknown). */
  returnPct: Float64Array;
  /** Per venue, bar closes in time order (the last trade of each second), for the Roll spread. */
  closes: Map<string, { second: number; price: number }[]>;
}

/** Amihud's |r| / volume over buckets of `bucketSeconds` in [from, to), % per $1M; null without volume. */
export function amihud(t: AssetTrading, fromSecond: number, toSecond: number, bucketSeconds: number): number | null {
  let sum = 0;
  let n = 0;
  for (const b of buckets(t, fromSecond, toSecond, bucketSeconds)) {
    if (b.volumeUsd <= 0) continue;
    sum += Math.abs(b.returnPct) / (b.volumeUsd / 1e6);
    n++;
  }
  return n === 0 ? null : sum / n;
}

/** Kyle's λ: slope of bucket returns (%) on bucket signed flow ($M); null with fewer than 3 buckets of trading or no spread in flow. */
export function kyleLambda(t: AssetTrading, fromSecond: number, toSecond: number, bucketSeconds: number): number | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of buckets(t, fromSecond, toSecond, bucketSeconds)) {
    if (b.trades <= 0) continue;
    xs.push(b.flowUsd / 1e6);
    ys.push(b.returnPct);
  }
  if (xs.length < 3) return null;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : null;
}

/** Roll's spread of consecutive trade prices in [from, to), in bps; each venue's own sequence, pooled. */
export function rollSpreadBps(t: AssetTrading, fromSecond: number, toSecond: number): number | null {
  let cov = 0;
  let n = 0;
  let priceSum = 0;
  let prices = 0;
  for (const all of t.closes.values()) {
    const closes = all.filter((c) => c.second >= fromSecond && c.second < toSecond).map((c) => c.price);
    for (const p of closes) {
      priceSum += p;
      prices++;
    }
    for (let i = 2; i < closes.length; i++) {
      cov += (closes[i]! - closes[i - 1]!) * (closes[i - 1]! - closes[i - 2]!);
      n++;
    }
  }
  if (n < 2 || prices === 0) return null;
  // Changes have mean ≈ 0 over short windows; the uncentred covariance avoids a bias from drift.
  const c = cov / n;
  return c < 0 ? ((2 * Math.sqrt(-c)) / (priceSum / prices)) * 1e4 : null;
}

/** Trades and USD volume per minute over [from, to). */
export function activityPerMinute(t: AssetTrading, fromSecond: number, toSecond: number): { trades: number; volumeUsd: number } | null {
  const from = Math.max(fromSecond, t.fromSecond);
  const to = Math.min(toSecond, t.fromSecond + t.trades.length);
  if (to <= from) return null;
  let trades = 0;
  let volume = 0;
  for (let s = from; s < to; s++) {
    trades += t.trades[s - t.fromSecond]!;
    volume += t.volumeUsd[s - t.fromSecond]!;
  }
  const minutes = (to - from) / 60;
  return { trades: trades / minutes, volumeUsd: volume / minutes };
}

interface Bucket {
  trades: number;
  volumeUsd: number;
  flowUsd: number;
  returnPct: number;
}

function* buckets(t: AssetTrading, fromSecond: number, toSecond: number, bucketSeconds: number): Generator<Bucket> {
  const from = Math.max(fromSecond, t.fromSecond);
  const to = Math.min(toSecond, t.fromSecond + t.trades.length);
  for (let start = from; start < to; start += bucketSeconds) {
    const b: Bucket = { trades: 0, volumeUsd: 0, flowUsd: 0, returnPct: 0 };
    for (let s = start; s < Math.min(to, start + bucketSeconds); s++) {
      const i = s - t.fromSecond;
      b.trades += t.trades[i]!;
      b.volumeUsd += t.volumeUsd[i]!;
      b.flowUsd += t.flowUsd[i]!;
      b.returnPct += t.returnPct[i]!;
    }
    yield b;
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * The illiquidity ratio per second over [from, to): for each asset, Σ|r| / Σ ordinary volume over the
 * trailing `windowSeconds`, divided by that asset's baseline (the median of the same figure at every
 * bucket end of [baselineFrom, baselineTo), MIN_BASELINE_SAMPLES at least; an asset without is left
 * out); then the median across the assets that have both. NaN where no asset has both.
 *
 * A trailing window with moves but no ordinary volume at all counts as `emptyWindowRatio` (the book
 * was too thin to trade in): the median across assets keeps one such asset from deciding alone.
 */
export function illiquidityIndex(
  assets: readonly AssetTrading[],
  range: { fromSecond: number; toSecond: number; baselineFrom: number; baselineTo: number; exclude?: readonly [number, number][] },
  options: { windowSeconds: number; bucketSeconds: number; emptyWindowRatio?: number },
): { fromSecond: number; index: Float64Array; assetsCounted: Uint8Array; baselines: Map<string, number>; baselineIndex: number[] } {
  const length = Math.max(0, range.toSecond - range.fromSecond);
  const index = new Float64Array(length).fill(Number.NaN);
  const assetsCounted = new Uint8Array(length);
  const baselines = new Map<string, number>();
  const perAsset: Float64Array[] = [];
  /** Per baseline sample second, each asset's figure over its own baseline. */
  const baselineRatios = new Map<number, number[]>();
  const emptyWindow = options.emptyWindowRatio ?? 1e6;
  const excluded = (from: number, to: number) => (range.exclude ?? []).some(([a, b]) => from <= b && a <= to);
  for (const t of assets) {
    const trailing = (s: number): number => {
      let r = 0;
      let v = 0;
      for (let k = s - options.windowSeconds + 1; k <= s; k++) {
        const i = k - t.fromSecond;
        if (i < 0 || i >= t.trades.length) continue;
        r += Math.abs(t.returnPct[i]!);
        v += t.volumeUsd[i]!;
      }
      if (v > 0) return r / (v / 1e6);
      return r > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
    };
    const samples: { second: number; value: number }[] = [];
    for (let s = range.baselineFrom + options.windowSeconds - 1; s < range.baselineTo; s += options.bucketSeconds) {
      if (excluded(s - options.windowSeconds + 1, s)) continue;
      const a = trailing(s);
      if (Number.isFinite(a)) samples.push({ second: s, value: a });
    }
    if (samples.length < MIN_BASELINE_SAMPLES) continue;
    const baseline = medianOf(samples.map((x) => x.value));
    if (!(baseline > 0 && Number.isFinite(baseline))) continue;
    baselines.set(t.asset, baseline);
    for (const x of samples) (baselineRatios.get(x.second) ?? baselineRatios.set(x.second, []).get(x.second)!).push(x.value / baseline);
    const ratios = new Float64Array(length);
    for (let j = 0; j < length; j++) {
      const a = trailing(range.fromSecond + j);
      ratios[j] = a === Number.POSITIVE_INFINITY ? emptyWindow : a / baseline;
    }
    perAsset.push(ratios);
  }
  const values: number[] = [];
  for (let j = 0; j < length; j++) {
    values.length = 0;
    for (const ratios of perAsset) if (!Number.isNaN(ratios[j]!)) values.push(ratios[j]!);
    if (values.length === 0) continue;
    index[j] = medianOf(values);
    assetsCounted[j] = Math.min(255, values.length);
  }
  // The index itself at the baseline's sample times, ascending: how far noise alone takes it.
  const baselineIndex = [...baselineRatios.values()].map(medianOf).sort((a, b) => a - b);
  return { fromSecond: range.fromSecond, index, assetsCounted, baselines, baselineIndex };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
