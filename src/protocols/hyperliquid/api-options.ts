import { z } from 'zod';
import { CANDLE_INTERVALS, type CandleInterval } from './api-limits.ts';

/** An ISO 8601 time with its zone (`2025-10-10T21:00:00Z`): a time without one would depend on the machine. */
const isoTime = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 time with its zone, e.g. 2025-10-10T21:00:00Z' });
const coin = z.string().min(1);
const user = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address of 20 bytes')
  .transform((address) => address.toLowerCase());

/**
 * Options of a Hyperliquid `http` source (the info API), beside `allFills` of a files source. A source
 * reads any of the three; each configured coin, interval and user is a stream with its own cursor.
 */
export const hyperliquidApiOptionShape = {
  /** `candleSnapshot` → complete bars in `trade_bars` (one stream per coin and interval). */
  candles: z
    .strictObject({
      coins: z.array(coin).min(1),
      intervals: z.array(z.enum(Object.keys(CANDLE_INTERVALS) as [CandleInterval, ...CandleInterval[]])).min(1).default(['1m']),
      /** First candle wanted; by default (and when older) the oldest of the 5,000 the API keeps. */
      start: isoTime.optional(),
    })
    .optional(),
  /** `metaAndAssetCtxs`, one sample per pull → `oracle_prices` (oracle and mark as two venues). */
  ctx: z
    .strictObject({
      /** Only these coins; every coin of the answer by default. */
      coins: z.array(coin).min(1).optional(),
    })
    .optional(),
  /** `userFillsByTime` for a watch list → the same rows as node fills (liquidations, adl_events, trades). */
  fills: z
    .strictObject({
      users: z.array(user).min(1),
      /** First fill wanted; the API serves only a user's newest 10,000 whatever the start. */
      start: isoTime.optional(),
    })
    .optional(),
  /**
   * Only against liqscope's simulator server (`liqscope demo`, tests): the recorded data ends at `until`,
   * which stands for "now" (candle availability, the end of every time range), and `metaAndAssetCtxs`
   * samples are read back from the recording by time instead of sampled live (api-ctx.ts).
   */
  replay: z.strictObject({ until: isoTime }).optional(),
};

const apiOptions = z.object(hyperliquidApiOptionShape);
export type HyperliquidApiOptions = z.infer<typeof apiOptions>;

/** The source's options as the http reading reads them (they passed the protocol's schema when planned). */
export function apiOptionsOf(options: Record<string, unknown>): HyperliquidApiOptions {
  return apiOptions.parse(options);
}

/** Unix milliseconds of a validated ISO time. */
export function isoToMs(text: string): number {
  return Date.parse(text);
}
