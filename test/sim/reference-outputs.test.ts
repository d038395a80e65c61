import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { runSimulation } from '../../src/sim/run-sim.ts';
import type { SimOutput } from '../../src/sim/run-sim.ts';
import { fromRaw, mulDec, toRaw } from '../../src/sim/units.ts';

/**
 * The reference series written as Hyperliquid's info API and dYdX's indexer would serve them,
 * parsed with zod schemas written here from formats.md §6–7, and recomputed from the node fills,
 * the trades pages, the ground truth's series and positions.
 */
const dec = z.string().regex(/^-?\d+(\.\d+)?$/);
const udec = z.string().regex(/^\d+(\.\d+)?$/);
const hlCandle = z.strictObject({ t: z.number().int(), T: z.number().int(), s: z.string(), i: z.literal('1m'), o: udec, c: udec, h: udec, l: udec, v: udec, n: z.number().int() });
const hlMeta = z.strictObject({
  universe: z.array(z.strictObject({ szDecimals: z.number().int(), name: z.string(), maxLeverage: z.number().int().positive(), marginTableId: z.number().int() })),
  marginTables: z.array(z.tuple([z.number().int(), z.strictObject({ description: z.string(), marginTiers: z.array(z.strictObject({ lowerBound: udec, maxLeverage: z.number().int() })) })])),
  collateralToken: z.number().int(),
});
const hlCtx = z.strictObject({
  funding: dec,
  openInterest: udec,
  prevDayPx: udec,
  dayNtlVlm: udec,
  premium: dec.nullable(),
  oraclePx: udec,
  markPx: udec,
  midPx: udec.nullable(),
  impactPxs: z.tuple([udec, udec]).nullable(),
  dayBaseVlm: udec,
});
const hlSample = z.strictObject({ time: z.number().int(), response: z.tuple([hlMeta, z.array(hlCtx)]) });
const dydxCandle = z.strictObject({
  startedAt: z.iso.datetime(),
  ticker: z.string(),
  resolution: z.enum(['1MIN', '5MINS', '15MINS', '30MINS', '1HOUR', '4HOURS', '1DAY']),
  low: udec,
  high: udec,
  open: udec,
  close: udec,
  baseTokenVolume: udec,
  usdVolume: udec,
  trades: z.number().int().nonnegative(),
  startingOpenInterest: udec,
  orderbookMidPriceOpen: udec.nullable(),
  orderbookMidPriceClose: udec.nullable(),
});
const dydxFunding = z.strictObject({ ticker: z.string(), rate: dec, price: udec, effectiveAt: z.iso.datetime(), effectiveAtHeight: z.string().regex(/^\d+$/) });
const dydxTrade = z.object({ size: udec, price: udec, createdAt: z.iso.datetime(), type: z.string() });

const json = (out: SimOutput, path: string): unknown => JSON.parse(out.files.get(path) ?? (() => { throw new Error(`missing ${path}`); })());

describe('oct-10-2025: Hyperliquid info files', () => {
  let out: SimOutput;
  beforeAll(() => {
    out = runSimulation(loadScenario('oct-10-2025').scenario);
  });

  it('candleSnapshot per coin aggregates exactly the book trades of the node fills (taker fills of ordinary trades and market liquidations)', () => {
    const fills = [...out.files]
      .filter(([p]) => p.startsWith('hyperliquid/node_fills_by_block/'))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([, c]) => c.trim().split('\n'))
      .flatMap((l) => JSON.parse(l).events.map((e: [string, Record<string, unknown>]) => e[1]));
    const book = fills.filter((f) => f.crossed === true && (!f.liquidation || (f.liquidation as { method: string }).method === 'market') && f.dir !== 'Auto-Deleveraging');
    const sizePlaces = new Map(out.groundTruth.markets.map((m) => [m.symbol, m.sizePlaces]));
    const index = json(out, 'hyperliquid/info/index.json') as { candleSnapshot: { coins: { coin: string; file: string; candles: number }[] } };
    expect(index.candleSnapshot.coins.map((c) => c.coin)).toEqual(out.groundTruth.markets.map((m) => m.symbol));
    for (const { coin, file, candles: count } of index.candleSnapshot.coins) {
      const candles = z.array(hlCandle).parse(json(out, file));
      expect(candles).toHaveLength(count);
      const d = sizePlaces.get(coin)!;
      const expected = new Map<number, { o: string; c: string; h: number; l: number; v: bigint; n: number }>();
      for (const f of book.filter((x) => x.coin === coin)) {
        const t = Math.floor((f.time as number) / 60_000) * 60_000;
        const px = f.px as string;
        const e = expected.get(t) ?? { o: px, c: px, h: Number(px), l: Number(px), v: 0n, n: 0 };
        e.c = px;
        e.h = Math.max(e.h, Number(px));
        e.l = Math.min(e.l, Number(px));
        e.v += toRaw(f.sz as string, d);
        e.n += 1;
        expected.set(t, e);
      }
      expect(candles.map((c) => c.t)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const c of candles) {
        const e = expected.get(c.t)!;
        expect(c).toEqual({ t: c.t, T: c.t + 59_999, s: coin, i: '1m', o: e.o, c: e.c, h: c.h, l: c.l, v: fromRaw(e.v, d), n: e.n });
        expect([Number(c.h), Number(c.l)]).toEqual([e.h, e.l]);
      }
    }
  });

  it('metaAndAssetCtxs every 5 s: the venue oracle and the book mid of the ground truth series, funding from the impact prices by the venue formula', () => {
    const lines = out.files.get('hyperliquid/info/metaAndAssetCtxs.jsonl')!.trim().split('\n').map((l) => hlSample.parse(JSON.parse(l)));
    const start = Date.parse(out.groundTruth.scenario.start);
    // 810 s every 5 s, both ends
    expect(lines.map((l) => l.time - start)).toEqual(Array.from({ length: 163 }, (_, i) => i * 5000));
    const series = new Map(out.groundTruth.series.map((p) => [`${p.market}|${Date.parse(p.time)}`, p]));
    const coins = lines[0]!.response[0].universe.map((u) => u.name);
    expect(coins).toEqual(out.groundTruth.markets.map((m) => m.symbol));
    let previousVolume = new Map<string, number>();
    for (const { time, response } of lines) {
      const [meta, ctxs] = response;
      expect(ctxs).toHaveLength(meta.universe.length);
      const volume = new Map<string, number>();
      ctxs.forEach((ctx, i) => {
        const coin = meta.universe[i]!.name;
        const point = series.get(`${coin}|${time}`)!;
        expect(ctx.oraclePx).toBe(point.venuePrices.hyperliquid);
        expect(ctx.markPx).toBe(ctx.oraclePx);
        expect(ctx.midPx).toBe(point.reference);
        const oracle = Number(ctx.oraclePx);
        const [bid, ask] = ctx.impactPxs!.map(Number) as [number, number];
        expect(bid).toBeLessThan(Number(ctx.midPx));
        expect(ask).toBeGreaterThan(Number(ctx.midPx));
        // HL: premium = (max(impact bid − oracle, 0) − max(oracle − impact ask, 0)) / oracle; funding = (P + clamp(0.01 % − P, ±0.05 %)) / 8
        const premium = (Math.max(bid - oracle, 0) - Math.max(oracle - ask, 0)) / oracle;
        expect(Number(ctx.premium)).toBeCloseTo(premium, 6);
        expect(Number(ctx.funding)).toBeCloseTo((premium + Math.min(0.0005, Math.max(-0.0005, 0.0001 - premium))) / 8, 7);
        volume.set(coin, Number(ctx.dayNtlVlm));
        expect(Number(ctx.dayNtlVlm)).toBeGreaterThanOrEqual(previousVolume.get(coin) ?? 0);
      });
      previousVolume = volume;
    }
    // the open interest falls as liquidations close positions (ETH: the last sample under the first)
    const eth = coins.indexOf('ETH');
    expect(Number(lines.at(-1)!.response[1][eth]!.openInterest)).toBeLessThan(Number(lines[0]!.response[1][eth]!.openInterest));
  });
});

describe('dYdX candles and historical funding', () => {
  let out: SimOutput;
  beforeAll(() => {
    out = runSimulation(loadScenario('oct-10-2025').scenario);
  });

  it('1MIN candles, newest first, every minute of the window, aggregating exactly the trades pages; mids and open interest from the ground truth', () => {
    const gt = out.groundTruth;
    const start = Date.parse(gt.scenario.start);
    const end = Date.parse(gt.scenario.end);
    const index = json(out, 'dydx/index.json') as { candles: { ticker: string; candles: number; pages: number }[]; markets: { ticker: string; pages: number }[] };
    const series = new Map(gt.series.map((p) => [`${p.market}|${Date.parse(p.time)}`, p]));
    const dydxPositions = gt.positions.filter((p) => p.venue === 'dydx');
    expect(index.candles.map((c) => c.ticker).sort()).toEqual(index.markets.map((m) => m.ticker).sort());
    for (const { ticker, candles: count, pages } of index.candles) {
      const candles = Array.from({ length: pages }, (_, i) =>
        z.strictObject({ candles: z.array(dydxCandle) }).parse(json(out, `dydx/v4/candles/perpetualMarkets/${ticker}/1MIN/page-${i + 1}.json`)).candles,
      ).flat();
      expect(candles).toHaveLength(count);
      const times = candles.map((c) => Date.parse(c.startedAt));
      // newest first, one a minute from the minute holding the start to the one before the end
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(times.at(-1)).toBe(Math.floor(start / 60_000) * 60_000);
      expect(times[0]).toBe(Math.floor((end - 1) / 60_000) * 60_000);
      expect(new Set(times.slice(1).map((t, i) => times[i]! - t))).toEqual(new Set([60_000]));
      const market = ticker.replace('-USD', '');
      const d = gt.markets.find((m) => m.symbol === market)!.sizePlaces;
      const trades = index.markets
        .filter((m) => m.ticker === ticker)
        .flatMap((m) => Array.from({ length: m.pages }, (_, i) => z.array(dydxTrade).parse((json(out, `dydx/v4/trades/perpetualMarket/${ticker}/page-${i + 1}.json`) as { trades: unknown }).trades)).flat());
      expect(trades.some((t) => t.type === 'LIMIT') && trades.some((t) => t.type !== 'LIMIT')).toBe(true);
      let lastClose: string | null = null;
      for (const c of [...candles].reverse()) {
        const t0 = Date.parse(c.startedAt);
        const inMinute = trades.filter((t) => Date.parse(t.createdAt) >= t0 && Date.parse(t.createdAt) < t0 + 60_000);
        expect(c.trades).toBe(inMinute.length);
        expect(c.baseTokenVolume).toBe(fromRaw(inMinute.reduce((s, t) => s + toRaw(t.size, d), 0n), d));
        expect(c.usdVolume).toBe(fromRaw(inMinute.reduce((s, t) => s + toRaw(mulDec(t.size, t.price, 6), 6), 0n), 6));
        if (inMinute.length === 0 && lastClose) expect([c.open, c.high, c.low, c.close]).toEqual([lastClose, lastClose, lastClose, lastClose]);
        if (inMinute.length > 0) {
          expect(Number(c.high)).toBe(Math.max(...inMinute.map((t) => Number(t.price))));
          expect(Number(c.low)).toBe(Math.min(...inMinute.map((t) => Number(t.price))));
        }
        lastClose = c.close;
        // mids: the ground truth's reference at the minute's first and last second (inside the window)
        const clamp = (t: number) => Math.min(end, Math.max(start, t));
        expect(c.orderbookMidPriceOpen).toBe(series.get(`${market}|${clamp(t0)}`)!.reference);
        expect(c.orderbookMidPriceClose).toBe(series.get(`${market}|${clamp(t0 + 59_000)}`)!.reference);
        // open interest: every dYdX position's size less its liquidation and ADL fills up to then
        const at = clamp(t0);
        const closed = (positionId: string) =>
          [...gt.liquidations, ...gt.adlEvents].filter((r) => r.positionId === positionId && r.timeMs <= at).reduce((s, r) => s + Number(r.size), 0);
        const oi = dydxPositions.filter((p) => p.market === market).reduce((s, p) => s + Math.max(0, Number(p.size) - closed(p.id)), 0);
        expect(Number(c.startingOpenInterest)).toBeCloseTo(oi, d - 2);
      }
    }
  });

  it('historicalFunding: hourly ticks newest first with the oracle price at each tick and consecutive heights', () => {
    const gt = out.groundTruth;
    const start = Date.parse(gt.scenario.start);
    for (const market of ['BTC', 'ETH', 'SOL', 'DOGE', 'AVAX']) {
      const { historicalFunding } = z.strictObject({ historicalFunding: z.array(dydxFunding) }).parse(json(out, `dydx/v4/historicalFunding/${market}-USD/page-1.json`));
      // 21:14:30–21:28:00 holds no whole hour: the last tick at or before the start, 21:00, carrying the start state
      expect(historicalFunding).toHaveLength(1);
      const tick = historicalFunding[0]!;
      expect(tick.effectiveAt).toBe('2025-10-10T21:00:00.000Z');
      expect(tick.price).toBe(gt.series.find((p) => p.market === market && Date.parse(p.time) === start)!.venuePrices.dydx);
      expect(Number(tick.effectiveAtHeight)).toBe(61_000_000 - 870); // 14 min 30 s before the first block
    }
  });
});

describe('quiet-day: a two-hour window', () => {
  it('funding ticks every whole hour (04:00 before the start, 05:00, 06:00), heights one a second apart', () => {
    const out = runSimulation(loadScenario('quiet-day').scenario);
    const { historicalFunding } = z.strictObject({ historicalFunding: z.array(dydxFunding) }).parse(json(out, 'dydx/v4/historicalFunding/ETH-USD/page-1.json'));
    expect(historicalFunding.map((f) => f.effectiveAt)).toEqual(['2023-09-17T06:00:00.000Z', '2023-09-17T05:00:00.000Z', '2023-09-17T04:00:00.000Z']);
    const heights = historicalFunding.map((f) => Number(f.effectiveAtHeight));
    expect(heights[0]! - heights[1]!).toBe(3600);
    expect(heights[1]! - heights[2]!).toBe(3600);
    // a calm window: the hourly rate is tiny
    for (const f of historicalFunding) expect(Math.abs(Number(f.rate))).toBeLessThan(1e-4);
    expect(out.groundTruth.referenceSeries).toEqual({
      hyperliquid: { venue: 'hyperliquid', ctxSampleSeconds: 30, ctxSamples: 241, candleInterval: '1m', candles: expect.any(Object) },
      // 04:55:23–06:55:23 touches 121 minutes (04:55 … 06:55, both partial)
      dydx: { venue: 'dydx', candleResolution: '1MIN', candles: { 'BTC-USD': 121, 'ETH-USD': 121 }, fundingIntervalSeconds: 3600, fundingTicks: { 'BTC-USD': 3, 'ETH-USD': 3 } },
    });
  });
});
