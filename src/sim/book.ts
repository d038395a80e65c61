import type { DepthLevel } from './scenario-schema.ts';

/**
 * A one-sided order book as a cumulative depth profile: `usd` can be traded within `pct` % of the
 * mid. Between levels the density is constant (linear interpolation); beyond the last level the
 * last segment's density continues. Market makers withdraw by scaling the whole profile by a depth
 * factor (1 = full book, 0.05 = a book that "appears empty").
 */
export interface Fill {
  /** How far the mid moved, in % (positive). */
  movePct: number;
  /** Average execution distance from the old mid, in % (positive). */
  avgPct: number;
}

/** The largest move one market order may cause: books never go below 10 % of the mid here. */
export const MAX_MOVE_PCT = 90;

/**
 * Walks the book with a market order of `notionalUsd`. A sell executes below the mid and moves it
 * down by `movePct`; a buy is symmetric. Exact for the piecewise-linear profile: within a segment of
 * constant density the average distance is the segment's midpoint.
 */
export function walkBook(levels: readonly DepthLevel[], depthFactor: number, notionalUsd: number): Fill {
  if (notionalUsd <= 0) return { movePct: 0, avgPct: 0 };
  const factor = Math.max(depthFactor, 1e-9);
  let remaining = notionalUsd;
  let prevPct = 0;
  let prevUsd = 0;
  let weighted = 0; // Σ usd·pct, for the average
  let pct = 0;
  for (let i = 0; i <= levels.length && remaining > 0; i++) {
    let segPct: number;
    let segUsd: number;
    if (i < levels.length) {
      segPct = levels[i]!.pct - prevPct;
      segUsd = (levels[i]!.usd - prevUsd) * factor;
    } else {
      // beyond the profile: the last segment's density goes on until the cap
      const last = levels[levels.length - 1]!;
      const before = levels.length > 1 ? levels[levels.length - 2]! : { pct: 0, usd: 0 };
      const density = ((last.usd - before.usd) * factor) / (last.pct - before.pct);
      segPct = MAX_MOVE_PCT - prevPct;
      segUsd = density * segPct;
    }
    if (segPct <= 0) continue;
    const take = Math.min(remaining, segUsd);
    const dp = segUsd > 0 ? (take / segUsd) * segPct : segPct;
    weighted += take * (pct + dp / 2);
    pct += dp;
    remaining -= take;
    if (i < levels.length) {
      prevPct = levels[i]!.pct;
      prevUsd = levels[i]!.usd;
    }
  }
  const filled = notionalUsd - remaining;
  const movePct = Math.min(pct, MAX_MOVE_PCT);
  return { movePct, avgPct: filled > 0 ? Math.min(weighted / filled, movePct) : 0 };
}

/** Depth available within `pct` % of the mid with the current depth factor. */
export function depthWithin(levels: readonly DepthLevel[], depthFactor: number, pct: number): number {
  let prevPct = 0;
  let prevUsd = 0;
  for (const level of levels) {
    if (pct <= level.pct) return (prevUsd + ((level.usd - prevUsd) * (pct - prevPct)) / (level.pct - prevPct)) * depthFactor;
    prevPct = level.pct;
    prevUsd = level.usd;
  }
  const last = levels[levels.length - 1]!;
  const before = levels.length > 1 ? levels[levels.length - 2]! : { pct: 0, usd: 0 };
  const density = (last.usd - before.usd) / (last.pct - before.pct);
  return (last.usd + density * (pct - last.pct)) * depthFactor;
}

/**
 * Market makers' depth factor: they withdraw as realized volatility rises (half the depth at
 * `halfAtVolPct`), never below `minFactor`, and to `outageFactor` during an outage.
 */
export function depthFactor(realizedVolPct: number, halfAtVolPct: number, minFactor: number, outageFactor: number | null): number {
  if (outageFactor !== null) return outageFactor;
  return Math.max(minFactor, 1 / (1 + realizedVolPct / halfAtVolPct));
}
