import type { NodeFill } from './node-fill.ts';

/**
 * What the info API page readers hand the decoder: items already validated (a page with one bad field
 * is refused whole, before anything of it is written), in the shape rows are made from.
 */
export type ApiItem = CandleItem | CtxItem | FillItem | GapItem;

/** One `candleSnapshot` candle. Prices and volume are the exact decimal strings of the answer. */
export interface CandleItem {
  kind: 'candle';
  coin: string;
  interval: string;
  /** `t`, `T` (unix ms). */
  openTime: number;
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Base volume (`v`). */
  volume: string;
  /** Trades (`n`). */
  trades: number;
  /** The candle's interval had not ended when it was fetched: a later page replaces it. */
  inProgress: boolean;
}

/** One coin's asset context in one `metaAndAssetCtxs` sample. */
export interface CtxItem {
  kind: 'ctx';
  /** When the sample was taken (unix ms): the answer's arrival, or the recorded time in a replay. */
  timeMs: number;
  coin: string;
  oraclePx: string;
  markPx: string;
  midPx: string | null;
  funding: string;
  openInterest: string;
  premium: string | null;
  impactPxs: [string, string] | null;
  /** `meta.universe[i].isDelisted`. */
  delisted: boolean;
}

/** One fill of a watched user (`userFillsByTime`), validated as node fills are. */
export interface FillItem {
  kind: 'fill';
  /** The user asked for, lower case (fills of the answer do not name it). */
  user: string;
  fill: NodeFill;
}

/**
 * Data the API cannot serve, said once where it is found (candles older than the newest 5,000, fills past
 * the 2,000 a user has in one millisecond, fills older than a user's newest 10,000): stored as a
 * `decode_errors` row so that the hole is on record, not only in a log line.
 */
export interface GapItem {
  kind: 'gap';
  /** The stream and the range: `candles:BTC:1m [2025-10-01T00:00:00.000Z, 2025-10-07T10:41:00.000Z)`. */
  ref: string;
  reason: string;
}
