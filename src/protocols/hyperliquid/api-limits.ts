/**
 * Limits and request weights of Hyperliquid's info endpoint (`POST /info`), as its API docs state them
 * ("Info endpoint", "Rate limits and user limits"; formats.md §6). The local simulator server
 * (src/sim/servers/hyperliquid-info-server.ts) serves by the same figures, so the two are written here once.
 */

/** `candleSnapshot`: candles per answer (the docs: time-range answers hold at most 500 elements). */
export const CANDLES_PER_ANSWER = 500;
/** `candleSnapshot`: only the newest 5,000 candles of a coin and interval exist. */
export const CANDLES_KEPT = 5_000;
/** `userFillsByTime`: fills per answer. */
export const FILLS_PER_ANSWER = 2_000;
/** `userFillsByTime`: only a user's newest 10,000 fills are served, however the time range is set. */
export const FILLS_KEPT = 10_000;
/**
 * Samples per answer of the simulator server's `metaAndAssetCtxs` replay (not a Hyperliquid figure:
 * the real endpoint answers one sample, "now"; see api-ctx.ts).
 */
export const REPLAY_SAMPLES_PER_ANSWER = 100;

/**
 * Weight-based rate limit per IP: 1200 a minute, all REST requests together. The figure is from the docs
 * but UNVERIFIED against the live API (formats.md §6), and whether the venue meters a sliding minute or a
 * refilled bucket is not documented: a client that keeps every 60-second window within the figure is
 * safe under both.
 */
export const WEIGHT_PER_MINUTE = 1_200;

/**
 * Request weights (the docs' "Rate limits and user limits"; UNVERIFIED figures): every info request
 * liqscope sends weighs 20 (only l2Book, allMids, clearinghouseState, orderStatus,
 * spotClearinghouseState and exchangeStatus weigh 2); `userFillsByTime` adds 1 per 20 fills returned
 * and `candleSnapshot` 1 per 60 candles. Whether a partial 20 counts is not said: floor is assumed.
 */
export const INFO_BASE_WEIGHT = 20;
export const FILLS_PER_EXTRA_WEIGHT = 20;
export const CANDLES_PER_EXTRA_WEIGHT = 60;

/** The weight of an answer of `type` holding `items` items. */
export function infoWeight(type: 'candleSnapshot' | 'userFillsByTime' | 'metaAndAssetCtxs', items: number): number {
  if (type === 'userFillsByTime') return INFO_BASE_WEIGHT + Math.floor(items / FILLS_PER_EXTRA_WEIGHT);
  if (type === 'candleSnapshot') return INFO_BASE_WEIGHT + Math.floor(items / CANDLES_PER_EXTRA_WEIGHT);
  return INFO_BASE_WEIGHT;
}

/**
 * Candle intervals liqscope reads, with their length: those `trade_bars.interval` can hold. Hyperliquid
 * also serves 3m, 2h, 8h, 12h, 3d, 1w and 1M (a calendar month has no fixed length).
 */
export const CANDLE_INTERVALS = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
} as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;

/**
 * Open time of the oldest candle the API still has at `nowMs`: the newest 5,000, counting the candle
 * in progress. UNVERIFIED whether the one in progress counts among the 5,000; counting it is the
 * cautious reading (one candle less is asked for).
 */
export function oldestCandleKept(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) - (CANDLES_KEPT - 1)) * intervalMs;
}
