import { z } from 'zod';

/** Candle resolutions of the indexer (CandleResolution) and the `trade_bars` interval each fills. */
export const CANDLE_INTERVALS = {
  '1MIN': { interval: '1m', ms: 60_000 },
  '5MINS': { interval: '5m', ms: 300_000 },
  '15MINS': { interval: '15m', ms: 900_000 },
  '30MINS': { interval: '30m', ms: 1_800_000 },
  '1HOUR': { interval: '1h', ms: 3_600_000 },
  '4HOURS': { interval: '4h', ms: 14_400_000 },
  '1DAY': { interval: '1d', ms: 86_400_000 },
} as const;
export type CandleResolution = keyof typeof CANDLE_INTERVALS;

export const READABLE = ['trades', 'fills', 'funding', 'candles'] as const;

/** The indexer's cap on `limit` (API_LIMIT_V4), also its default. */
export const MAX_PAGE_LIMIT = 1000;

/**
 * A market's ticker as the indexer names it (`BTC-USD`). Letters, digits and dots before the dash:
 * dYdX lists markets permissionlessly, so the set is open.
 */
const ticker = z.string().regex(/^[A-Za-z0-9.]+-[A-Za-z0-9]+$/, 'expected a dYdX ticker such as "BTC-USD"');

/**
 * A dYdX chain address. Not checked as bech32 (its checksum): the simulator's addresses are synthetic
 * `dydx1…` strings, and the indexer itself answers an invalid one with a clear 400.
 */
const address = z.string().regex(/^dydx1[0-9a-z]{6,90}$/, 'expected a dydx1… address');

const isoTime = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), {
  message: 'expected an ISO 8601 time with its zone, such as "2025-10-10T21:00:00Z"',
});

/**
 * Options of a dYdX v4 indexer source (`kind: "http"`, `protocol: "dydx-v4"`). Every stream pages
 * backwards from now to where it starts: `fromHeight` and/or `from` (both: whichever is later), and
 * on later runs only down to what earlier runs stored.
 */
export const dydxOptions = z
  .strictObject({
    /** Markets by ticker: their trades (liquidations and deleveraging, venue-wide), funding ticks and candles. */
    markets: z.array(ticker).default([]),
    /** Subaccounts whose liquidation fills to read: the accounts the market trades do not name. */
    subaccounts: z
      .array(z.strictObject({ address, subaccountNumber: z.number().int().min(0).max(128_000) }))
      .default([]),
    /** What to read (default: everything the markets and subaccounts allow). */
    read: z.array(z.enum(READABLE)).min(1).default([...READABLE]),
    /** Candle resolution read into `trade_bars`. */
    candleResolution: z.enum(Object.keys(CANDLE_INTERVALS) as [CandleResolution, ...CandleResolution[]]).default('1MIN'),
    /** First block height to store. */
    fromHeight: z.number().int().min(1).optional(),
    /** First time to store (candles start at the bar that holds it). */
    from: isoTime.optional(),
    /** Items per request, at most the indexer's 1,000 (smaller pages only cost more requests). */
    limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).default(MAX_PAGE_LIMIT),
  })
  .superRefine((o, ctx) => {
    if (o.fromHeight === undefined && o.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'say where to start: "from" (an ISO time) and/or "fromHeight" (a block height)' });
    }
    const reads = new Set(o.read);
    if (reads.has('candles') && o.from === undefined && o.markets.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'candles are paged by time: give "from" (an ISO time), or leave "candles" out of "read"' });
    }
    const byMarket = ['trades', 'funding', 'candles'].some((r) => reads.has(r as (typeof READABLE)[number]));
    if (o.markets.length === 0 && !(reads.has('fills') && o.subaccounts.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['markets'], message: 'nothing to read: list "markets" (tickers) and/or "subaccounts" with "fills" in "read"' });
    } else if (o.markets.length > 0 && !byMarket && !(reads.has('fills') && o.subaccounts.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['read'], message: 'nothing to read: "read" names no stream of the markets or subaccounts given' });
    }
    const seen = new Set<string>();
    o.subaccounts.forEach((s, i) => {
      const key = `${s.address}/${s.subaccountNumber}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['subaccounts', i], message: `subaccount ${key} is listed twice` });
      seen.add(key);
    });
    const tickers = new Set<string>();
    o.markets.forEach((m, i) => {
      if (tickers.has(m)) ctx.addIssue({ code: 'custom', path: ['markets', i], message: `market ${m} is listed twice` });
      tickers.add(m);
    });
  });

export type DydxOptions = z.infer<typeof dydxOptions>;
