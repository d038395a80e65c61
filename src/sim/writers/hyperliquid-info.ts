import type { BackgroundFill } from '../background.ts';
import { walkBook } from '../book.ts';
import type { GroundTruth } from '../ground-truth.ts';
import type { Scenario } from '../scenario-schema.ts';
import type { VenueSample } from '../types.ts';
import { dec, fromRaw, mulDec, pricePlaces, sizePlaces, toRaw, USD_PLACES } from '../units.ts';
import { candlesOf, mergeByTime } from './candles.ts';
import type { CandleTrade } from './candles.ts';
import type { HyperliquidInfoSummary } from './output-summaries.ts';

/**
 * What Hyperliquid's info API would serve for each simulated market (formats.md §6), as files a
 * local HTTP server can answer from:
 * - `hyperliquid/info/candleSnapshot/<coin>/1m.json`: the `candleSnapshot` answer for the whole
 *   window, `[{t, T, s, i, o, c, h, l, v, n}]` ascending (the server slices by startTime/endTime and
 *   caps a response at 500). Candles aggregate the book trades of the node fills (ordinary trades
 *   and market liquidations; ADL and backstop takeovers are transfers, not book trades); a minute
 *   without a trade has no candle (UNVERIFIED whether the venue writes empty ones).
 * - `hyperliquid/info/metaAndAssetCtxs.jsonl`: one line per sample `{time, response}` where
 *   `response` is the `metaAndAssetCtxs` answer at that time, `[meta, ctxs]`, every
 *   `hyperliquidInfo.ctxSampleSeconds`: the dense reference of every market during a cascade.
 * - `hyperliquid/info/index.json` describes them.
 *
 * In this model the venue values positions at its oracle price, so `markPx` = `oraclePx`; `midPx`
 * is the book mid (the reference). `impactPxs` are the prices of selling and buying the impact
 * notional in the modelled book (20,000 USD for BTC and ETH, 6,000 otherwise, as the venue's
 * funding docs state), `premium` and `funding` follow the venue's formula from them. `prevDayPx`
 * is the market's start price and the day volumes count from the window's start (a scenario has no
 * previous day).
 */


const INTEREST_8H = 0.0001;
const FUNDING_CAP_8H = 0.0005;

export function hyperliquidInfoFiles(
  gt: GroundTruth,
  scenario: Scenario,
  background: readonly BackgroundFill[],
  samples: readonly VenueSample[],
): { files: Map<string, string>; summary: HyperliquidInfoSummary | null } {
  const files = new Map<string, string>();
  const spec = scenario.venues.find((v) => v.kind === 'hyperliquid');
  if (!spec || spec.kind !== 'hyperliquid') return { files, summary: null };
  const startMs = Date.parse(scenario.start);
  const markets = scenario.markets.map((m, mi) => ({ m, mi })).filter(({ m }) => m.venues.includes(spec.id));

  // the book trades, per coin, in the order the node fills print them
  const trades = new Map<string, CandleTrade[]>(markets.map(({ m }) => [m.symbol, []]));
  const merged = mergeByTime(
    background.filter((b) => b.venue === spec.id),
    gt.liquidations.filter((l) => l.venue === spec.id && l.method === 'market'),
  );
  for (const t of merged) trades.get(t.market)!.push({ timeMs: t.timeMs, price: t.price, size: t.size });

  const candleCounts: Record<string, number> = {};
  const coins: { coin: string; file: string; candles: number; firstOpenTime: number | null; lastOpenTime: number | null }[] = [];
  for (const { m } of markets) {
    const candles = candlesOf(trades.get(m.symbol)!, 60_000, sizePlaces(m.startPrice)).map((c) => ({
      t: c.startMs,
      T: c.startMs + 60_000 - 1,
      s: m.symbol,
      i: '1m' as const,
      o: c.open,
      c: c.close,
      h: c.high,
      l: c.low,
      v: c.baseVolume,
      n: c.trades,
    }));
    const file = `hyperliquid/info/candleSnapshot/${m.symbol}/1m.json`;
    files.set(file, `${JSON.stringify(candles)}\n`);
    candleCounts[m.symbol] = candles.length;
    coins.push({ coin: m.symbol, file, candles: candles.length, firstOpenTime: candles[0]?.t ?? null, lastOpenTime: candles.at(-1)?.t ?? null });
  }

  const maxLeverage = (mi: number) => Math.floor(scenario.markets[mi]!.maxLeverage ?? spec.maxLeverage);
  const meta = {
    universe: markets.map(({ m, mi }) => ({ szDecimals: sizePlaces(m.startPrice), name: m.symbol, maxLeverage: maxLeverage(mi), marginTableId: maxLeverage(mi) })),
    marginTables: [...new Set(markets.map(({ mi }) => maxLeverage(mi)))]
      .sort((a, b) => a - b)
      .map((lev) => [lev, { description: '', marginTiers: [{ lowerBound: '0.0', maxLeverage: lev }] }]),
    collateralToken: 0,
  };

  const sampleMs = scenario.hyperliquidInfo.ctxSampleSeconds * 1000;
  const byTime = new Map<number, Map<number, VenueSample>>();
  for (const s of samples) {
    if (s.venue !== spec.id || s.tMs % sampleMs !== 0) continue;
    if (!byTime.has(s.tMs)) byTime.set(s.tMs, new Map());
    byTime.get(s.tMs)!.set(s.marketIndex, s);
  }
  const halfSpread = scenario.background.halfSpreadBps / 10_000;
  /** Running day volumes per coin: index of the next trade, base and USD sums (exact). */
  const volumes = new Map(markets.map(({ m }) => [m.symbol, { next: 0, base: 0n, usd: 0n }]));
  const lines: string[] = [];
  for (const tMs of [...byTime.keys()].sort((a, b) => a - b)) {
    const atTime = byTime.get(tMs)!;
    const ctxs = markets.map(({ m, mi }) => {
      const s = atTime.get(mi)!;
      const p = pricePlaces(m.startPrice);
      const d = sizePlaces(m.startPrice);
      const oracle = s.oracle ?? s.mid;
      // the price of selling / buying the impact notional: half spread plus the walk of the modelled book
      const impactUsd = m.symbol === 'BTC' || m.symbol === 'ETH' ? 20_000 : 6_000;
      const offset = halfSpread / s.depthFactor + walkBook(m.depth, s.depthFactor, impactUsd).avgPct / 100;
      const bid = s.mid * (1 - offset);
      const ask = s.mid * (1 + offset);
      const premium = (Math.max(bid - oracle, 0) - Math.max(oracle - ask, 0)) / oracle;
      const funding = (premium + Math.min(FUNDING_CAP_8H, Math.max(-FUNDING_CAP_8H, INTEREST_8H - premium))) / 8;
      const vol = volumes.get(m.symbol)!;
      const list = trades.get(m.symbol)!;
      while (vol.next < list.length && list[vol.next]!.timeMs - startMs <= tMs) {
        const t = list[vol.next++]!;
        vol.base += toRaw(t.size, d);
        vol.usd += toRaw(mulDec(t.size, t.price, USD_PLACES), USD_PLACES);
      }
      return {
        funding: dec(funding, 8),
        openInterest: dec(s.openInterest, d),
        prevDayPx: dec(m.startPrice, p),
        dayNtlVlm: fromRaw(vol.usd, USD_PLACES),
        premium: dec(premium, 8),
        oraclePx: dec(oracle, p),
        markPx: dec(oracle, p),
        midPx: dec(s.mid, p),
        impactPxs: [dec(bid, p), dec(ask, p)],
        dayBaseVlm: fromRaw(vol.base, d),
      };
    });
    lines.push(JSON.stringify({ time: startMs + tMs, response: [meta, ctxs] }));
  }
  const ctxFile = 'hyperliquid/info/metaAndAssetCtxs.jsonl';
  files.set(ctxFile, lines.length ? `${lines.join('\n')}\n` : '');
  const sampleTimes = [...byTime.keys()].sort((a, b) => a - b);
  files.set(
    'hyperliquid/info/index.json',
    `${JSON.stringify(
      {
        venue: spec.id,
        metaAndAssetCtxs: {
          request: { type: 'metaAndAssetCtxs' },
          file: ctxFile,
          layout: 'one JSON line per sample: {time (unix ms), response}; response is the answer at that time',
          sampleSeconds: scenario.hyperliquidInfo.ctxSampleSeconds,
          samples: lines.length,
          firstTime: sampleTimes.length ? startMs + sampleTimes[0]! : null,
          lastTime: sampleTimes.length ? startMs + sampleTimes.at(-1)! : null,
        },
        candleSnapshot: {
          request: { type: 'candleSnapshot', req: { coin: '<coin>', interval: '1m', startTime: '<ms>', endTime: '<ms>' } },
          interval: '1m',
          layout: 'the whole window ascending by t; a response holds the candles with t in [startTime, endTime], at most 500',
          maxItemsPerResponse: 500,
          coins,
        },
      },
      null,
      2,
    )}\n`,
  );
  return {
    files,
    summary: { venue: spec.id, ctxSampleSeconds: scenario.hyperliquidInfo.ctxSampleSeconds, ctxSamples: lines.length, candleInterval: '1m', candles: candleCounts },
  };
}
