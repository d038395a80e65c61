import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventIdOf, fillId } from '../../protocols/dydx-v4/event-ids.ts';

/**
 * What the local dYdX indexer server answers from: the indexer's own tables as comlink reads them
 * (dydxprotocol/v4-chain@84d4664b): fills (trades are the taker fills of a market, as in comlink's
 * trades controller), candles and funding ticks. Every fill carries the event id it shares with the
 * other side of its match, and its id is derived from it as the indexer derives it (event-ids.ts).
 */
export type IndexerFillType = 'LIMIT' | 'LIQUIDATED' | 'LIQUIDATION' | 'DELEVERAGED' | 'OFFSETTING' | 'TWAP_SUBORDER';
export const INDEXER_FILL_TYPES: readonly IndexerFillType[] = ['LIMIT', 'LIQUIDATED', 'LIQUIDATION', 'DELEVERAGED', 'OFFSETTING', 'TWAP_SUBORDER'];

export interface IndexerFill {
  id: string;
  /** 24 hex digits: height, transaction index + 2, event index. */
  eventId: string;
  address: string;
  subaccountNumber: number;
  side: 'BUY' | 'SELL';
  liquidity: 'TAKER' | 'MAKER';
  type: IndexerFillType;
  market: string;
  price: string;
  size: string;
  fee: string;
  createdAt: string;
  createdAtHeight: number;
  orderId?: string | null;
}

export interface IndexerCandle {
  startedAt: string;
  ticker: string;
  resolution: string;
  low: string;
  high: string;
  open: string;
  close: string;
  baseTokenVolume: string;
  usdVolume: string;
  trades: number;
  startingOpenInterest: string;
  orderbookMidPriceOpen?: string | null;
  orderbookMidPriceClose?: string | null;
}

export interface IndexerFundingTick {
  ticker: string;
  rate: string;
  price: string;
  effectiveAt: string;
  effectiveAtHeight: string;
}

export interface DydxIndexerRows {
  /** Tickers of the perpetual markets (an unknown ticker is answered 404, as the indexer does). */
  markets: string[];
  fills: IndexerFill[];
  candles: IndexerCandle[];
  funding: IndexerFundingTick[];
}

export interface Subaccount {
  address: string;
  subaccountNumber: number;
}

/** The fill type of the maker of a match whose taker's fill has `type`. */
const MAKER_TYPE: Record<string, IndexerFillType> = { LIMIT: 'LIMIT', TWAP_SUBORDER: 'LIMIT', LIQUIDATED: 'LIQUIDATION', DELEVERAGED: 'OFFSETTING' };

/**
 * The two fills of one match (a trade, a liquidation, a deleveraging), with the indexer's ids:
 * `index` numbers the event within its block. For hand-built fixtures and the simulator's loader.
 */
export function matchFills(event: {
  height: number;
  index: number;
  market: string;
  createdAt: string;
  /** The taker's fill type: LIMIT, LIQUIDATED (maker LIQUIDATION) or DELEVERAGED (maker OFFSETTING). */
  type: 'LIMIT' | 'LIQUIDATED' | 'DELEVERAGED' | 'TWAP_SUBORDER';
  takerSide: 'BUY' | 'SELL';
  price: string;
  size: string;
  taker: Subaccount;
  maker: Subaccount;
  takerFee?: string;
  makerFee?: string;
}): [IndexerFill, IndexerFill] {
  const eventId = eventIdOf(event.height, event.index, 0);
  const common = { eventId, market: event.market, price: event.price, size: event.size, createdAt: event.createdAt, createdAtHeight: event.height };
  return [
    { ...common, id: fillId(eventId, 'TAKER'), ...event.taker, side: event.takerSide, liquidity: 'TAKER', type: event.type, fee: event.takerFee ?? '0' },
    {
      ...common,
      id: fillId(eventId, 'MAKER'),
      ...event.maker,
      side: event.takerSide === 'BUY' ? 'SELL' : 'BUY',
      liquidity: 'MAKER',
      type: MAKER_TYPE[event.type]!,
      fee: event.makerFee ?? '0',
    },
  ];
}

/** The simulator's fill as its pages hold it (src/sim/writers/dydx-pages.ts). */
interface SimFill {
  id: string;
  side: 'BUY' | 'SELL';
  liquidity: 'TAKER' | 'MAKER';
  type: IndexerFillType;
  market: string;
  price: string;
  size: string;
  fee: string;
  createdAt: string;
  createdAtHeight: string;
  subaccountNumber: number;
}
interface SimTrade {
  id: string;
  side: 'BUY' | 'SELL';
  size: string;
  price: string;
  type: 'LIMIT' | 'LIQUIDATED' | 'DELEVERAGED';
  createdAt: string;
  createdAtHeight: string;
}
interface SimIndex {
  addresses: { address: string; subaccountNumber: number; pages: number }[];
  markets: { ticker: string; pages: number }[];
  candles?: { ticker: string; resolution: string; pages: number }[];
  historicalFunding?: { ticker: string; pages: number }[];
}

/**
 * The simulator's dYdX output (`dydx/` under its output directory: docs/scenarios.md) as the
 * indexer's tables. The simulator writes what each endpoint answers, with ids of its own; here every
 * match gets an event id (its block height, then its order in the block: time, market, order written)
 * and its fills the ids the indexer derives from it, so that the server answers as the real indexer
 * does, including a trade's id being its event id. The match of a trade and its two fills is by what
 * they share (market, height, time, price, size, sides, types); a fill left without its trade, or a
 * trade without its fills, is an error naming it.
 */
export function loadDydxSimRows(outDir: string): DydxIndexerRows {
  const root = join(outDir, 'dydx');
  const indexPath = join(root, 'index.json');
  if (!existsSync(indexPath)) throw new Error(`${indexPath}: no dYdX output here (the scenario has no dydx venue, or this is not a simulator output directory)`);
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as SimIndex;
  const pages = <T>(dir: string, count: number, key: string): T[] => {
    const out: T[] = [];
    for (let i = 1; i <= count; i++) {
      const path = join(dir, `page-${i}.json`);
      const items = (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>)[key];
      if (!Array.isArray(items)) throw new Error(`${path}: expected {${key}: […]}`);
      out.push(...(items as T[]));
    }
    return out;
  };

  // Fills by what a match's fill carries; each list in the order written (pages are newest first,
  // later-written first within a height, so reversed).
  const waiting = new Map<string, { address: string; fill: SimFill }[]>();
  const keyOf = (market: string, f: { createdAtHeight: string; createdAt: string; price: string; size: string }, side: string, liquidity: string, type: string) =>
    [market, f.createdAtHeight, f.createdAt, f.price, f.size, side, liquidity, type].join('|');
  for (const a of index.addresses) {
    const fills = pages<SimFill>(join(root, 'v4', 'fills', a.address, String(a.subaccountNumber)), a.pages, 'fills').reverse();
    for (const fill of fills) {
      const key = keyOf(fill.market, fill, fill.side, fill.liquidity, fill.type);
      const list = waiting.get(key) ?? [];
      list.push({ address: a.address, fill });
      waiting.set(key, list);
    }
  }
  const take = (key: string, what: string) => {
    const found = waiting.get(key)?.shift();
    if (!found) throw new Error(`${root}: ${what} has no matching fill (${key})`);
    return found;
  };

  const events: { trade: SimTrade; ticker: string; order: number; taker: { address: string; fill: SimFill }; maker: { address: string; fill: SimFill } }[] = [];
  for (const m of index.markets) {
    const trades = pages<SimTrade>(join(root, 'v4', 'trades', 'perpetualMarket', m.ticker), m.pages, 'trades').reverse();
    trades.forEach((trade, order) => {
      const makerSide = trade.side === 'BUY' ? 'SELL' : 'BUY';
      const what = `trade ${trade.id} of ${m.ticker}`;
      events.push({
        trade,
        ticker: m.ticker,
        order,
        taker: take(keyOf(m.ticker, trade, trade.side, 'TAKER', trade.type), what),
        maker: take(keyOf(m.ticker, trade, makerSide, 'MAKER', MAKER_TYPE[trade.type]!), what),
      });
    });
  }
  for (const list of waiting.values()) {
    const left = list[0];
    if (left) throw new Error(`${root}: fill ${left.fill.id} of ${left.address} (${left.fill.type} ${left.fill.market} at height ${left.fill.createdAtHeight}) has no trade`);
  }

  events.sort(
    (a, b) =>
      Number(a.trade.createdAtHeight) - Number(b.trade.createdAtHeight) ||
      Date.parse(a.trade.createdAt) - Date.parse(b.trade.createdAt) ||
      (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0) ||
      a.order - b.order,
  );
  const fills: IndexerFill[] = [];
  let height = -1;
  let inBlock = 0;
  for (const e of events) {
    const h = Number(e.trade.createdAtHeight);
    inBlock = h === height ? inBlock + 1 : 0;
    height = h;
    const subaccount = (x: { address: string; fill: SimFill }): Subaccount => ({ address: x.address, subaccountNumber: x.fill.subaccountNumber });
    fills.push(
      ...matchFills({
        height: h,
        index: inBlock,
        market: e.ticker,
        createdAt: e.trade.createdAt,
        type: e.trade.type,
        takerSide: e.trade.side,
        price: e.trade.price,
        size: e.trade.size,
        taker: subaccount(e.taker),
        maker: subaccount(e.maker),
        takerFee: e.taker.fill.fee,
        makerFee: e.maker.fill.fee,
      }),
    );
  }

  const candles: IndexerCandle[] = [];
  for (const c of index.candles ?? []) candles.push(...pages<IndexerCandle>(join(root, 'v4', 'candles', 'perpetualMarkets', c.ticker, c.resolution), c.pages, 'candles'));
  const funding: IndexerFundingTick[] = [];
  for (const f of index.historicalFunding ?? []) funding.push(...pages<IndexerFundingTick>(join(root, 'v4', 'historicalFunding', f.ticker), f.pages, 'historicalFunding'));
  const markets = [...new Set([...index.markets.map((m) => m.ticker), ...(index.candles ?? []).map((c) => c.ticker), ...(index.historicalFunding ?? []).map((f) => f.ticker)])].sort();
  return { markets, fills, candles, funding };
}

/** The subaccounts and markets of the simulator's dYdX output, for a source's options. */
export function dydxSimAccounts(outDir: string): { markets: string[]; subaccounts: Subaccount[] } {
  const index = JSON.parse(readFileSync(join(outDir, 'dydx', 'index.json'), 'utf8')) as SimIndex;
  return {
    markets: [...new Set([...index.markets.map((m) => m.ticker), ...(index.candles ?? []).map((c) => c.ticker)])].sort(),
    subaccounts: index.addresses.map((a) => ({ address: a.address, subaccountNumber: a.subaccountNumber })),
  };
}
