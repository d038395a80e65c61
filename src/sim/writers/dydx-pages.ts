import { keccak256, stringToHex } from 'viem';
import type { BackgroundFill } from '../background.ts';
import type { GroundTruth, GtAdl, GtLiquidation } from '../ground-truth.ts';
import { dec, mulDec, USD_PLACES } from '../units.ts';
import type { DydxMarketDataIndex } from './output-summaries.ts';

/**
 * dYdX v4 indexer-shaped pages (formats.md §7), newest first, paged backwards by height, as
 * `GET /v4/fills?address=…&subaccountNumber=0` and `GET /v4/trades/perpetualMarket/:ticker`
 * answer them. A local HTTP server can serve these files as they are.
 * Fill types: a book liquidation is LIQUIDATED (liquidated subaccount, taker) + LIQUIDATION (the
 * maker); deleveraging is DELEVERAGED (the liquidated subaccount) + OFFSETTING (the ADL'd one); an
 * ordinary trade is LIMIT for both its taker and its maker. The trades endpoint lists taker fills
 * only: one row per trade.
 */
export interface DydxFill {
  id: string;
  side: 'BUY' | 'SELL';
  liquidity: 'TAKER' | 'MAKER';
  type: 'LIMIT' | 'LIQUIDATED' | 'LIQUIDATION' | 'DELEVERAGED' | 'OFFSETTING';
  market: string;
  marketType: 'PERPETUAL';
  price: string;
  size: string;
  fee: string;
  createdAt: string;
  createdAtHeight: string;
  subaccountNumber: number;
}

/** Synthetic height of scenario time 0 (dYdX v4 blocks are about a second apart). */
export const DYDX_BASE_HEIGHT = 61_000_000;
/** dYdX v4 tier-1 fees on ordinary trades: taker 0.05 %, maker 0.01 % of the notional. */
export const DYDX_TAKER_FEE = 0.0005;
export const DYDX_MAKER_FEE = 0.0001;
export const DYDX_PAGE_LIMIT = 100;
/** The market-maker subaccount that takes book liquidations (not a simulated trader). */
export const DYDX_MAKER = 'dydx1simmarketmaker0000000000000000000000';

const uuid = (label: string): string => {
  const h = keccak256(stringToHex(label)).slice(2);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The height of a scenario time (one block per second from DYDX_BASE_HEIGHT; earlier times count down). */
export const dydxHeight = (startMs: number, timeMs: number): number => DYDX_BASE_HEIGHT + Math.floor((timeMs - startMs) / 1000);

/** `marketData` (candles and historical funding, written by dydx-market-data.ts) is listed in the same index. */
export function dydxFiles(gt: GroundTruth, background: readonly BackgroundFill[], marketData: DydxMarketDataIndex | null = null): Map<string, string> {
  const venues = new Set(gt.venues.filter((v) => v.kind === 'dydx').map((v) => v.id));
  const files = new Map<string, string>();
  if (venues.size === 0) return files;
  const startMs = Date.parse(gt.scenario.start);
  const height = (timeMs: number) => String(dydxHeight(startMs, timeMs));
  const fillsByAddress = new Map<string, DydxFill[]>();
  const tradesByMarket = new Map<string, { id: string; side: string; size: string; price: string; type: string; createdAt: string; createdAtHeight: string }[]>();
  const add = (address: string, f: DydxFill) => {
    if (!fillsByAddress.has(address)) fillsByAddress.set(address, []);
    fillsByAddress.get(address)!.push(f);
  };
  const base = (r: GtLiquidation | GtAdl, role: string) => ({
    id: uuid(`dydx:${r.id}:${role}`),
    market: `${r.market}-USD`,
    marketType: 'PERPETUAL' as const,
    price: r.price,
    size: r.size,
    createdAt: r.time,
    createdAtHeight: height(r.timeMs),
    subaccountNumber: 0,
  });
  const adlById = new Map(gt.adlEvents.map((a) => [a.id, a]));
  const tradesOf = (ticker: string) => {
    if (!tradesByMarket.has(ticker)) tradesByMarket.set(ticker, []);
    return tradesByMarket.get(ticker)!;
  };
  const writeBackground = (b: BackgroundFill) => {
    const ticker = `${b.market}-USD`;
    const takerSide = b.takerBuys ? 'BUY' : 'SELL';
    const notional = Number(mulDec(b.size, b.price, USD_PLACES));
    const row = { market: ticker, marketType: 'PERPETUAL' as const, price: b.price, size: b.size, createdAt: b.time, createdAtHeight: height(b.timeMs), subaccountNumber: 0 };
    add(b.taker, { id: uuid(`dydx-bg:${b.seq}:taker`), side: takerSide, liquidity: 'TAKER', type: 'LIMIT', fee: dec(notional * DYDX_TAKER_FEE, USD_PLACES), ...row });
    add(b.maker, { id: uuid(`dydx-bg:${b.seq}:maker`), side: b.takerBuys ? 'SELL' : 'BUY', liquidity: 'MAKER', type: 'LIMIT', fee: dec(notional * DYDX_MAKER_FEE, USD_PLACES), ...row });
    tradesOf(ticker).push({ id: uuid(`dydx-bg-trade:${b.seq}`), side: takerSide, size: b.size, price: b.price, type: 'LIMIT', createdAt: b.time, createdAtHeight: height(b.timeMs) });
  };
  // written in time order (ordinary trades of a step before its liquidations), so that within one
  // height the later-written row is the newer one
  const ordinary = background.filter((b) => venues.has(b.venue));
  let next = 0;
  for (const l of gt.liquidations) {
    if (!venues.has(l.venue)) continue;
    while (next < ordinary.length && ordinary[next]!.timeMs <= l.timeMs) writeBackground(ordinary[next++]!);
    const closing = l.side === 'long' ? 'SELL' : 'BUY';
    const opposite = closing === 'SELL' ? 'BUY' : 'SELL';
    const ticker = `${l.market}-USD`;
    tradesOf(ticker);
    if (l.adlId) {
      const adl = adlById.get(l.adlId)!;
      add(l.account, { ...base(l, 'deleveraged'), side: closing, liquidity: 'TAKER', type: 'DELEVERAGED', fee: '0' });
      add(adl.account, { ...base(adl, 'offsetting'), side: opposite, liquidity: 'MAKER', type: 'OFFSETTING', fee: '0' });
      tradesByMarket.get(ticker)!.push({ id: uuid(`dydx-trade:${l.id}`), side: closing, size: l.size, price: l.price, type: 'DELEVERAGED', createdAt: l.time, createdAtHeight: height(l.timeMs) });
    } else {
      add(l.account, { ...base(l, 'liquidated'), side: closing, liquidity: 'TAKER', type: 'LIQUIDATED', fee: l.feeUsd });
      add(DYDX_MAKER, { ...base(l, 'liquidation'), side: opposite, liquidity: 'MAKER', type: 'LIQUIDATION', fee: '0' });
      tradesByMarket.get(ticker)!.push({ id: uuid(`dydx-trade:${l.id}`), side: closing, size: l.size, price: l.price, type: 'LIQUIDATED', createdAt: l.time, createdAtHeight: height(l.timeMs) });
    }
  }
  while (next < ordinary.length) writeBackground(ordinary[next++]!);
  const pages = <T extends { createdAtHeight: string }>(rows: T[]): T[][] => {
    // newest first (by height, then latest written), as the indexer pages backwards
    const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => Number(b.r.createdAtHeight) - Number(a.r.createdAtHeight) || b.i - a.i).map((x) => x.r);
    const out: T[][] = [];
    for (let i = 0; i < sorted.length; i += DYDX_PAGE_LIMIT) out.push(sorted.slice(i, i + DYDX_PAGE_LIMIT));
    return out;
  };
  const index: { addresses: { address: string; subaccountNumber: number; fills: number; pages: number }[]; markets: { ticker: string; trades: number; pages: number }[]; pageLimit: number } = {
    addresses: [],
    markets: [],
    pageLimit: DYDX_PAGE_LIMIT,
  };
  for (const address of [...fillsByAddress.keys()].sort()) {
    const ps = pages(fillsByAddress.get(address)!);
    ps.forEach((fills, i) => files.set(`dydx/v4/fills/${address}/0/page-${i + 1}.json`, `${JSON.stringify({ fills })}\n`));
    index.addresses.push({ address, subaccountNumber: 0, fills: fillsByAddress.get(address)!.length, pages: ps.length });
  }
  for (const ticker of [...tradesByMarket.keys()].sort()) {
    const ps = pages(tradesByMarket.get(ticker)!);
    ps.forEach((trades, i) => files.set(`dydx/v4/trades/perpetualMarket/${ticker}/page-${i + 1}.json`, `${JSON.stringify({ trades })}\n`));
    index.markets.push({ ticker, trades: tradesByMarket.get(ticker)!.length, pages: ps.length });
  }
  files.set('dydx/index.json', `${JSON.stringify({ ...index, ...(marketData ?? {}) }, null, 2)}\n`);
  return files;
}
