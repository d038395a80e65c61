import type { BackgroundFill } from '../background.ts';
import type { GroundTruth } from '../ground-truth.ts';
import type { Scenario } from '../scenario-schema.ts';
import type { VenueSample } from '../types.ts';
import { dec, pricePlaces, sizePlaces } from '../units.ts';
import { candlesOf, mergeByTime } from './candles.ts';
import type { DydxMarketDataIndex, DydxMarketDataSummary } from './output-summaries.ts';
import { DYDX_PAGE_LIMIT, dydxHeight } from './dydx-pages.ts';

/**
 * dYdX v4 indexer market data for each simulated market (formats.md §7), paged as the indexer
 * answers (newest first, `DYDX_PAGE_LIMIT` per page):
 * - `dydx/v4/candles/perpetualMarkets/<ticker>/1MIN/page-N.json`: `{candles: [...]}`, one candle per
 *   minute of the window, aggregating exactly the trades of the trades pages (ordinary, LIQUIDATED
 *   and DELEVERAGED); a minute without trades keeps the previous close with zero volume (the market's
 *   start price before the first trade). `orderbookMidPriceOpen/Close` are the book mid at the
 *   minute's first and last second, `startingOpenInterest` the simulated open interest at its start.
 * - `dydx/v4/historicalFunding/<ticker>/page-N.json`: `{historicalFunding: [...]}`, hourly as the
 *   venue publishes it: a tick at every whole hour inside the window plus the last one at or before
 *   its start (carrying the start state), `price` the venue's oracle price then, `rate` the mean
 *   premium of the book mid over the oracle during the hour before, / 8 (an 8-hour premium paid
 *   hourly; 0 before the window). Sub-hour scenarios rely on the candles and on Hyperliquid's
 *   metaAndAssetCtxs samples for a dense reference.
 */



const HOUR_MS = 3_600_000;

export function dydxMarketDataFiles(
  gt: GroundTruth,
  scenario: Scenario,
  background: readonly BackgroundFill[],
  samples: readonly VenueSample[],
): { files: Map<string, string>; index: DydxMarketDataIndex | null; summary: DydxMarketDataSummary | null } {
  const files = new Map<string, string>();
  const spec = scenario.venues.find((v) => v.kind === 'dydx');
  if (!spec) return { files, index: null, summary: null };
  const startMs = Date.parse(scenario.start);
  const endMs = startMs + scenario.durationSeconds * 1000;
  const merged = mergeByTime(
    background.filter((b) => b.venue === spec.id),
    gt.liquidations.filter((l) => l.venue === spec.id),
  );
  const index: DydxMarketDataIndex = { candles: [], historicalFunding: [] };
  const summary: DydxMarketDataSummary = { venue: spec.id, candleResolution: '1MIN', candles: {}, fundingIntervalSeconds: 3600, fundingTicks: {} };
  const pages = <T>(rows: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < rows.length; i += DYDX_PAGE_LIMIT) out.push(rows.slice(i, i + DYDX_PAGE_LIMIT));
    return out.length ? out : [[]];
  };

  scenario.markets.forEach((m, mi) => {
    if (!m.venues.includes(spec.id)) return;
    const ticker = `${m.symbol}-USD`;
    const p = pricePlaces(m.startPrice);
    const d = sizePlaces(m.startPrice);
    const at = new Map<number, VenueSample>();
    for (const s of samples) if (s.venue === spec.id && s.marketIndex === mi) at.set(startMs + s.tMs, s);
    const first = at.get(startMs)!;
    /** The sample of the last whole second at or before `timeMs`, inside the window. */
    const sampleAt = (timeMs: number) => at.get(Math.min(endMs, Math.max(startMs, Math.floor(timeMs / 1000) * 1000)))!;

    const trades = merged.filter((t) => t.market === m.symbol).map((t) => ({ timeMs: t.timeMs, price: t.price, size: t.size }));
    // minutes from the window's start to its end (a minute starting exactly at the end only if a trade lands there)
    const lastMs = Math.max(endMs - 1, trades.at(-1)?.timeMs ?? 0);
    const candles = candlesOf(trades, 60_000, d, { fromMs: startMs, toMs: lastMs, openingPrice: dec(m.startPrice, p) })
      .map((c) => ({
        startedAt: new Date(c.startMs).toISOString(),
        ticker,
        resolution: '1MIN' as const,
        low: c.low,
        high: c.high,
        open: c.open,
        close: c.close,
        baseTokenVolume: c.baseVolume,
        usdVolume: c.usdVolume,
        trades: c.trades,
        startingOpenInterest: dec(sampleAt(c.startMs).openInterest, d),
        orderbookMidPriceOpen: dec(sampleAt(c.startMs).mid, p),
        orderbookMidPriceClose: dec(sampleAt(c.startMs + 59_000).mid, p),
      }))
      .reverse();
    const candlePages = pages(candles);
    candlePages.forEach((page, i) => files.set(`dydx/v4/candles/perpetualMarkets/${ticker}/1MIN/page-${i + 1}.json`, `${JSON.stringify({ candles: page })}\n`));
    index.candles.push({ ticker, resolution: '1MIN', candles: candles.length, pages: candlePages.length });
    summary.candles[ticker] = candles.length;

    const ticks: { ticker: string; rate: string; price: string; effectiveAt: string; effectiveAtHeight: string }[] = [];
    for (let h = Math.floor(startMs / HOUR_MS) * HOUR_MS; h <= endMs; h += HOUR_MS) {
      const premiums: number[] = [];
      for (let t = Math.max(startMs, h - HOUR_MS + 1000); t <= h; t += 1000) {
        const s = at.get(t);
        if (s && s.oracle !== null) premiums.push((s.mid - s.oracle) / s.oracle);
      }
      const rate = premiums.length ? premiums.reduce((a, b) => a + b, 0) / premiums.length / 8 : 0;
      const oracle = h < startMs ? first.oracle ?? first.mid : sampleAt(h).oracle ?? sampleAt(h).mid;
      ticks.push({ ticker, rate: dec(rate, 12), price: dec(oracle, p), effectiveAt: new Date(h).toISOString(), effectiveAtHeight: String(dydxHeight(startMs, h)) });
    }
    ticks.reverse();
    const fundingPages = pages(ticks);
    fundingPages.forEach((page, i) => files.set(`dydx/v4/historicalFunding/${ticker}/page-${i + 1}.json`, `${JSON.stringify({ historicalFunding: page })}\n`));
    index.historicalFunding.push({ ticker, ticks: ticks.length, pages: fundingPages.length });
    summary.fundingTicks[ticker] = ticks.length;
  });
  return { files, index, summary };
}
