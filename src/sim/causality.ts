import type { MarginPosition, Side } from './margin.ts';
import { sideSign } from './margin.ts';

/**
 * Causal figures of one account liquidation, measured on the account's **cushion**, equity −
 * maintenance (formats.md §8: liquidatable when the cushion is ≤ 0).
 *
 * - `causedShare`: the account was checked at its venue's previous prices with a cushion > 0 and is
 *   now at ≤ 0. Of that move past its threshold (cushion before − cushion now), the share that
 *   earlier liquidations' price impact caused: the change of the impact's effect on the cushion
 *   over the same interval (venue prices vs the same oracle on the no-impact path), clamped to
 *   [0, 1]. Impact that was already there and is decaying (an old liquidation's push) counts
 *   against, not for, so a small push from seconds ago never makes a parent.
 * - `noImpactDistancePct`: how far the no-impact prices were from the threshold, as the % adverse
 *   move of every price that would bring the cushion to zero (≤ 0: the path alone liquidates it).
 * - `referenceDistancePct`: the same distance at the reference prices (> 0: solvent at the
 *   reference). For one isolated position both are exactly the % distance to its liquidation price,
 *   since its cushion is linear in its price.
 *
 * Materiality (`Materiality`) turns the raw figures into `parentId` and `oracleError`.
 */

/** Equity − maintenance at the given prices. */
export function cushionOf(collateral: number, positions: readonly MarginPosition[]): number {
  let cushion = collateral;
  for (const p of positions) cushion += cushionTerm(p.side, p.entry, p.size, p.m, p.price);
  return cushion;
}

/** One position's part of the cushion at `price`: side·Q·(P − E) − m·Q·P. */
export const cushionTerm = (side: Side, entry: number, size: number, m: number, price: number): number =>
  sideSign(side) * size * (price - entry) - size * price * m;

/**
 * dCushion per unit of adverse log-move of every price: Σ Q·P·(1 − m) for longs (prices falling),
 * Σ Q·P·(1 + m) for shorts (prices rising).
 */
export function adverseSensitivity(positions: readonly MarginPosition[]): number {
  let s = 0;
  for (const p of positions) s += p.size * p.price * (1 - sideSign(p.side) * p.m);
  return s;
}

/** % adverse move from these prices to the account's threshold (negative: already past it). */
export function distanceToThresholdPct(collateral: number, positions: readonly MarginPosition[]): number {
  const s = adverseSensitivity(positions);
  return s > 0 ? (100 * cushionOf(collateral, positions)) / s : 0;
}

/** A position valued at the venue's price and at the same oracle's no-impact price, before and now. */
export interface CrossingPosition {
  side: Side;
  entry: number;
  size: number;
  m: number;
  venueBefore: number;
  noImpactBefore: number;
  venueNow: number;
  noImpactNow: number;
}

/** The move past the threshold and the share of it the impact caused (see the module comment). */
export function crossingFigures(collateral: number, positions: readonly CrossingPosition[]): { move: number; impactPart: number; causedShare: number } {
  let before = collateral;
  let now = collateral;
  let impactBefore = 0;
  let impactNow = 0;
  for (const p of positions) {
    const term = (price: number) => cushionTerm(p.side, p.entry, p.size, p.m, price);
    before += term(p.venueBefore);
    now += term(p.venueNow);
    impactBefore += term(p.venueBefore) - term(p.noImpactBefore);
    impactNow += term(p.venueNow) - term(p.noImpactNow);
  }
  const move = before - now;
  const impactPart = impactBefore - impactNow;
  const causedShare = move > 0 ? Math.min(1, Math.max(0, impactPart / move)) : 0;
  return { move, impactPart, causedShare };
}

/** One earlier liquidation's log impact on a market, decayed to the account's previous and current observation times. */
export interface CrossingContribution {
  groupId: string;
  fillId: string;
  marketIndex: number;
  weightBefore: number;
  weightNow: number;
}

/**
 * The earlier account liquidation that consumed most of the move past the threshold. Each
 * contribution consumes −(dCushion/dlog P of the market)·(weight now − weight before), where the
 * derivative is Σ Q·P·(side − m) over the account's positions on that market (`slope`); summed by
 * account liquidation. Null when no group consumed any (ties: the earlier in `contributions`).
 */
export function largestContributor(
  contributions: readonly CrossingContribution[],
  slope: ReadonlyMap<number, number>,
): { groupId: string; fillId: string; consumed: number } | null {
  const byGroup = new Map<string, { consumed: number; fillId: string; fillConsumed: number }>();
  for (const c of contributions) {
    const consumed = -(slope.get(c.marketIndex) ?? 0) * (c.weightNow - c.weightBefore);
    const g = byGroup.get(c.groupId);
    if (!g) byGroup.set(c.groupId, { consumed, fillId: c.fillId, fillConsumed: consumed });
    else {
      g.consumed += consumed;
      // the group's fill that did most, so the fill-level parent link points at the real cause
      if (consumed > g.fillConsumed) {
        g.fillId = c.fillId;
        g.fillConsumed = consumed;
      }
    }
  }
  let best: { groupId: string; fillId: string; consumed: number } | null = null;
  for (const [groupId, g] of byGroup) if (g.consumed > 0 && (!best || g.consumed > best.consumed)) best = { groupId, fillId: g.fillId, consumed: g.consumed };
  return best;
}

/** The stated materiality thresholds (scenario `materiality`, defaults in scenario-schema.ts). */
export interface Materiality {
  /** A parent link needs earlier liquidations to have caused at least this share of the move past the threshold. */
  parentMinCausedShare: number;
  /** An oracle error needs the account to be at least this % move from its threshold at the reference price. */
  oracleErrorMinDistancePct: number;
}

/** Material parent: not liquidatable on the no-impact path, and impact caused enough of the crossing. */
export const isMaterialParent = (exogenous: boolean, causedShare: number, m: Materiality): boolean =>
  !exogenous && causedShare >= m.parentMinCausedShare;

export const isMaterialOracleError = (referenceDistancePct: number, m: Materiality): boolean => referenceDistancePct >= m.oracleErrorMinDistancePct;
