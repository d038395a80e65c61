import { keccak256, stringToHex } from 'viem';
import type { BackgroundFill } from '../background.ts';
import type { GroundTruth, GtAdl, GtLiquidation } from '../ground-truth.ts';
import { hyperliquidLiquidationDir } from '../venues/hyperliquid.ts';
import { dec, fromRaw, mulDec, toRaw, USD_PLACES } from '../units.ts';

/**
 * Hyperliquid node fills in the `node_fills_by_block` layout (formats.md §6): one JSON line per
 * block `{local_time, block_time, block_number, events}` with `[user, fill]` pairs, fills in the
 * API fills format, files under `hyperliquid/node_fills_by_block/hourly/<YYYYMMDD>/<hour>`.
 *
 * A block holds one engine step's fills: the ordinary trades first (both sides: the taker's fill
 * `crossed: true`, the maker's `crossed: false`, one `tid` and `hash`), then the liquidation fills,
 * then the ADL fills. A liquidation matched with an ADL fill is one trade: both fills share its
 * `tid` (the liquidated user's fill is the crossing one). The book side of market liquidations and
 * the backstop vault are not simulated accounts, so they have no fill.
 */
export interface NodeFill {
  coin: string;
  px: string;
  sz: string;
  side: 'A' | 'B';
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
  feeToken: string;
  twapId: null;
  liquidation?: { liquidatedUser: string; markPx: string; method: 'market' | 'backstop' };
}

export interface NodeFillsBlock {
  local_time: string;
  block_time: string;
  block_number: number;
  events: [string, NodeFill][];
}

/** Synthetic block height of scenario time 0 (Hyperliquid blocks are ~0.1 s apart). */
const BASE_BLOCK = 750_000_000;
/** Hyperliquid's base-tier fees on ordinary trades: taker 0.045 %, maker 0.015 % of the notional. */
export const HL_TAKER_FEE = 0.00045;
export const HL_MAKER_FEE = 0.00015;

/** A background user's position on a coin, to write `startPosition`, `dir` and `closedPnl` as the venue would. */
interface Book {
  /** Signed size in units of 10^-sizePlaces. */
  position: bigint;
  /** Average entry price of the open position. */
  entry: number;
}

/**
 * `dir`, closed size and the position after a fill of `delta` (signed) on `position`, perps style:
 * Open / Close / flip (`Long > Short`, `Short > Long`).
 */
export function fillDirection(position: bigint, delta: bigint): { dir: string; closed: bigint; after: bigint } {
  const after = position + delta;
  if (position === 0n || (position > 0n) === (delta > 0n)) return { dir: delta > 0n ? 'Open Long' : 'Open Short', closed: 0n, after };
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const closed = abs(delta) < abs(position) ? abs(delta) : abs(position);
  if (position > 0n) return { dir: after >= 0n ? 'Close Long' : 'Long > Short', closed, after };
  return { dir: after <= 0n ? 'Close Short' : 'Short > Long', closed, after };
}

/** Files (relative path → content) for every Hyperliquid venue of the ground truth. */
export function hyperliquidNodeFiles(gt: GroundTruth, background: readonly BackgroundFill[]): Map<string, string> {
  const venues = new Set(gt.venues.filter((v) => v.kind === 'hyperliquid').map((v) => v.id));
  const files = new Map<string, string>();
  if (venues.size === 0) return files;
  const startMs = Date.parse(gt.scenario.start);
  const sizeDecimals = new Map(gt.markets.map((m) => [m.symbol, m.sizePlaces]));
  const positions = new Map(gt.positions.map((p) => [p.id, p]));
  const modeOf = new Map(gt.positions.map((p) => [p.id, p.marginMode]));
  /** Remaining signed size per position, to write startPosition exactly. */
  const remaining = new Map<string, bigint>();
  const signedStart = (positionId: string, market: string): bigint => {
    if (!remaining.has(positionId)) {
      const p = positions.get(positionId)!;
      const raw = toRaw(p.size, sizeDecimals.get(market)!);
      remaining.set(positionId, p.side === 'long' ? raw : -raw);
    }
    return remaining.get(positionId)!;
  };
  let oid = 0;
  let tid = 0;
  const hashOf = (label: string) => keccak256(stringToHex(`hl-fill:${label}`));
  const fill = (
    r: GtLiquidation | GtAdl,
    dir: string,
    closedPnl: string,
    fee: string,
    tradeId: number,
    crossed: boolean,
    liquidation: NodeFill['liquidation'],
  ): NodeFill => {
    const d = sizeDecimals.get(r.market)!;
    const start = signedStart(r.positionId, r.market);
    const size = toRaw(r.size, d);
    remaining.set(r.positionId, r.side === 'long' ? start - size : start + size);
    return {
      coin: r.market,
      px: r.price,
      sz: r.size,
      side: r.side === 'long' ? 'A' : 'B',
      time: r.timeMs,
      startPosition: fromRaw(start, d),
      dir,
      closedPnl,
      hash: hashOf(r.id),
      oid: 90_000_000_000 + ++oid,
      crossed,
      fee,
      tid: tradeId,
      feeToken: 'USDC',
      twapId: null,
      ...(liquidation ? { liquidation } : {}),
    };
  };

  const books = new Map<string, Book>();
  /** One side of an ordinary trade, with the user's position carried forward. */
  const ordinary = (b: BackgroundFill, user: string, buys: boolean, crossed: boolean, tradeId: number, hash: string): NodeFill => {
    const d = sizeDecimals.get(b.market)!;
    const key = `${user}|${b.market}`;
    const book = books.get(key) ?? { position: 0n, entry: 0 };
    const size = toRaw(b.size, d);
    const px = Number(b.price);
    const { dir, closed, after } = fillDirection(book.position, buys ? size : -size);
    const closedSize = Number(fromRaw(closed, d));
    const closedPnl = closed === 0n ? 0 : (book.position > 0n ? 1 : -1) * closedSize * (px - book.entry);
    const start = book.position;
    if (after === 0n) book.entry = 0;
    else if (closed === 0n) {
      // opening or adding: size-weighted entry
      const held = Math.abs(Number(fromRaw(start, d)));
      const added = Number(b.size);
      book.entry = (held * book.entry + added * px) / (held + added);
    } else if ((after > 0n) !== (start > 0n)) book.entry = px; // flipped: the rest opened at this price
    book.position = after;
    books.set(key, book);
    const notional = mulDec(b.size, b.price, USD_PLACES);
    return {
      coin: b.market,
      px: b.price,
      sz: b.size,
      side: buys ? 'B' : 'A',
      time: b.timeMs,
      startPosition: fromRaw(start, d),
      dir,
      closedPnl: dec(closedPnl, USD_PLACES),
      hash,
      oid: 90_000_000_000 + ++oid,
      crossed,
      fee: dec(Number(notional) * (crossed ? HL_TAKER_FEE : HL_MAKER_FEE), USD_PLACES),
      tid: tradeId,
      feeToken: 'USDC',
      twapId: null,
    };
  };

  const byTime = new Map<number, { liqs: GtLiquidation[]; adls: GtAdl[]; trades: BackgroundFill[] }>();
  const slot = (t: number) => {
    if (!byTime.has(t)) byTime.set(t, { liqs: [], adls: [], trades: [] });
    return byTime.get(t)!;
  };
  for (const l of gt.liquidations) if (venues.has(l.venue)) slot(l.timeMs).liqs.push(l);
  for (const a of gt.adlEvents) if (venues.has(a.venue)) slot(a.timeMs).adls.push(a);
  for (const b of background) if (venues.has(b.venue)) slot(b.timeMs).trades.push(b);
  const adlById = new Map(gt.adlEvents.map((a) => [a.id, a]));

  const lines = new Map<string, string[]>();
  let lastBlock = BASE_BLOCK - 1;
  for (const t of [...byTime.keys()].sort((a, b) => a - b)) {
    const { liqs, adls, trades } = byTime.get(t)!;
    const events: [string, NodeFill][] = [];
    for (const b of trades) {
      const tradeId = 800_000_000_000_000 + ++tid;
      const hash = hashOf(`background:${b.seq}`);
      events.push([b.taker, ordinary(b, b.taker, b.takerBuys, true, tradeId, hash)]);
      events.push([b.maker, ordinary(b, b.maker, !b.takerBuys, false, tradeId, hash)]);
    }
    const tidOfLiquidation = new Map<string, number>();
    for (const l of liqs) {
      const adl = l.adlId ? adlById.get(l.adlId) : undefined;
      const method = l.method === 'market' ? 'market' : 'backstop';
      const tradeId = 800_000_000_000_000 + ++tid;
      tidOfLiquidation.set(l.id, tradeId);
      events.push([
        l.account,
        fill(l, hyperliquidLiquidationDir(l.side, modeOf.get(l.positionId) ?? 'cross'), l.pnlUsd, l.feeUsd, tradeId, true, {
          liquidatedUser: l.account,
          markPx: adl ? adl.markPrice : l.markPrice,
          method,
        }),
      ]);
    }
    for (const a of adls) {
      // the ADL'd user is the other side of the liquidated user's trade: same tid, not the crossing side
      const tradeId = tidOfLiquidation.get(a.liquidationId ?? '') ?? 800_000_000_000_000 + ++tid;
      events.push([a.account, fill(a, 'Auto-Deleveraging', a.pnlUsd, '0', tradeId, false, { liquidatedUser: a.liquidatedAccount ?? '', markPx: a.markPrice, method: 'backstop' })]);
    }
    const blockTime = new Date(t).toISOString().replace('Z', '');
    // about ten blocks a second; steps shorter than 100 ms still get increasing heights
    const blockNumber = Math.max(lastBlock + 1, BASE_BLOCK + Math.round((t - startMs) / 100));
    lastBlock = blockNumber;
    const block: NodeFillsBlock = {
      local_time: `${blockTime}000000`.replace(/(\.\d{3})000000$/, '$1123456'),
      block_time: blockTime,
      block_number: blockNumber,
      events,
    };
    const date = new Date(t);
    const path = `hyperliquid/node_fills_by_block/hourly/${date.toISOString().slice(0, 10).replace(/-/g, '')}/${date.getUTCHours()}`;
    if (!lines.has(path)) lines.set(path, []);
    lines.get(path)!.push(JSON.stringify(block));
  }
  for (const [path, content] of lines) files.set(path, `${content.join('\n')}\n`);
  return files;
}
