import { describe, expect, it } from 'vitest';
import { amihud, illiquidityIndex, kyleLambda, rollSpreadBps, type AssetTrading } from '../../src/analytics/depth/depth-proxies.ts';
import { largestMove, pricePath } from '../../src/analytics/prices/price-path.ts';
import { referenceSeries, type SecondObservation } from '../../src/analytics/prices/reference-series.ts';

/** The pure parts of the depth proxies and the reference price, on inputs whose answers are worked out by hand. */

function trading(seconds: number, fill: (s: number) => { trades?: number; volumeUsd?: number; flowUsd?: number; returnPct?: number }): AssetTrading {
  const t: AssetTrading = {
    asset: 'ETH', fromSecond: 1000, trades: new Float64Array(seconds), volumeUsd: new Float64Array(seconds),
    flowUsd: new Float64Array(seconds), returnPct: new Float64Array(seconds), closes: new Map(),
  };
  for (let i = 0; i < seconds; i++) {
    const v = fill(i);
    t.trades[i] = v.trades ?? 0;
    t.volumeUsd[i] = v.volumeUsd ?? 0;
    t.flowUsd[i] = v.flowUsd ?? 0;
    t.returnPct[i] = v.returnPct ?? 0;
  }
  return t;
}

describe('depth proxies', () => {
  it("Amihud is the mean over buckets of |bucket return| / $M traded", () => {
    // bucket 1 (s 0–9): returns +0.2 and +0.3 % on $2M; bucket 2 (s 10–19): −0.6 % on $3M
    const t = trading(20, (s) => ({
      trades: 1,
      volumeUsd: s < 10 ? 200_000 : 300_000,
      returnPct: s === 3 ? 0.2 : s === 7 ? 0.3 : s === 15 ? -0.6 : 0,
    }));
    // (0.5 / 2 + 0.6 / 3) / 2 = 0.225 % per $1M
    expect(amihud(t, 1000, 1020, 10)).toBeCloseTo(0.225, 12);
    // a bucket without volume is left out, not divided by zero
    const gap = trading(20, (s) => (s < 10 ? { trades: 1, volumeUsd: 100_000, returnPct: s === 0 ? 0.4 : 0 } : { returnPct: 0.1 }));
    expect(amihud(gap, 1000, 1020, 10)).toBeCloseTo(0.4, 12);
  });

  it("Kyle's λ is the slope of bucket returns on bucket signed flow", () => {
    // flows $1M, $2M, $3M with returns 0.1, 0.3, 0.5 %: slope 0.2 % per $1M
    const flows = [1e6, 2e6, 3e6];
    const returns = [0.1, 0.3, 0.5];
    const t = trading(30, (s) => (s % 10 === 0 ? { trades: 1, volumeUsd: 1, flowUsd: flows[s / 10]!, returnPct: returns[s / 10]! } : {}));
    expect(kyleLambda(t, 1000, 1030, 10)).toBeCloseTo(0.2, 12);
    // two buckets are not a regression
    expect(kyleLambda(t, 1000, 1020, 10)).toBeNull();
  });

  it("Roll's spread is 2·√(−cov) of consecutive price changes, in bps of the price", () => {
    // a pure bounce between 100 and 100.1: changes ±0.1, covariance −0.01, spread 0.2 on a mean price of 100.05
    const t = trading(10, () => ({}));
    t.closes.set('hyperliquid', Array.from({ length: 10 }, (_, i) => ({ second: 1000 + i, price: i % 2 === 0 ? 100 : 100.1 })));
    expect(rollSpreadBps(t, 1000, 1010)).toBeCloseTo((0.2 / 100.05) * 1e4, 9);
    // a steady trend has no bounce to measure
    t.closes.set('hyperliquid', Array.from({ length: 10 }, (_, i) => ({ second: 1000 + i, price: 100 + i })));
    expect(rollSpreadBps(t, 1000, 1010)).toBeNull();
  });

  it('the illiquidity index is the trailing impact per $ over its baseline: a book cut to a quarter reads 4', () => {
    // 600 s of baseline at $1M a second and 0.01 % moves, then 60 s at $250k with the same moves
    const t = trading(660, (s) => ({ trades: 1, volumeUsd: s < 600 ? 1_000_000 : 250_000, returnPct: 0.01 }));
    const idx = illiquidityIndex([t], { fromSecond: 1600, toSecond: 1660, baselineFrom: 1000, baselineTo: 1600 }, { windowSeconds: 30, bucketSeconds: 10 });
    expect(idx.baselines.get('ETH')).toBeCloseTo(0.3 / 30, 12);
    expect(idx.baselineIndex.every((x) => Math.abs(x - 1) < 1e-12)).toBe(true);
    // a window wholly in the thin minute: 0.3 % on $7.5M against 0.3 % on $30M
    expect(idx.index[29]).toBeCloseTo(4, 12);
    expect(idx.index[59]).toBeCloseTo(4, 12);
    // half in: 0.3 % on (15 × 1 + 15 × 0.25) $M = $18.75M → 30 / 18.75 = 1.6
    expect(idx.index[14]).toBeCloseTo(1.6, 12);
    // a baseline left out entirely leaves no baseline
    const none = illiquidityIndex([t], { fromSecond: 1600, toSecond: 1660, baselineFrom: 1000, baselineTo: 1600, exclude: [[900, 1700]] }, { windowSeconds: 30, bucketSeconds: 10 });
    expect(none.baselines.size).toBe(0);
  });
});

describe('reference price', () => {
  const obs = (source: string, second: number, price: number): SecondObservation => ({ source, kind: source.startsWith('trades:') ? 'trades' : 'oracle', second, price });
  // Two venues trade at 0; an oracle (wrong: 90) keeps publishing every 10 s.
  const observations = [obs('trades:a', 0, 100), obs('trades:b', 0, 102), ...Array.from({ length: 40 }, (_, i) => obs('oracle:x', i * 10, 90))];
  const options = { prefer: 'trades' as const, maxTradeStalenessSeconds: 60, maxStalenessSeconds: 300 };

  it('is the median of fresh trades, then of every source still within the oracle staleness', () => {
    const series = referenceSeries('ETH', observations, 0, 400, options);
    expect(series.prices[10]).toBe(101); // median of 100 and 102
    expect(series.prices[60]).toBe(101); // trades still fresh at 60 s
    expect(series.prices[61]).toBe(100); // median of 100, 102 and the oracle's 90
    expect(series.prices[300]).toBe(100);
    expect(series.prices[301]).toBe(90); // trades older than 300 s are gone
    expect(series.sources).toEqual(['oracle:x', 'trades:a', 'trades:b']);
    expect(referenceSeries('ETH', observations, 0, 400, { ...options, prefer: 'oracles' }).prices[10]).toBe(90);
    expect(referenceSeries('ETH', observations, 0, 400, { ...options, prefer: 'all' }).prices[10]).toBe(100);
    // nothing seen yet: no price
    expect(Number.isNaN(referenceSeries('ETH', [obs('trades:a', 5, 100)], 0, 10, options).prices[4]!)).toBe(true);
  });
});

describe('price path', () => {
  const series = { asset: 'ETH', fromSecond: 0, prices: Float64Array.from([100, 101, 99, 95, 96, 98, 100]), sourceCounts: new Uint8Array(7), sources: [] };

  it('finds the largest fall from a running peak and how much of it was won back', () => {
    const fall = largestMove(series, 0, 6, 'down')!;
    expect([fall.from, fall.to]).toEqual([{ price: 101, second: 1 }, { price: 95, second: 3 }]);
    expect(fall.pct).toBeCloseTo((6 / 101) * 100, 12);
    const path = pricePath(series, { fromSecond: 0, toSecond: 4, recoveryEnd: 6, direction: 'down', recoveryShare: 0.5 });
    // half of the 6-dollar fall is back at 98, at second 5; by second 6, 5 of 6 dollars
    expect(path.recoveredAt).toBe(5);
    expect(path.recoveredPct).toBeCloseTo((5 / 6) * 100, 12);
    expect(path.priceAfter).toBe(100);
    expect(path.runup?.pct).toBeCloseTo((1 / 95) * 100, 12);
  });
});
