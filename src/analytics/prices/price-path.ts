import type { ReferenceSeries } from './reference-series.ts';

/**
 * What an asset's reference price did around a cascade. Pure functions on a per-second series.
 *
 * "Adverse" is the direction that hurt the liquidated positions: down when most of the asset's
 * liquidated notional was long, up when it was short.
 */
export type Direction = 'down' | 'up';

export interface Extreme {
  price: number;
  second: number;
}

export interface AdverseMove {
  /** The price the move started from (the running peak for 'down'), and when. */
  from: Extreme;
  /** Where it went (the trough for 'down'), and when. */
  to: Extreme;
  /** |to − from| / from, in %. */
  pct: number;
}

export interface PricePath {
  /** Largest peak-to-trough fall and trough-to-peak rise in the window, in % (the threshold's figure is the larger). */
  drawdown: AdverseMove | null;
  runup: AdverseMove | null;
  /** The adverse one of the two. */
  adverse: AdverseMove | null;
  /** Share of the adverse move won back by `recoveryEnd`, in % (0 when none, > 100 when more). */
  recoveredPct: number | null;
  /** First second the price had won back `recoveryShare` of the adverse move (null: not by recoveryEnd). */
  recoveredAt: number | null;
  /** Last price at or before recoveryEnd. */
  priceAfter: number | null;
}

/** The largest fall (running peak → later trough) within [from, to] seconds. */
export function largestMove(series: ReferenceSeries, fromSecond: number, toSecond: number, direction: Direction): AdverseMove | null {
  const sign = direction === 'down' ? 1 : -1;
  let best: AdverseMove | null = null;
  let peak: Extreme | null = null;
  for (let s = Math.max(fromSecond, series.fromSecond); s <= toSecond && s - series.fromSecond < series.prices.length; s++) {
    const p = series.prices[s - series.fromSecond]!;
    if (!Number.isFinite(p)) continue;
    if (!peak || sign * (p - peak.price) > 0) peak = { price: p, second: s };
    const pct = (sign * (peak.price - p) / peak.price) * 100;
    if (pct > 0 && (!best || pct > best.pct)) best = { from: peak, to: { price: p, second: s }, pct };
  }
  return best;
}

export function pricePath(
  series: ReferenceSeries,
  window: { fromSecond: number; toSecond: number; recoveryEnd: number; direction: Direction; recoveryShare: number },
): PricePath {
  const drawdown = largestMove(series, window.fromSecond, window.toSecond, 'down');
  const runup = largestMove(series, window.fromSecond, window.toSecond, 'up');
  const adverse = window.direction === 'down' ? drawdown : runup;
  let recoveredPct: number | null = null;
  let recoveredAt: number | null = null;
  let priceAfter: number | null = null;
  for (let s = window.recoveryEnd; s >= series.fromSecond && priceAfter === null; s--) {
    const p = series.prices[s - series.fromSecond];
    if (p !== undefined && Number.isFinite(p)) priceAfter = p;
  }
  if (adverse) {
    const sign = window.direction === 'down' ? 1 : -1;
    const depth = sign * (adverse.from.price - adverse.to.price);
    let best = 0;
    for (let s = adverse.to.second + 1; s <= window.recoveryEnd && s - series.fromSecond < series.prices.length; s++) {
      const p = series.prices[s - series.fromSecond]!;
      if (!Number.isFinite(p)) continue;
      const won = (sign * (p - adverse.to.price)) / depth;
      if (won > best) best = won;
      if (recoveredAt === null && won >= window.recoveryShare) recoveredAt = s;
    }
    recoveredPct = best * 100;
  }
  return { drawdown, runup, adverse, recoveredPct, recoveredAt, priceAfter };
}

/** Largest of the two moves in the window, in % (0 when the price did not move; null without prices). */
export function movePct(series: ReferenceSeries, fromSecond: number, toSecond: number): number | null {
  let any = false;
  for (let s = Math.max(fromSecond, series.fromSecond); s <= toSecond && s - series.fromSecond < series.prices.length; s++) {
    if (Number.isFinite(series.prices[s - series.fromSecond]!)) {
      any = true;
      break;
    }
  }
  if (!any) return null;
  return Math.max(largestMove(series, fromSecond, toSecond, 'down')?.pct ?? 0, largestMove(series, fromSecond, toSecond, 'up')?.pct ?? 0);
}
