import type {
  NewAdlEvent,
  NewDecodeError,
  NewLiquidation,
  NewOraclePrice,
  NewTrade,
  NewTradeBar,
  NewVenueEvent,
} from '../db/schema.ts';
import type { KeyedFactTable, RowTable } from '../db/fact-tables.ts';
import type { RegistryView } from './registry.ts';
import type { SourceInfo } from './source-info.ts';

/** Canonical rows produced from one batch of records. Any list may be empty. */
export interface DecodedRows {
  liquidations: NewLiquidation[];
  adlEvents: NewAdlEvent[];
  oraclePrices: NewOraclePrice[];
  trades: NewTrade[];
  venueEvents: NewVenueEvent[];
  /** Complete bars (a venue's candles): a bar written again replaces the stored one. */
  tradeBars: NewTradeBar[];
  /**
   * Partial bars folded from this batch's trades: the store merges each into the stored bar of the same
   * venue, market, interval and time (sums, extremes, open from the earliest trade, close from the latest).
   */
  tradeBarParts: NewTradeBar[];
  decodeErrors: NewDecodeError[];
}

/** Which table each list of DecodedRows goes to, in write order. The one place this mapping is written. */
export const ROW_TABLES = {
  liquidations: 'liquidations',
  adlEvents: 'adl_events',
  oraclePrices: 'oracle_prices',
  trades: 'trades',
  venueEvents: 'venue_events',
  tradeBars: 'trade_bars',
  tradeBarParts: 'trade_bars',
  decodeErrors: 'decode_errors',
} as const satisfies Record<keyof DecodedRows, RowTable>;

/** A fact row's natural key: `(venue, chain_id, uid)`. */
export interface RowKey {
  venue: string;
  chainId: number | null;
  uid: string;
}

/**
 * A change to a row written by an earlier batch: a GMX v2 liquidation completed by a fee log that came
 * later, or a decrease written as a trade that its OrderExecuted turned into an ADL.
 */
export type Amendment =
  | {
      op: 'update';
      table: KeyedFactTable;
      key: RowKey;
      /** Columns to set, as a decoder writes them in rows (bigint or decimal strings for NUMERIC). */
      set: Record<string, string | number | bigint | null>;
      /** Keys merged into the row's `extra` JSON. */
      mergeExtra?: Record<string, unknown>;
    }
  | { op: 'delete'; table: KeyedFactTable; key: RowKey };

/**
 * One half of a join waiting for its partner in a later batch (the `pending_joins` table, per source).
 * `blockNumber` lets a reorg delete the halves it invalidated; off-chain sources leave it null.
 */
export type JoinOp =
  | { op: 'put'; kind: string; key: string; blockNumber: bigint | null; payload: unknown }
  | { op: 'delete'; kind: string; keys: readonly string[] };

/** Everything a decoder returns for a batch. The store applies it in one transaction with the batch's cursor. */
export interface DecodeOutput extends DecodedRows {
  amendments: Amendment[];
  joins: JoinOp[];
}

export function emptyOutput(): DecodeOutput {
  return {
    liquidations: [],
    adlEvents: [],
    oraclePrices: [],
    trades: [],
    venueEvents: [],
    tradeBars: [],
    tradeBarParts: [],
    decodeErrors: [],
    amendments: [],
    joins: [],
  };
}

/** Read access to the halves of joins that earlier batches left waiting (committed state). */
export interface PendingReader {
  /** Payloads by key for the keys that have a waiting half of `kind`. */
  find(kind: string, keys: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
}

export interface DecodeContext {
  source: SourceInfo;
  /** Markets and tokens of the source's venue and chain (built-in lists plus the configuration's). */
  registry: RegistryView;
  pending: PendingReader;
}

/**
 * A protocol's decoder for one kind of record. Pure: it reads only its input and the context, and
 * returns rows, amendments and join operations for the store to apply; it never writes. A record it
 * cannot decode becomes a `decodeErrors` row naming the reason and the batch goes on, unless the
 * protocol says such input must stop the import (then it throws an error naming what and where).
 */
export interface Decoder<R> {
  decode(records: readonly R[], ctx: DecodeContext): Promise<DecodeOutput>;
  /**
   * False when `decode` never reads `ctx.pending` (no join spans batches): the runner then decodes a
   * batch while the previous one is still being written, instead of after its commit.
   */
  readonly usesPending?: boolean;
  /**
   * Where this decoder object can be imported from in another thread: the module's URL (the protocol's
   * own file, `import.meta.url`) and the name it is exported under. A function cannot be sent to a
   * worker thread, a module can: a files source imports it in its reading worker and decodes there, so
   * that the lines' parsed objects never reach the main thread (only rows do). The engine never builds
   * such a URL itself; only decoders with `usesPending: false` are run that way.
   */
  readonly workerModule?: { readonly url: string; readonly exportName: string };
}
