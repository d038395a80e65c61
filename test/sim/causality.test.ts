import { describe, expect, it } from 'vitest';
import {
  crossingFigures,
  cushionOf,
  distanceToThresholdPct,
  isMaterialOracleError,
  isMaterialParent,
  largestContributor,
} from '../../src/sim/causality.ts';
import { simulate } from '../../src/sim/engine.ts';
import { buildGroundTruth } from '../../src/sim/ground-truth.ts';
import { isolatedLiquidationPrice } from '../../src/sim/margin.ts';
import { parseScenario } from '../../src/sim/scenario-schema.ts';
import type { ScenarioInput } from '../../src/sim/scenario-schema.ts';

describe('causal figures (by hand)', () => {
  it('distance to the threshold is the % move to the isolated liquidation price, long and short', () => {
    // long 2 @100, margin 20, m 5 %: P* = (100 − 10)/0.95 = 94.7368…; at 98 the distance is (98 − P*)/98
    const long = [{ side: 'long' as const, entry: 100, size: 2, price: 98, m: 0.05 }];
    const pLong = isolatedLiquidationPrice('long', 100, 20, 2, 0.05);
    expect(distanceToThresholdPct(20, long)).toBeCloseTo((100 * (98 - pLong)) / 98, 10);
    // short 1 @100, margin 10, m 1 %: P* = 110/1.01 = 108.9108…; at 104 the distance is (P* − 104)/104
    const short = [{ side: 'short' as const, entry: 100, size: 1, price: 104, m: 0.01 }];
    const pShort = isolatedLiquidationPrice('short', 100, 10, 1, 0.01);
    expect(distanceToThresholdPct(10, short)).toBeCloseTo((100 * (pShort - 104)) / 104, 10);
    // past the threshold the distance is negative
    expect(distanceToThresholdPct(10, [{ ...short[0]!, price: 110 }])).toBeLessThan(0);
    // cushion = collateral + uPnL − maintenance: 20 + 2·(98 − 100) − 0.05·196 = 6.2
    expect(cushionOf(20, long)).toBeCloseTo(6.2, 12);
  });

  it('the share of the move past the threshold that impact caused', () => {
    // long 1 @100, margin 10, m 0 (P* = 90). Before: venue 91 (no-impact 91.5); now: venue 89.5 (no-impact 90.5).
    // cushion before 1, now −0.5: move 1.5; impact effect before −0.5, now −1: impact caused 0.5 of the 1.5
    const base = { side: 'long' as const, entry: 100, size: 1, m: 0 };
    const f = crossingFigures(10, [{ ...base, venueBefore: 91, noImpactBefore: 91.5, venueNow: 89.5, noImpactNow: 90.5 }]);
    expect(f.move).toBeCloseTo(1.5, 12);
    expect(f.impactPart).toBeCloseTo(0.5, 12);
    expect(f.causedShare).toBeCloseTo(1 / 3, 12);
    // impact that is only decaying (an old push) works against the crossing: share 0
    const old = crossingFigures(10, [{ ...base, venueBefore: 90.2, noImpactBefore: 90.5, venueNow: 89.9, noImpactNow: 90.15 }]);
    expect(old.impactPart).toBeLessThan(0);
    expect(old.causedShare).toBe(0);
    // the price recovered without impact and impact alone took it past: share 1 (clamped)
    expect(crossingFigures(10, [{ ...base, venueBefore: 90.5, noImpactBefore: 90.5, venueNow: 89.5, noImpactNow: 91 }]).causedShare).toBe(1);
  });

  it('the parent is the account liquidation whose impact consumed most of the move, summed over its fills', () => {
    // slope −(dCushion/dlog P) per market: market 0 slope 100, market 1 slope 50
    const slope = new Map([
      [0, 100],
      [1, 50],
    ]);
    const best = largestContributor(
      [
        // g1: two fills, −0.002 and −0.001 new log impact on market 0 → consumes 100·0.003 = 0.3
        { groupId: 'g1', fillId: 'f1', marketIndex: 0, weightBefore: 0, weightNow: -0.002 },
        { groupId: 'g1', fillId: 'f2', marketIndex: 0, weightBefore: 0, weightNow: -0.001 },
        // g2: −0.005 on market 1 → 50·0.005 = 0.25
        { groupId: 'g2', fillId: 'f3', marketIndex: 1, weightBefore: 0, weightNow: -0.005 },
        // g3: an old push decaying from −0.01 to −0.0099: consumes 100·(−0.0001) < 0
        { groupId: 'g3', fillId: 'f4', marketIndex: 0, weightBefore: -0.01, weightNow: -0.0099 },
      ],
      slope,
    );
    expect(best).toEqual({ groupId: 'g1', fillId: 'f1', consumed: expect.closeTo(0.3, 12) });
    expect(largestContributor([{ groupId: 'g3', fillId: 'f4', marketIndex: 0, weightBefore: -0.01, weightNow: -0.0099 }], slope)).toBeNull();
  });

  it('materiality thresholds', () => {
    const m = { parentMinCausedShare: 0.5, oracleErrorMinDistancePct: 0.5 };
    expect(isMaterialParent(false, 0.5, m)).toBe(true);
    expect(isMaterialParent(false, 0.49, m)).toBe(false);
    expect(isMaterialParent(true, 1, m)).toBe(false);
    expect(isMaterialOracleError(0.5, m)).toBe(true);
    expect(isMaterialOracleError(0.02, m)).toBe(false);
  });
});

/**
 * Two long dYdX traders on one market with a single-level book: trader A (the higher liquidation
 * price) is gapped below its threshold, its liquidation order sells into the book, and what that
 * does to trader B is worked out by hand from the positions the engine drew.
 */
function handScenario(shocks: { atSecond: number; durationSeconds: number; movePct: number }[], depthUsd: number, resilienceSeconds: number): ScenarioInput {
  return {
    name: 'causality-hand',
    seed: 7,
    start: '2025-01-01T00:00:00Z',
    durationSeconds: 300,
    stepMs: 1000,
    venues: [
      {
        id: 'dydx',
        kind: 'dydx',
        traderShare: 1,
        maintenanceMarginRate: 0.03,
        maxLeverage: 20,
        insuranceFundUsd: 1e9,
        liquidationFeeRate: 0,
        oracle: { heartbeatSeconds: 1, deviationPct: 0, lagMs: 0 },
      },
    ],
    markets: [{ symbol: 'ETH', startPrice: 100, depth: [{ pct: 1, usd: depthUsd }], venues: ['dydx'] }],
    pricePath: { kind: 'stochastic', volatility: 0, shocks },
    traders: { count: 2, leverage: { min: 5, max: 15 }, sizeUsd: { min: 100_000, max: 100_000 }, longShare: 1, crossShare: 0, entrySpreadPct: 0 },
    // makers never withdraw here (half depth at an absurd volatility), so the book is the profile
    liquidity: { halfDepthAtVolPct: 1e12, resilienceSeconds },
    referenceFeed: { heartbeatSeconds: 3600, deviationPct: 0.5, markets: ['ETH'] },
  };
}

function run(input: ScenarioInput) {
  const scenario = parseScenario(input);
  return buildGroundTruth(scenario, simulate(scenario));
}

describe('parents are material: engine cases worked out by hand', () => {
  // the draw of traders does not depend on the price path, so a flat run shows who A and B are
  const flat = run(handScenario([], 1e9, 1000));
  const [a, b] = [...flat.positions].sort((x, y) => Number(y.liquidationPrice) - Number(x.liquidationPrice));
  const pA = Number(a!.liquidationPrice);
  const pB = Number(b!.liquidationPrice);
  const qA = Number(a!.size);
  const start = Date.parse('2025-01-01T00:00:00Z');

  it('the draw gives two thresholds more than 0.5 % apart (precondition)', () => {
    expect(flat.liquidations).toEqual([]);
    expect((pA - pB) / pA).toBeGreaterThan(0.005);
  });

  it("A's liquidation order pushes B over: B's parent is A, the impact caused all of B's move", () => {
    // gap at 9–10 s from 100 to X just below A's threshold; flat afterwards
    const x = pA * 0.999;
    // the book moves the mid by N/depth % for a sale of N (one level, same density beyond): A's sale moves it
    // 0.2 % further than B's distance
    const moveFraction = (x - pB) / x + 0.002;
    const depth = (qA * x) / (100 * moveFraction);
    const gt = run(handScenario([{ atSecond: 9, durationSeconds: 1, movePct: (x / 100 - 1) * 100 }], depth, 10_000));
    const groups = gt.accountLiquidations;
    expect(groups).toHaveLength(2);
    const [ga, gb] = groups;
    expect(ga!.account).toBe(a!.account);
    expect(ga!.timeMs - start).toBe(10_000);
    expect(ga!.exogenous).toBe(true);
    expect(ga!.parentGroupId).toBeNull();
    // B one publication later: not liquidatable on the no-impact path, which stayed at X
    expect(gb!.account).toBe(b!.account);
    expect(gb!.timeMs - start).toBe(11_000);
    expect(gb!.exogenous).toBe(false);
    expect(Number(gb!.noImpactDistancePct)).toBeCloseTo((100 * (x - pB)) / x, 3);
    expect(Number(gb!.causedShare)).toBeCloseTo(1, 6);
    expect(gb!.parentGroupId).toBe(ga!.id);
    expect(gb!.cascadeId).toBe(ga!.id);
    expect(gt.cascades).toEqual([expect.objectContaining({ id: ga!.id, size: 2, groups: [expect.objectContaining({ id: ga!.id, depth: 0 }), expect.objectContaining({ id: gb!.id, parentGroupId: ga!.id, depth: 1 })] })]);
    expect(gt.liquidations.find((l) => l.account === b!.account)!.parentId).toBe(gt.liquidations.find((l) => l.account === a!.account)!.id);
  });

  it("an old push is no parent: B crosses while the path drifts down and A's impact decays", () => {
    const x = pA * 0.999;
    // A's sale moves the mid half of B's distance: B survives it
    const moveFraction = (0.5 * (x - pB)) / x;
    const depth = (qA * x) / (100 * moveFraction);
    // then the path drifts from X to 0.05 % above B's threshold over 200 s, while A's impact (τ = 600 s) keeps
    // more than 0.05 % of the price below the path: B is liquidated by the drift with A's push still needed
    const y = pB * 1.0005;
    const gt = run(
      handScenario(
        [
          { atSecond: 9, durationSeconds: 1, movePct: (x / 100 - 1) * 100 },
          { atSecond: 20, durationSeconds: 200, movePct: (y / x - 1) * 100 },
        ],
        depth,
        600,
      ),
    );
    expect(gt.accountLiquidations).toHaveLength(2);
    const gb = gt.accountLiquidations[1]!;
    expect(gb.account).toBe(b!.account);
    const point = gt.series.find((p) => p.time === gb.time)!;
    // by hand from the series: the no-impact path is still above B's threshold, the reference below it
    expect(Number(point.exogenous)).toBeGreaterThan(pB);
    expect(Number(point.reference)).toBeLessThanOrEqual(pB);
    expect(gb.exogenous).toBe(false);
    expect(Number(gb.noImpactDistancePct)).toBeGreaterThan(0);
    // the move past the threshold was the drift's: A's impact was recovering
    expect(Number(gb.causedShare)).toBe(0);
    expect(gb.contributorGroupId).toBeNull();
    expect(gb.parentGroupId).toBeNull();
    expect(gt.cascades.map((c) => c.size)).toEqual([1, 1]);
  });
});
