import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { runSimulation } from '../../src/sim/run-sim.ts';
import type { SimOutput } from '../../src/sim/run-sim.ts';
import { parseScenario } from '../../src/sim/scenario-schema.ts';
import type { ScenarioInput } from '../../src/sim/scenario-schema.ts';
import { fromRaw, mulDec, toRaw } from '../../src/sim/units.ts';

/**
 * Ordinary trading written beside the liquidation fills (Hyperliquid node fills, dYdX trades and
 * fills): real formats (zod schemas written here from formats.md §6–7), both sides of each trade,
 * positions carried through the fills, rates and sizes that follow the depth makers keep, and
 * liquidations left exactly as they were.
 */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/);
const positive = z.string().regex(/^\d+(\.\d+)?$/).refine((v) => /[1-9]/.test(v));
const hlFill = z.strictObject({
  coin: z.string().min(1),
  px: positive,
  sz: positive,
  side: z.enum(['A', 'B']),
  time: z.number().int(),
  startPosition: decimal,
  dir: z.string(),
  closedPnl: decimal,
  hash: z.string().regex(/^0x[0-9a-f]{64}$/),
  oid: z.number().int().nonnegative(),
  crossed: z.boolean(),
  fee: decimal,
  tid: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  feeToken: z.string(),
  builderFee: decimal.optional(),
  twapId: z.number().nullable(),
  cloid: z.string().optional(),
  liquidation: z.strictObject({ liquidatedUser: z.string(), markPx: positive, method: z.enum(['market', 'backstop']) }).optional(),
});
type HlFill = z.infer<typeof hlFill>;
const hlBlock = z.strictObject({
  local_time: z.string(),
  block_time: z.string(),
  block_number: z.number().int(),
  events: z.array(z.tuple([z.string().regex(/^0x[0-9a-f]{40}$/), hlFill])),
});
const dydxFill = z.strictObject({
  id: z.string().uuid(),
  side: z.enum(['BUY', 'SELL']),
  liquidity: z.enum(['TAKER', 'MAKER']),
  type: z.enum(['LIMIT', 'LIQUIDATED', 'LIQUIDATION', 'DELEVERAGED', 'OFFSETTING', 'TWAP_SUBORDER']),
  market: z.string().regex(/^[A-Z0-9]+-USD$/),
  marketType: z.literal('PERPETUAL'),
  price: positive,
  size: positive,
  fee: decimal,
  createdAt: z.iso.datetime(),
  createdAtHeight: z.string().regex(/^\d+$/),
  subaccountNumber: z.number().int(),
});
const dydxTrade = z.strictObject({
  id: z.string().uuid(),
  side: z.enum(['BUY', 'SELL']),
  size: positive,
  price: positive,
  type: z.enum(['LIMIT', 'LIQUIDATED', 'DELEVERAGED', 'TWAP_SUBORDER']),
  createdAt: z.iso.datetime(),
  createdAtHeight: z.string().regex(/^\d+$/),
});

const PERP_DIRS = ['Open Long', 'Close Long', 'Open Short', 'Close Short', 'Long > Short', 'Short > Long'];

function hlEvents(out: SimOutput): [string, HlFill][] {
  return [...out.files]
    .filter(([path]) => path.startsWith('hyperliquid/node_fills_by_block/'))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([, content]) => content.trim().split('\n'))
    .flatMap((line) => hlBlock.parse(JSON.parse(line)).events);
}

function dydxPages<T>(out: SimOutput, prefix: string, key: 'fills' | 'trades', schema: z.ZodType<T>): T[] {
  return [...out.files].filter(([path]) => path.startsWith(prefix)).flatMap(([, content]) => z.array(schema).parse(JSON.parse(content)[key]));
}

describe('oct-10-2025: ordinary trades in the real formats', () => {
  let out: SimOutput;
  beforeAll(() => {
    out = runSimulation(loadScenario('oct-10-2025').scenario);
  });

  it('Hyperliquid: each trade is two fills (taker crossed, maker not) sharing tid, hash, price, size and time', () => {
    const events = hlEvents(out);
    const ordinary = events.filter(([, f]) => !f.liquidation);
    const byTid = new Map<number, [string, HlFill][]>();
    for (const e of ordinary) byTid.set(e[1].tid, [...(byTid.get(e[1].tid) ?? []), e]);
    const gt = out.groundTruth.background.venues.hyperliquid!;
    expect(byTid.size).toBe(gt.trades);
    expect(gt.trades).toBeGreaterThan(1000);
    let notional = 0n;
    for (const pair of byTid.values()) {
      expect(pair).toHaveLength(2);
      const [taker, maker] = pair[0]![1].crossed ? pair : [pair[1]!, pair[0]!];
      expect([taker![1].crossed, maker![1].crossed]).toEqual([true, false]);
      expect(taker![0]).not.toBe(maker![0]);
      expect(new Set([taker![1].side, maker![1].side])).toEqual(new Set(['A', 'B']));
      for (const key of ['coin', 'px', 'sz', 'time', 'hash'] as const) expect(maker![1][key]).toBe(taker![1][key]);
      expect(PERP_DIRS).toContain(taker![1].dir);
      notional += toRaw(mulDec(taker![1].sz, taker![1].px, 6), 6);
    }
    expect(fromRaw(notional, 6)).toBe(gt.notionalUsd);
    // markets: every Hyperliquid market trades
    expect(new Set(ordinary.map(([, f]) => f.coin)).size).toBe(out.groundTruth.markets.length);
  });

  it('Hyperliquid: startPosition carries each user position through its fills, and dir follows from it', () => {
    const sizePlaces = new Map(out.groundTruth.markets.map((m) => [m.symbol, m.sizePlaces]));
    const positions = new Map<string, bigint>();
    let flips = 0;
    let closes = 0;
    for (const [user, f] of hlEvents(out)) {
      if (f.liquidation) continue;
      const d = sizePlaces.get(f.coin)!;
      const key = `${user}|${f.coin}`;
      const before = positions.get(key) ?? 0n;
      expect(f.startPosition).toBe(fromRaw(before, d));
      const delta = f.side === 'B' ? toRaw(f.sz, d) : -toRaw(f.sz, d);
      const after = before + delta;
      const expectedDir =
        before === 0n || before > 0n === delta > 0n
          ? delta > 0n
            ? 'Open Long'
            : 'Open Short'
          : before > 0n
            ? after >= 0n
              ? 'Close Long'
              : 'Long > Short'
            : after <= 0n
              ? 'Close Short'
              : 'Short > Long';
      expect(f.dir).toBe(expectedDir);
      if (f.dir.includes('>')) flips += 1;
      if (f.dir.startsWith('Close')) closes += 1;
      if (f.dir.startsWith('Open')) expect(f.closedPnl).toBe('0');
      positions.set(key, after);
    }
    expect(flips).toBeGreaterThan(10);
    expect(closes).toBeGreaterThan(100);
  });

  it('Hyperliquid: a liquidation matched with an ADL fill is one trade (one tid)', () => {
    const events = hlEvents(out);
    const liq = events.filter(([, f]) => f.liquidation && f.dir !== 'Auto-Deleveraging');
    const adl = events.filter(([, f]) => f.dir === 'Auto-Deleveraging');
    const liqTids = new Map(liq.map(([, f]) => [f.tid, f]));
    expect(adl.length).toBeGreaterThan(100);
    for (const [, a] of adl) {
      const l = liqTids.get(a.tid)!;
      expect(l).toBeDefined();
      expect([l.coin, l.px, l.sz, l.time]).toEqual([a.coin, a.px, a.sz, a.time]);
      expect(l.side).not.toBe(a.side);
      expect([l.crossed, a.crossed]).toEqual([true, false]);
    }
  });

  it('dYdX: each ordinary trade is one LIMIT trade and two LIMIT fills (taker and maker)', () => {
    const trades = dydxPages(out, 'dydx/v4/trades/', 'trades', dydxTrade).filter((t) => t.type === 'LIMIT');
    const fills = dydxPages(out, 'dydx/v4/fills/', 'fills', dydxFill).filter((f) => f.type === 'LIMIT');
    const gt = out.groundTruth.background.venues.dydx!;
    expect(trades.length).toBe(gt.trades);
    expect(trades.length).toBeGreaterThan(300);
    for (const [market, m] of Object.entries(gt.markets)) {
      const perMarket = dydxPages(out, `dydx/v4/trades/perpetualMarket/${market}-USD/`, 'trades', dydxTrade).filter((t) => t.type === 'LIMIT');
      expect(perMarket.length).toBe(m.trades);
    }
    expect(fills.filter((f) => f.liquidity === 'TAKER')).toHaveLength(trades.length);
    expect(fills.filter((f) => f.liquidity === 'MAKER')).toHaveLength(trades.length);
    // a taker fill and a trade row agree (price, size, side, time), and the maker took the other side
    const key = (x: { price: string; size: string; createdAt: string }) => `${x.price}|${x.size}|${x.createdAt}`;
    const takers = new Map<string, number>();
    for (const f of fills) if (f.liquidity === 'TAKER') takers.set(`${key(f)}|${f.side}`, (takers.get(`${key(f)}|${f.side}`) ?? 0) + 1);
    for (const t of trades) expect(takers.get(`${key(t)}|${t.side}`)).toBeGreaterThan(0);
  });
});

/**
 * One Hyperliquid market (full depth 10M within 1 %, one level) trading 60 times a minute with the
 * book full; makers keep a tenth of the book during an outage from 600 to 1,200 s.
 */
function thinningScenario(tradesPerMinute: number): ScenarioInput {
  return {
    name: 'thinning',
    seed: 11,
    start: '2025-03-01T00:00:00Z',
    durationSeconds: 1800,
    stepMs: 1000,
    sampleSeconds: 1,
    venues: [
      {
        id: 'hyperliquid',
        kind: 'hyperliquid',
        traderShare: 1,
        maxLeverage: 20,
        backstopCapitalUsd: 1e6,
        backstopCapacityUsd: 1e6,
        backstopUnloadUsdPerSecond: 1e4,
        oracle: { heartbeatSeconds: 1, deviationPct: 0, lagMs: 0 },
      },
    ],
    markets: [{ symbol: 'ETH', startPrice: 3000, depth: [{ pct: 1, usd: 10_000_000 }], venues: ['hyperliquid'] }],
    pricePath: { kind: 'stochastic', volatility: 0.0002 },
    traders: { count: 1, leverage: { min: 1.5, max: 1.5 }, sizeUsd: { min: 1000, max: 1000 }, longShare: 1, crossShare: 0 },
    liquidity: { halfDepthAtVolPct: 5, resilienceSeconds: 30, outage: { fromSecond: 600, toSecond: 1200, depthFactor: 0.1 } },
    referenceFeed: { heartbeatSeconds: 3600, deviationPct: 0.5, markets: ['ETH'] },
    background: { tradesPerMinute, sizeShareOfDepth: 0.001, sizeSigma: 1, halfSpreadBps: 1, informedShare: 0.3 },
  };
}

describe('background trading follows the depth makers keep', () => {
  const scenario = parseScenario(thinningScenario(60));
  const out = runSimulation(scenario);
  const start = Date.parse(scenario.start);
  const series = new Map(out.groundTruth.series.map((p) => [Date.parse(p.time) - start, p]));
  const takers = hlEvents(out)
    .map(([, f]) => f)
    .filter((f) => f.crossed && !f.liquidation)
    .map((f) => ({ t: f.time - start, buy: f.side === 'B', px: Number(f.px), usd: Number(f.sz) * Number(f.px) }));
  const inOutage = (t: number) => t >= 600_000 && t < 1_200_000;

  it('trades thin out with the depth: counts match Σ rate × depth factor over the steps, within 4 σ (Poisson)', () => {
    const expected = { in: 0, out: 0 };
    for (const [t, p] of series) (inOutage(t) ? (expected.in += Number(p.depthFactor)) : (expected.out += Number(p.depthFactor)));
    // one trade a second at depth factor 1
    const n = { in: takers.filter((x) => inOutage(x.t)).length, out: takers.filter((x) => !inOutage(x.t)).length };
    expect(expected.in).toBeCloseTo(60, 6); // 600 s at depth factor 0.1
    expect(Math.abs(n.in - expected.in)).toBeLessThan(4 * Math.sqrt(expected.in));
    expect(Math.abs(n.out - expected.out)).toBeLessThan(4 * Math.sqrt(expected.out));
    // the rate per second falls about tenfold
    expect(n.in / 600 / (n.out / 1200)).toBeLessThan(0.2);
  });

  it('trades shrink with the depth: median notional ≈ 0.001 × 10M × depth factor (log-normal σ = 1), within 4 standard errors', () => {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const inside of [true, false]) {
      const group = takers.filter((x) => inOutage(x.t) === inside);
      const factor = group.reduce((s, x) => s + Number(series.get(x.t)!.depthFactor), 0) / group.length;
      const expected = 0.001 * 10_000_000 * factor;
      // standard error of a sample median's log: 1.2533 σ / √n
      expect(Math.abs(Math.log(median(group.map((x) => x.usd)) / expected))).toBeLessThan((4 * 1.2533) / Math.sqrt(group.length));
    }
  });

  it('each trade pays half spread / depth factor plus its walk of the one-level book, away from the reference, by hand', () => {
    for (const x of takers) {
      const p = series.get(x.t)!;
      const f = Number(p.depthFactor);
      // one level: notional N within 1 % of D·f sits at N / (D·f) %, so the average is half of it
      const offset = 0.0001 / f + (x.usd / (10_000_000 * f) / 2) * 0.01;
      const ref = Number(p.reference);
      expect(x.px / ref).toBeCloseTo(x.buy ? 1 + offset : 1 - offset, 5);
    }
  });

  it('takers lean toward the coming move (informedShare 0.3): more buys before a rise', () => {
    const next = (t: number) => Number(series.get(t + 1000)?.exogenous ?? Number.NaN) - Number(series.get(t)!.exogenous);
    const up = takers.filter((x) => next(x.t) > 0);
    const down = takers.filter((x) => next(x.t) < 0);
    expect(up.filter((x) => x.buy).length / up.length).toBeGreaterThan(0.6);
    expect(down.filter((x) => x.buy).length / down.length).toBeLessThan(0.4);
  });

  it('leaves every liquidation, ADL fill, oracle price and chain log exactly as without it', () => {
    const base = loadScenario('stale-oracle').scenario;
    const without = runSimulation({ ...base, background: { ...base.background, tradesPerMinute: 0 } });
    const withIt = runSimulation(base);
    expect(withIt.groundTruth.background.venues.hyperliquid!.trades).toBeGreaterThan(100);
    expect(without.groundTruth.background.venues).toEqual({});
    // the reference outputs' candles aggregate the trades, so only they and the background summary differ
    const strip = (o: SimOutput) => ({ ...o.groundTruth, background: null, referenceSeries: null });
    expect(strip(withIt)).toEqual(strip(without));
    expect(withIt.files.get('chain/arbitrum-blocks.jsonl')).toBe(without.files.get('chain/arbitrum-blocks.jsonl'));
  });
});
