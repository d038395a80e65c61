import { z } from 'zod';
import { EVENT_ID } from './event-ids.ts';

/**
 * The indexer's answers (formats.md §7; comlink's response objects at dydxprotocol/v4-chain@84d4664b),
 * validated before anything of a page is stored. Only the fields liqscope reads are checked; fields the
 * indexer adds (affiliateRevShare, builderFee, …) pass. An answer that does not fit throws a
 * DydxPageError naming the field's path in the body (`trades[3].size: expected a positive decimal
 * string, got number 12`); the HTTP source adds the source and the request.
 */
export class DydxPageError extends Error {
  override name = 'DydxPageError';
  constructor(
    /** Path of the field in the answer (`trades[3].size`), or `(answer)` for the whole body. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const NON_NEGATIVE = /^\d+(?:\.\d+)?$/;
/** Above zero: a non-zero integer part, or zeros then a fraction with a non-zero digit. */
const POSITIVE = /^(?:0*[1-9]\d*(?:\.\d+)?|0+\.\d*[1-9]\d*)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
export const TICKER = /^[A-Za-z0-9.]+-[A-Za-z0-9]+$/;

const text = (pattern: RegExp, expected: string) => z.string({ error: expected }).regex(pattern, { error: expected });
const decimal = text(DECIMAL, 'expected a decimal string');
const nonNegative = text(NON_NEGATIVE, 'expected a non-negative decimal string');
const positive = text(POSITIVE, 'expected a positive decimal string');
/** Heights are decimal strings in the indexer's answers (Postgres bigint); below 2^53 in practice. */
const height = text(/^\d{1,15}$/, 'expected a block height (a decimal string)');
const time = z.string({ error: 'expected an ISO 8601 time' }).refine((v) => ISO_TIME.test(v) && !Number.isNaN(Date.parse(v)), { error: 'expected an ISO 8601 time' });
const side = z.enum(['BUY', 'SELL'], { error: 'expected "BUY" or "SELL"' });
const count = z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(0, { error: 'expected a whole number' });
/** Paging fields comlink adds when `page` is given (null or absent otherwise). */
const paging = {
  pageSize: count.nullish(),
  totalResults: count.nullish(),
  offset: count.nullish(),
};

export const tradeSchema = z.object({
  id: text(EVENT_ID, "expected the indexer's event id (24 hex digits)"),
  side,
  size: positive,
  price: positive,
  /** TradeType: LIMIT, LIQUIDATED, DELEVERAGED, TWAP_SUBORDER; a type added later is read as an ordinary trade. */
  type: text(/^[A-Z][A-Z_]*$/, 'expected a trade type such as "LIQUIDATED"'),
  createdAt: time,
  createdAtHeight: height,
});
export type DydxTrade = z.infer<typeof tradeSchema>;
export const tradesResponse = z.object({ trades: z.array(tradeSchema, { error: 'expected a list of trades' }), ...paging }, { error: 'expected an object {trades: […]}' });

/** The fill types a fills stream asks for (`includeTypes`); the indexer answers no other. */
export const LIQUIDATION_FILL_TYPES = ['LIQUIDATED', 'LIQUIDATION', 'DELEVERAGED', 'OFFSETTING'] as const;
export type LiquidationFillType = (typeof LIQUIDATION_FILL_TYPES)[number];

export const fillSchema = z.object({
  id: text(UUID, "expected the indexer's fill id (a lower-case UUID)"),
  side,
  liquidity: z.enum(['TAKER', 'MAKER'], { error: 'expected "TAKER" or "MAKER"' }),
  type: z.enum(LIQUIDATION_FILL_TYPES, { error: `expected one of the types asked for (${LIQUIDATION_FILL_TYPES.join(', ')})` }),
  market: text(TICKER, 'expected a ticker such as "BTC-USD"'),
  price: positive,
  size: positive,
  fee: decimal,
  createdAt: time,
  createdAtHeight: height,
  subaccountNumber: count,
  orderId: z.string({ error: 'expected a string' }).nullish(),
  positionSizeBefore: decimal.nullish(),
  entryPriceBefore: decimal.nullish(),
  positionSideBefore: z.string({ error: 'expected a string' }).nullish(),
});
export type DydxFill = z.infer<typeof fillSchema>;
export const fillsResponse = z.object({ fills: z.array(fillSchema, { error: 'expected a list of fills' }), ...paging }, { error: 'expected an object {fills: […]}' });

export const fundingSchema = z.object({
  ticker: text(TICKER, 'expected a ticker such as "BTC-USD"'),
  rate: decimal,
  /** The oracle price at the funding tick. */
  price: positive,
  effectiveAt: time,
  effectiveAtHeight: height,
});
export type DydxFunding = z.infer<typeof fundingSchema>;
export const fundingResponse = z.object(
  { historicalFunding: z.array(fundingSchema, { error: 'expected a list of funding ticks' }) },
  { error: 'expected an object {historicalFunding: […]}' },
);

export const candleSchema = z.object({
  startedAt: time,
  ticker: text(TICKER, 'expected a ticker such as "BTC-USD"'),
  resolution: z.string({ error: 'expected a resolution such as "1MIN"' }),
  low: positive,
  high: positive,
  open: positive,
  close: positive,
  baseTokenVolume: nonNegative,
  usdVolume: nonNegative,
  trades: count,
  startingOpenInterest: nonNegative,
  orderbookMidPriceOpen: positive.nullish(),
  orderbookMidPriceClose: positive.nullish(),
});
export type DydxCandle = z.infer<typeof candleSchema>;
export const candlesResponse = z.object({ candles: z.array(candleSchema, { error: 'expected a list of candles' }) }, { error: 'expected an object {candles: […]}' });

/** Validates an answer against `schema`; the first problem becomes a DydxPageError naming its path and the value found. */
export function readAnswer<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data as z.infer<S>;
  const issues = result.error.issues;
  const first = issues[0]!;
  const field = pathText(first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new DydxPageError(field, `${first.message}, got ${describe(valueAt(body, first.path))}${more}`);
}

/** `trades[3].size` from zod's path. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(answer)';
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** A value as a message shows it: its type and, for scalars, the value (cut at 40 characters). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}
