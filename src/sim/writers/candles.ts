import { fromRaw, mulDec, toRaw, USD_PLACES } from '../units.ts';

/** A trade as candles see it: its time and its exact price and size strings. */
export interface CandleTrade {
  timeMs: number;
  price: string;
  size: string;
}

/** One interval's aggregate, exact: prices as the trades printed them, volumes summed as decimals. */
export interface Candle {
  startMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Σ size. */
  baseVolume: string;
  /** Σ size × price. */
  usdVolume: string;
  trades: number;
}

/**
 * 1-minute (or any `intervalMs`) candles of trades given in time order. Intervals without a trade
 * are left out; `fillGaps` writes them as the previous close with zero volume instead, from the
 * interval holding `fromMs` to the one holding `toMs` (before the first trade: `openingPrice`).
 */
export function candlesOf(
  trades: readonly CandleTrade[],
  intervalMs: number,
  sizePlaces: number,
  fillGaps?: { fromMs: number; toMs: number; openingPrice: string },
): Candle[] {
  const byStart = new Map<number, CandleTrade[]>();
  for (const t of trades) {
    const start = Math.floor(t.timeMs / intervalMs) * intervalMs;
    if (!byStart.has(start)) byStart.set(start, []);
    byStart.get(start)!.push(t);
  }
  const starts = fillGaps
    ? Array.from({ length: Math.floor(fillGaps.toMs / intervalMs) - Math.floor(fillGaps.fromMs / intervalMs) + 1 }, (_, i) => (Math.floor(fillGaps.fromMs / intervalMs) + i) * intervalMs)
    : [...byStart.keys()].sort((a, b) => a - b);
  const out: Candle[] = [];
  let lastClose = fillGaps?.openingPrice ?? '0';
  for (const startMs of starts) {
    const group = byStart.get(startMs) ?? [];
    if (group.length === 0) {
      out.push({ startMs, open: lastClose, high: lastClose, low: lastClose, close: lastClose, baseVolume: '0', usdVolume: '0', trades: 0 });
      continue;
    }
    let high = group[0]!;
    let low = group[0]!;
    let base = 0n;
    let usd = 0n;
    for (const t of group) {
      if (Number(t.price) > Number(high.price)) high = t;
      if (Number(t.price) < Number(low.price)) low = t;
      base += toRaw(t.size, sizePlaces);
      usd += toRaw(mulDec(t.size, t.price, USD_PLACES), USD_PLACES);
    }
    lastClose = group[group.length - 1]!.price;
    out.push({
      startMs,
      open: group[0]!.price,
      high: high.price,
      low: low.price,
      close: lastClose,
      baseVolume: fromRaw(base, sizePlaces),
      usdVolume: fromRaw(usd, USD_PLACES),
      trades: group.length,
    });
  }
  return out;
}

/**
 * Trades of one venue in the order its outputs print them: the ordinary trades of a step before
 * the liquidation trades of the same step.
 */
export function mergeByTime<A extends { timeMs: number }, B extends { timeMs: number }>(first: readonly A[], then: readonly B[]): (A | B)[] {
  const out: (A | B)[] = [];
  let i = 0;
  for (const b of then) {
    while (i < first.length && first[i]!.timeMs <= b.timeMs) out.push(first[i++]!);
    out.push(b);
  }
  while (i < first.length) out.push(first[i++]!);
  return out;
}
