import { describe, expect, it } from 'vitest';
import {
  accountHealth,
  bankruptcyPrice,
  hyperliquidMaintenanceRate,
  hyperliquidNeedsBackstop,
  isLiquidatable,
  isolatedLiquidationPrice,
  settleClose,
} from '../../src/sim/margin.ts';
import { walkBook } from '../../src/sim/book.ts';
import { rankHyperliquidAdl } from '../../src/sim/venues/hyperliquid.ts';
import { deleveragingOrder } from '../../src/sim/venues/dydx.ts';
import { planGmxAdl, pnlToPoolFactor } from '../../src/sim/venues/gmx-v2.ts';
import { OracleFeed } from '../../src/sim/oracle.ts';
import { dec, mulDec, toRaw, fromRaw } from '../../src/sim/units.ts';
import { createVenue } from '../../src/sim/venues/create-venue.ts';
import { parseScenario } from '../../src/sim/scenario-schema.ts';
import type { MarketSpec } from '../../src/sim/scenario-schema.ts';

describe('liquidation and bankruptcy prices (formats.md §8, by hand)', () => {
  it('isolated long: E=100, M=10, Q=1, m=5 % → (100 − 10)/0.95 = 94.736842…', () => {
    const p = isolatedLiquidationPrice('long', 100, 10, 1, 0.05);
    expect(p).toBeCloseTo(90 / 0.95, 10);
    // at that price equity equals maintenance: 10 + (p − 100) = 0.05·p
    expect(10 + (p - 100)).toBeCloseTo(0.05 * p, 10);
    expect(bankruptcyPrice('long', 100, 10, 1)).toBe(90);
  });

  it('isolated short: E=100, M=10, Q=2, m=1 % → (100 + 5)/1.01 = 103.960396…', () => {
    expect(isolatedLiquidationPrice('short', 100, 10, 2, 0.01)).toBeCloseTo(105 / 1.01, 10);
    expect(bankruptcyPrice('short', 100, 10, 2)).toBe(105);
  });

  it('cross margin: wallet + Σ uPnL against Σ notional·m', () => {
    // long 1 @100 now 90 (m 5 %), short 2 @50 now 55 (m 10 %): equity 100 − 10 − 10 = 80; maintenance 4.5 + 11 = 15.5
    const positions = [
      { side: 'long' as const, entry: 100, size: 1, price: 90, m: 0.05 },
      { side: 'short' as const, entry: 50, size: 2, price: 55, m: 0.1 },
    ];
    const h = accountHealth(100, positions);
    expect(h.equity).toBeCloseTo(80, 12);
    expect(h.maintenance).toBeCloseTo(15.5, 12);
    expect(isLiquidatable(100, positions)).toBe(false);
    expect(isLiquidatable(35, positions)).toBe(true); // 15 ≤ 15.5
  });

  it('Hyperliquid: maintenance is half the initial margin at max leverage; backstop under 2/3 of it', () => {
    expect(hyperliquidMaintenanceRate(40)).toBe(0.0125);
    expect(hyperliquidMaintenanceRate(5)).toBe(0.1);
    expect(hyperliquidNeedsBackstop(0.6, 1)).toBe(true);
    expect(hyperliquidNeedsBackstop(0.7, 1)).toBe(false);
  });
});

describe('ADL order', () => {
  it('Hyperliquid ranks winners by (entry/mark)·(notional/account value) for shorts, losers excluded', () => {
    // mark 80 after a fall; short winners:
    // A entry 100, 1 unit, account 40   → 1.25 × 80/40  = 2.5
    // B entry 90,  2 units, account 200 → 1.125 × 160/200 = 0.9
    // C entry 120, 0.5 unit, account 20 → 1.5 × 40/20  = 3.0
    // D entry 70 is losing at 80 → not eligible
    const ranked = rankHyperliquidAdl(
      [
        { positionId: 'A', side: 'short', entry: 100, size: 1, accountValue: 40 },
        { positionId: 'B', side: 'short', entry: 90, size: 2, accountValue: 200 },
        { positionId: 'C', side: 'short', entry: 120, size: 0.5, accountValue: 20 },
        { positionId: 'D', side: 'short', entry: 70, size: 3, accountValue: 50 },
      ],
      80,
    );
    expect(ranked.map((c) => c.positionId)).toEqual(['C', 'A', 'B']);
  });

  it('Hyperliquid ranks long winners by (mark/entry)·(notional/account value)', () => {
    // mark 120: L1 entry 100, 1 unit, acct 60 → 1.2 × 2 = 2.4; L2 entry 60, 1 unit, acct 120 → 2 × 1 = 2.0
    const ranked = rankHyperliquidAdl(
      [
        { positionId: 'L2', side: 'long', entry: 60, size: 1, accountValue: 120 },
        { positionId: 'L1', side: 'long', entry: 100, size: 1, accountValue: 60 },
      ],
      120,
    );
    expect(ranked.map((c) => c.positionId)).toEqual(['L1', 'L2']);
  });

  it('dYdX walks offsetting subaccounts from a pseudo-random start, wrapping around', () => {
    expect(deleveragingOrder(['a', 'b', 'c', 'd'], 2)).toEqual(['c', 'd', 'a', 'b']);
    expect(deleveragingOrder(['a', 'b', 'c'], 7)).toEqual(['b', 'c', 'a']);
    expect(deleveragingOrder([], 3)).toEqual([]);
  });

  it('GMX: pnl-to-pool factor and ADL until the factor is at the floor', () => {
    // shorts at price 80: s1 entry 100 × 10 = +200, s2 entry 90 × 10 = +100, s3 entry 70 × 10 = −100 → net +200; pool 1000 → 0.2
    const positions = [
      { id: 's1', side: 'short' as const, entry: 100, size: 10 },
      { id: 's2', side: 'short' as const, entry: 90, size: 10 },
      { id: 's3', side: 'short' as const, entry: 70, size: 10 },
      { id: 'l1', side: 'long' as const, entry: 100, size: 10 },
    ];
    expect(pnlToPoolFactor(positions, 'short', 80, 1000)).toBeCloseTo(0.2, 12);
    // floor 0.05 → target pnl 50: closing s1 (200) leaves 0 ≤ 50 → only s1
    expect(planGmxAdl(positions, 'short', 80, 1000, 0.05, 1)).toEqual([{ index: 0, size: 10 }]);
    // floor 0.001, closing half of each: s1 removes 100, s2 removes 50; 50 is still above 1 but the
    // only position left on the side is s3, a loser, which ADL never touches
    expect(planGmxAdl(positions, 'short', 80, 1000, 0.001, 0.5).map((p) => p.index)).toEqual([0, 1]);
  });
});

describe('backstop accounting balances to zero', () => {
  const identity = (s: ReturnType<typeof settleClose>) => s.traderPnl + s.fee + s.counterpartyPnl - s.insurancePaid - s.badDebt;

  it('solvent close with a fee: collateral 100, long 10 @100 out at 95, fee 1 %', () => {
    const s = settleClose(100, [{ side: 'long', entry: 100, size: 10, exit: 95 }], 0.01, 0);
    expect(s.grossPnl).toBeCloseTo(-50, 12);
    expect(s.fee).toBeCloseTo(9.5, 12); // 1 % of 950
    expect(s.returned).toBeCloseTo(40.5, 12);
    expect(s.traderPnl).toBeCloseTo(-59.5, 12);
    expect(s.counterpartyPnl).toBeCloseTo(50, 12);
    expect(identity(s)).toBeCloseTo(0, 12);
  });

  it('under water: collateral 10, long 1 @100 out at 80, insurance holds 4 → pays 4, bad debt 6', () => {
    const s = settleClose(10, [{ side: 'long', entry: 100, size: 1, exit: 80 }], 0.01, 4);
    expect(s.fee).toBe(0);
    expect(s.traderPnl).toBe(-10);
    expect(s.counterpartyPnl).toBe(20);
    expect(s.insurancePaid).toBe(4);
    expect(s.badDebt).toBe(6);
    expect(identity(s)).toBe(0);
  });

  it('the fee never exceeds what is left: collateral 10, long 1 @100 out at 91, fee 5 % → fee 1', () => {
    const s = settleClose(10, [{ side: 'long', entry: 100, size: 1, exit: 91 }], 0.05, 100);
    expect(s.fee).toBeCloseTo(1, 12);
    expect(s.returned).toBe(0);
    expect(s.insurancePaid).toBe(0);
    expect(identity(s)).toBeCloseTo(0, 12);
  });

  it('cross account, two positions, short side: collateral 50, short 2 @50 out at 60, long 1 @100 out at 105', () => {
    // gross = −20 + 5 = −15, equity 35, fee 0.1 % of (120 + 105) = 0.225
    const s = settleClose(
      50,
      [
        { side: 'short', entry: 50, size: 2, exit: 60 },
        { side: 'long', entry: 100, size: 1, exit: 105 },
      ],
      0.001,
      0,
    );
    expect(s.grossPnl).toBeCloseTo(-15, 12);
    expect(s.fee).toBeCloseTo(0.225, 12);
    expect(s.returned).toBeCloseTo(34.775, 12);
    expect(identity(s)).toBeCloseTo(0, 12);
  });
});

describe('order book walk (piecewise-linear depth, by hand)', () => {
  const levels = [
    { pct: 1, usd: 1000 },
    { pct: 3, usd: 3000 },
  ];
  it('fills across two levels', () => {
    // 1000 in the first 1 % (avg 0.5 %), 1000 more at 1000/% → 1 % more (avg 1.5 %) → move 2 %, avg 1 %
    const f = walkBook(levels, 1, 2000);
    expect(f.movePct).toBeCloseTo(2, 12);
    expect(f.avgPct).toBeCloseTo(1, 12);
  });
  it('a thinner book (makers withdrew half) moves twice as far', () => {
    const f = walkBook(levels, 0.5, 500);
    expect(f.movePct).toBeCloseTo(1, 12);
    expect(f.avgPct).toBeCloseTo(0.5, 12);
  });
  it('beyond the profile the last density continues', () => {
    // 3000 within 3 %, then 2000 at 1000/% → 5 %; avg = (1000·0.5 + 2000·2 + 2000·4)/5000 = 2.5 %
    const f = walkBook(levels, 1, 5000);
    expect(f.movePct).toBeCloseTo(5, 12);
    expect(f.avgPct).toBeCloseTo(2.5, 12);
  });
});

describe('oracle publication rules', () => {
  const path = (t: number) => (t < 1000 ? 100 : t < 2000 ? 100.5 : t < 3000 ? 101.2 : 101.2);
  const observe = (t: number) => ({ reference: path(t), exogenous: path(t) });
  it('publishes at start, on ≥ 1 % deviation and on the heartbeat', () => {
    const feed = new OracleFeed({ heartbeatSeconds: 10, deviationPct: 1, lagMs: 0, spreadBps: 0 }, false);
    const pubs: { t: number; price: number; trigger: string }[] = [];
    for (let t = 0; t <= 13_000; t += 500) for (const p of feed.poll(t, observe)) pubs.push({ t, price: p.price, trigger: p.trigger });
    // 100 at 0; 100.5 is +0.5 % (no); 101.2 at 2 s is +1.2 % (yes); heartbeat 10 s after → 12 s
    expect(pubs).toEqual([
      { t: 0, price: 100, trigger: 'start' },
      { t: 2000, price: 101.2, trigger: 'deviation' },
      { t: 12_000, price: 101.2, trigger: 'heartbeat' },
    ]);
  });
  it('publishes nothing in a stale window and lands late under congestion', () => {
    const stale = new OracleFeed({ heartbeatSeconds: 1, deviationPct: 0, lagMs: 0, spreadBps: 0, stale: { fromSecond: 1, toSecond: 5 } }, false);
    const times: number[] = [];
    for (let t = 0; t <= 6000; t += 1000) if (stale.poll(t, observe).length) times.push(t);
    expect(times).toEqual([0, 5000, 6000]);
    const slow = new OracleFeed({ heartbeatSeconds: 1, deviationPct: 0, lagMs: 0, spreadBps: 0, congestion: { fromSecond: 0, toSecond: 100, delaySeconds: 3 } }, false);
    const landed: [number, number][] = [];
    for (let t = 0; t <= 4000; t += 1000) for (const p of slow.poll(t, observe)) landed.push([t, p.observedAtMs]);
    expect(landed).toEqual([
      [3000, 0],
      [4000, 1000],
    ]);
  });
  it('a depegged source reads the thin venue: 35 % below after the ramp', () => {
    const feed = new OracleFeed({ heartbeatSeconds: 1, deviationPct: 0, lagMs: 0, spreadBps: 0, depeg: { fromSecond: 10, toSecond: 20, dropPct: 35, rampSeconds: 4 } }, true);
    expect(feed.depegPctAt(9_000)).toBe(0);
    expect(feed.depegPctAt(12_000)).toBeCloseTo(17.5, 12);
    expect(feed.depegPctAt(15_000)).toBe(35);
    expect(feed.depegPctAt(22_000)).toBeCloseTo(17.5, 12);
    expect(feed.depegPctAt(24_000)).toBe(0);
  });
});

describe('exact decimals', () => {
  it('fixes floats once and multiplies exactly', () => {
    expect(dec(1.5, 2)).toBe('1.5');
    expect(dec(-0.0000001, 4)).toBe('0');
    expect(mulDec('1.25', '3.5', 6)).toBe('4.375');
    expect(mulDec('0.333', '0.5', 2)).toBe('0.17');
    expect(toRaw('104582.25', 22)).toBe(10458225n * 10n ** 20n);
    expect(fromRaw(-1234500n, 6)).toBe('-1.2345');
    expect(() => toRaw('1.234', 2)).toThrow(/more than 2 decimals/);
  });
});

describe('venue modules (one file per venue kind behind SimVenue)', () => {
  const oracle = { heartbeatSeconds: 1, deviationPct: 0, lagMs: 0, spreadBps: 2 };
  const market = (symbol: string, maxLeverage?: number): MarketSpec =>
    ({ symbol, startPrice: 100, beta: 1, idioVolatility: 0, depth: [{ pct: 1, usd: 1e6 }], venues: ['v'], ...(maxLeverage ? { maxLeverage } : {}) }) as MarketSpec;

  it('GMX v2 values longs at the min and shorts at the max of a 2 bp spread; isolated only', () => {
    const gmx = createVenue(
      { id: 'v', kind: 'gmx-v2', traderShare: 1, oracle, liquidationFeeRate: 0, maintenanceMarginRate: 0.01, maxLeverage: 50, adl: { enabled: true, poolValueUsd: 1e6, maxPnlFactor: 0.5, minPnlFactorAfterAdl: 0.4, closeShare: 1 } },
      [market('ETH')],
    );
    expect(gmx.valuationPrice('long', 100)).toBeCloseTo(99.98, 12);
    expect(gmx.valuationPrice('short', 100)).toBeCloseTo(100.02, 12);
    expect(gmx.crossMargin).toBe(false);
    expect(gmx.maintenanceRate(market('ETH'))).toBe(0.01);
    expect(gmx.openingBalance([market('ETH')]).pools).toEqual({ ETH: 1e6 });
    expect(gmx.accountAddress(1, 'a')).toMatch(/^0x[0-9a-f]{40}$/);
  });

  it('a GMX v2 module listing a market GMX v2 lacks fails when it is built, before any step runs', () => {
    const spec = { id: 'v', kind: 'gmx-v2' as const, traderShare: 1, oracle, liquidationFeeRate: 0, maintenanceMarginRate: 0.01, maxLeverage: 50, adl: { enabled: true, poolValueUsd: 1e6, maxPnlFactor: 0.5, minPnlFactorAfterAdl: 0.4, closeShare: 1 } };
    expect(() => createVenue(spec, [market('HYPE')])).toThrow(/lists HYPE, but GMX v2 has no HYPE\/USD market/);
  });

  it('Hyperliquid: maintenance from the market max leverage (else the venue one), no spread; dYdX: bech32-style addresses', () => {
    const hl = createVenue({ id: 'v', kind: 'hyperliquid', traderShare: 1, oracle, liquidationFeeRate: 0, maxLeverage: 40, backstopCapitalUsd: 1, backstopCapacityUsd: 1, backstopUnloadUsdPerSecond: 1, liquidationSlippageCapPct: 2, adl: { enabled: true } }, []);
    expect(hl.maintenanceRate(market('HYPE', 10))).toBe(0.05);
    expect(hl.maintenanceRate(market('BTC'))).toBe(0.0125);
    expect(hl.maxLeverage(market('HYPE', 10))).toBe(10);
    expect(hl.valuationPrice('long', 100)).toBe(100);
    const dydx = createVenue({ id: 'v', kind: 'dydx', traderShare: 1, oracle, liquidationFeeRate: 0, maintenanceMarginRate: 0.03, maxLeverage: 20, insuranceFundUsd: 5, adl: { enabled: true } }, []);
    expect(dydx.accountAddress(1, 'a')).toMatch(/^dydx1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}$/);
    expect(dydx.openingBalance([])).toMatchObject({ insuranceStart: 5, insuranceEnd: 5 });
  });

  it('every shipped venue kind builds from a parsed scenario', () => {
    const s = parseScenario({
      name: 'k', seed: 1, start: '2025-01-01T00:00:00Z', durationSeconds: 10, stepMs: 500,
      venues: [
        { id: 'g', kind: 'gmx-v2', traderShare: 1, oracle, maintenanceMarginRate: 0.01, maxLeverage: 50, adl: { poolValueUsd: 1e6, maxPnlFactor: 0.5, minPnlFactorAfterAdl: 0.4 } },
        { id: 'h', kind: 'hyperliquid', traderShare: 1, oracle, maxLeverage: 40, backstopCapitalUsd: 1, backstopCapacityUsd: 1, backstopUnloadUsdPerSecond: 1 },
        { id: 'd', kind: 'dydx', traderShare: 1, oracle, maintenanceMarginRate: 0.03, maxLeverage: 20, insuranceFundUsd: 1 },
      ],
      markets: [{ symbol: 'ETH', startPrice: 100, depth: [{ pct: 1, usd: 1e6 }], venues: ['g', 'h', 'd'] }],
      pricePath: { kind: 'stochastic', volatility: 0 },
      traders: { count: 1, leverage: { min: 2, max: 2 }, sizeUsd: { min: 1000, max: 1000 }, longShare: 1, crossShare: 0 },
      liquidity: { halfDepthAtVolPct: 1, resilienceSeconds: 10 },
      referenceFeed: { heartbeatSeconds: 3600, deviationPct: 0.5, markets: ['ETH'] },
    });
    expect(s.venues.map((v) => createVenue(v, s.markets).kind)).toEqual(['gmx-v2', 'hyperliquid', 'dydx']);
  });
});
