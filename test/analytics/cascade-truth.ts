import { readdirSync } from 'node:fs';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { SCENARIOS_DIR } from '../../src/sim/load-scenario.ts';
import { Dec } from '../helpers/exact-decimal.ts';
import { storeTimeMs, storeVenue } from '../helpers/sim-store.ts';

/**
 * What the cascade analytics should find, computed from the simulator's ground truth alone (never
 * from the code under test): the facts as the store holds them, the gap clusters of those facts, and
 * the documented thresholds applied to them with the ground truth's own reference price.
 */

/** Every shipped scenario: each file of scenarios/ (a new one is covered without editing the tests). */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** One liquidation ('L') or ADL ('A') fill of the ground truth, as the store holds it. */
export interface TruthFill {
  kind: 'L' | 'A';
  id: string;
  /** The store's venue (gmx-v2, hyperliquid, dydx-v4). */
  venue: string;
  asset: string;
  side: 'long' | 'short';
  account: string;
  /** Store time: the block's second on chain, the fill's millisecond elsewhere. */
  timeMs: number;
  size: string;
  price: string;
  /** The notional the venue reports: GMX's sizeDeltaUsd and dYdX's fill (the ground truth's sizeUsd), Hyperliquid's px × sz exactly. */
  usd: Dec;
  /** The root account liquidation of its ground-truth cascade tree (liquidations only). */
  tree: string | null;
}

export function truthFills(gt: GroundTruth): TruthFill[] {
  const usdOf = (venue: string, r: { size: string; price: string; sizeUsd: string }) =>
    venue === 'hyperliquid' ? Dec.of(r.size).times(Dec.of(r.price)) : Dec.of(r.sizeUsd);
  const fills: TruthFill[] = [];
  for (const l of gt.liquidations) {
    const venue = storeVenue(gt, l.venue);
    fills.push({ kind: 'L', id: l.id, venue, asset: l.market, side: l.side, account: l.account.toLowerCase(), timeMs: storeTimeMs(gt, l), size: l.size, price: l.price, usd: usdOf(venue, l), tree: l.cascadeId });
  }
  for (const a of gt.adlEvents) {
    const venue = storeVenue(gt, a.venue);
    fills.push({ kind: 'A', id: a.id, venue, asset: a.market, side: a.side, account: a.account.toLowerCase(), timeMs: storeTimeMs(gt, a), size: a.size, price: a.price, usd: usdOf(venue, a), tree: null });
  }
  // Time order, liquidations before ADL fills of the same millisecond (a match is liquidation first).
  return fills.sort((x, y) => x.timeMs - y.timeMs || (x.kind === y.kind ? 0 : x.kind === 'L' ? -1 : 1));
}

/** The key a ground-truth fill and its store row share (venue, kind, account, asset, side, ms, size). */
export function fillKey(f: { kind: string; venue: string; account: string | null; asset: string | null; side: string; timeMs: number; size: string }): string {
  return [f.kind, f.venue, (f.account ?? '').toLowerCase(), f.asset, f.side, f.timeMs, Dec.of(f.size).toString()].join('|');
}

/** A new cluster after a gap longer than `gapMs` between consecutive fills (any venue, kind or asset). */
export function gapClusters(fills: readonly TruthFill[], gapMs: number): TruthFill[][] {
  const clusters: TruthFill[][] = [];
  let previous: number | null = null;
  for (const f of fills) {
    if (previous === null || f.timeMs - previous > gapMs) clusters.push([]);
    clusters.at(-1)!.push(f);
    previous = f.timeMs;
  }
  return clusters;
}

/**
 * Per market, the ground truth's reference prices per second (the price every venue's book and oracle
 * follow), for the price-move test: the sampled series (every `sampleSeconds`) and the reference at
 * every liquidation fill, so a move between two samples that liquidations lived through is seen (a
 * one-second gap of 9 % inside a 5-second sample step otherwise looks like no move at all).
 */
export function referenceBySecond(gt: GroundTruth): Map<string, Map<number, number[]>> {
  const out = new Map<string, Map<number, number[]>>();
  const add = (market: string, timeMs: number, price: number) => {
    const bySecond = out.get(market) ?? out.set(market, new Map()).get(market)!;
    const second = Math.floor(timeMs / 1000);
    (bySecond.get(second) ?? bySecond.set(second, []).get(second)!).push(price);
  };
  for (const point of gt.series) add(point.market, Date.parse(point.time), Number(point.reference));
  for (const l of gt.liquidations) add(l.market, l.timeMs, Number(l.referencePrice));
  return out;
}

/** The largest peak-to-trough fall or trough-to-peak rise of a market's reference within [from, to] seconds, in %. */
export function largestMovePct(reference: Map<number, number[]> | undefined, fromSecond: number, toSecond: number): number | null {
  if (!reference) return null;
  let high = -Infinity;
  let low = Infinity;
  let best: number | null = null;
  for (let s = fromSecond; s <= toSecond; s++) {
    for (const p of reference.get(s) ?? []) {
      high = Math.max(high, p);
      low = Math.min(low, p);
      const move = Math.max((high - p) / high, (p - low) / low) * 100;
      best = Math.max(best ?? 0, move);
    }
  }
  return best;
}

export interface ExpectedCascade {
  startMs: number;
  endMs: number;
  fills: TruthFill[];
}

/**
 * The cascades the documented method should keep: gap clusters with at least `minLiquidations`
 * liquidation fills and `minNotionalUsd` liquidated, whose assets' reference moved at least
 * `minPriceMovePct` from `lookbackSeconds` before the cluster to its end. Clusters within
 * `borderlinePct` of the price threshold are returned apart: another reference (the store's trade
 * closes instead of the simulator's mid) may decide them either way.
 */
export function expectedCascades(
  gt: GroundTruth,
  params: { gapMs: number; minLiquidations: number; minNotionalUsd: number; minPriceMovePct: number; priceMoveLookbackSeconds: number },
  borderlinePct = 0.25,
): { kept: ExpectedCascade[]; borderline: ExpectedCascade[]; clusters: number } {
  const reference = referenceBySecond(gt);
  const clusters = gapClusters(truthFills(gt), params.gapMs);
  const kept: ExpectedCascade[] = [];
  const borderline: ExpectedCascade[] = [];
  for (const fills of clusters) {
    const liquidations = fills.filter((f) => f.kind === 'L');
    const usd = liquidations.reduce((sum, f) => sum.plus(f.usd), Dec.zero());
    if (liquidations.length < params.minLiquidations || Number(usd.toString()) < params.minNotionalUsd) continue;
    const startMs = fills[0]!.timeMs;
    const endMs = fills.at(-1)!.timeMs;
    let move: number | null = null;
    for (const asset of new Set(fills.map((f) => f.asset))) {
      const m = largestMovePct(reference.get(asset), Math.floor(startMs / 1000) - params.priceMoveLookbackSeconds, Math.floor(endMs / 1000));
      if (m !== null) move = Math.max(move ?? 0, m);
    }
    const cascade = { startMs, endMs, fills };
    if (move !== null && Math.abs(move - params.minPriceMovePct) < borderlinePct) borderline.push(cascade);
    else if (move === null || move >= params.minPriceMovePct) kept.push(cascade);
  }
  return { kept, borderline, clusters: clusters.length };
}

/** Exact sum of the fills' notional, as canonical decimal text. */
export function usdSum(fills: readonly TruthFill[]): string {
  return fills.reduce((sum, f) => sum.plus(f.usd), Dec.zero()).toString();
}

/** Canonical decimal text of a NUMERIC read from the store (null as '0'). */
export function numericText(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '0' : Dec.of(String(value)).toString();
}
