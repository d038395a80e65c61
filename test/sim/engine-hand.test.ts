import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/sim/scenario-schema.ts';
import { simulate } from '../../src/sim/engine.ts';
import { buildGroundTruth } from '../../src/sim/ground-truth.ts';

/**
 * One GMX trader whose numbers are fixed by the scenario: long, entry 100 (no spread), 10×
 * leverage on $10,000 → margin 1,000, size 100 ETH, m = 1 %. By hand: liquidation price
 * (100 − 1000/100)/(1 − 0.01) = 90.9090…, bankruptcy price 90.
 */
const scenario = parseScenario({
  name: 'hand-case',
  seed: 1,
  start: '2025-01-01T00:00:00Z',
  durationSeconds: 120,
  stepMs: 500,
  venues: [
    {
      id: 'gmx',
      kind: 'gmx-v2',
      traderShare: 1,
      maintenanceMarginRate: 0.01,
      maxLeverage: 50,
      liquidationFeeRate: 0.001,
      oracle: { heartbeatSeconds: 1, deviationPct: 0, lagMs: 0, spreadBps: 0 },
      adl: { enabled: false, poolValueUsd: 1_000_000, maxPnlFactor: 0.5, minPnlFactorAfterAdl: 0.4 },
    },
  ],
  markets: [{ symbol: 'ETH', startPrice: 100, depth: [{ pct: 1, usd: 1_000_000 }], venues: ['gmx'] }],
  // −20 % spread evenly over 100 s, no noise: the price is 100·0.8^(t/100)
  pricePath: { kind: 'stochastic', volatility: 0, shocks: [{ atSecond: 10, durationSeconds: 100, movePct: -20 }] },
  traders: { count: 1, leverage: { min: 10, max: 10 }, sizeUsd: { min: 10_000, max: 10_000 }, longShare: 1, crossShare: 0, entrySpreadPct: 0 },
  liquidity: { halfDepthAtVolPct: 5, resilienceSeconds: 30 },
  referenceFeed: { heartbeatSeconds: 3600, deviationPct: 0.5, markets: ['ETH'] },
});

describe('engine on a hand-computed case', () => {
  const gt = buildGroundTruth(scenario, simulate(scenario));
  const liqPrice = (100 - 1000 / 100) / (1 - 0.01);

  it('the position is liquidated at the first oracle price at or below (E − M/Q)/(1 − m)', () => {
    expect(gt.positions).toHaveLength(1);
    expect(Number(gt.positions[0]!.liquidationPrice)).toBeCloseTo(liqPrice, 6);
    expect(gt.liquidations).toHaveLength(1);
    const l = gt.liquidations[0]!;
    // the price crosses 90.909 when 0.8^((t−10)/100) = 0.90909 → t = 10 + 100·ln(0.90909)/ln(0.8) = 52.71 s;
    // the oracle publishes every second, so the first publication below it is at 53 s
    const crossing = 10 + (100 * Math.log(liqPrice / 100)) / Math.log(0.8);
    expect(crossing).toBeCloseTo(52.71, 2);
    expect(l.timeMs - Date.parse('2025-01-01T00:00:00Z')).toBe(Math.ceil(crossing) * 1000);
    const price = 100 * 0.8 ** ((Math.ceil(crossing) - 10) / 100);
    expect(Number(l.price)).toBeCloseTo(price, 4);
    expect(l.size).toBe('100');
    expect(l.side).toBe('long');
    // pnl = Q·(P − E); above the bankruptcy price 90 there is no bad debt; fee 0.1 % of notional
    expect(Number(l.pnlUsd)).toBeCloseTo(100 * (price - 100), 3);
    expect(l.badDebtUsd).toBe('0');
    expect(Number(l.feeUsd)).toBeCloseTo(0.001 * 100 * price, 3);
    expect(l.exogenous).toBe(true);
    expect(l.parentId).toBeNull();
    expect(l.oracleError).toBe(false);
  });

  it('the pool (counterparty) gains exactly what the trader lost', () => {
    const pool = Number(gt.balances[0]!.pools!.ETH);
    expect(pool).toBeCloseTo(1_000_000 - Number(gt.liquidations[0]!.pnlUsd), 4);
  });
});
