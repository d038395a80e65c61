import type { Insertable } from 'kysely';
import type { Database } from './schema.ts';
import type { RowTable } from './fact-tables.ts';

export type { RowTable } from './fact-tables.ts';

/**
 * Postgres type of a written column, spelled as `information_schema.columns.udt_name` spells it (so a
 * test can compare it with the migrated schema), except `text[]`, whose udt_name is `_text`.
 */
export type ColumnPgType = 'text' | 'int4' | 'int8' | 'numeric' | 'float8' | 'bool' | 'timestamptz' | 'jsonb' | 'text[]';

export interface ColumnSpec<Name extends string = string> {
  readonly name: Name;
  readonly type: ColumnPgType;
  /**
   * The column's SQL default, for NOT NULL columns that have one. A bulk insert names every column, so
   * the server would not apply the default to a row that omits the value; the insert supplies it.
   */
  readonly default?: "'{}'";
  /**
   * Few distinct values per insert (parameters JSON, an explanation per reason): each distinct value is
   * sent once, in a dictionary array, and the rows carry its index (row-arrays.ts, unnest-insert.ts).
   */
  readonly repeated?: true;
}

type Columns<T extends RowTable> = readonly ColumnSpec<Extract<keyof Insertable<Database[T]>, string>>[];

const text = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'text' });
const int4 = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'int4' });
const int8 = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'int8' });
const numeric = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'numeric' });
const timestamptz = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'timestamptz' });
const jsonb = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'jsonb' });
const jsonbObject = <N extends string>(name: N): ColumnSpec<N> => ({ name, type: 'jsonb', default: "'{}'" });
const flags: ColumnSpec<'flags'> = { name: 'flags', type: 'text[]', default: "'{}'" };

/** Provenance and natural key, shared by every fact table. */
const chainColumns = [
  timestamptz('time'), int8('block_number'), text('tx_hash'), int4('log_index'), text('uid'), text('source_id'),
] as const;
/** Where a row came from and what it is about, venue-neutrally (migrations/0002). */
const neutralColumns = [text('chain'), text('asset'), text('quote')] as const;

/**
 * Every column a decoder row may carry, per table, with its Postgres type: the one place `insertRows`
 * learns a table's shape from (migrations/0001-canonical-schema.ts; test/db/insert-rows-columns.test.ts
 * checks this against the migrated schema). Server-filled columns (identity `id`, `created_at`) are absent.
 */
export const ROW_COLUMNS: { readonly [T in RowTable]: Columns<T> } = {
  liquidations: [
    text('venue'), int4('chain_id'), text('market'), text('symbol'), text('account'), text('liquidator'), text('side'),
    numeric('size'), numeric('size_raw'), numeric('size_usd'), numeric('price'), numeric('price_raw'), numeric('mark_price'),
    numeric('oracle_price'), text('collateral_token'), numeric('collateral_amount'), numeric('collateral_usd'),
    numeric('pnl_usd'), numeric('fee_usd'), numeric('bad_debt_usd'), ...chainColumns, ...neutralColumns, text('match_key'), flags,
    jsonbObject('extra'),
  ],
  adl_events: [
    text('venue'), int4('chain_id'), text('market'), text('symbol'), text('account'), text('counterparty'), text('side'),
    numeric('size'), numeric('size_raw'), numeric('size_usd'), numeric('price'), numeric('price_raw'), numeric('mark_price'),
    numeric('pnl_usd'), numeric('fee_usd'), ...chainColumns, ...neutralColumns, flags, jsonbObject('extra'),
  ],
  oracle_prices: [
    text('venue'), int4('chain_id'), text('market'), text('symbol'), numeric('price'), numeric('price_min'),
    numeric('price_max'), numeric('price_raw'), int4('decimals'), numeric('round_id'), timestamptz('time'),
    timestamptz('block_time'), int8('block_number'), text('tx_hash'), int4('log_index'), text('uid'), text('source_id'),
    ...neutralColumns, flags, jsonbObject('extra'),
  ],
  trades: [
    text('venue'), int4('chain_id'), text('market'), text('symbol'), text('account'), text('side'), text('action'),
    text('order_type'), numeric('size'), numeric('size_raw'), numeric('size_usd'), numeric('price'), numeric('price_raw'),
    numeric('pnl_usd'), numeric('fee_usd'), ...chainColumns, ...neutralColumns, flags, jsonbObject('extra'),
  ],
  venue_events: [
    text('venue'), int4('chain_id'), text('chain'), text('market'), text('kind'), numeric('value'), ...chainColumns, jsonbObject('extra'),
  ],
  trade_bars: [
    text('venue'), text('chain'), text('market'), text('asset'), text('quote'), text('interval'), timestamptz('time'),
    int8('trades'), numeric('volume'), numeric('volume_usd'), numeric('buy_volume'), numeric('sell_volume'), numeric('open'),
    numeric('high'), numeric('low'), numeric('close'), numeric('vwap'), timestamptz('first_trade_at'), timestamptz('last_trade_at'),
    text('source_id'), flags, jsonbObject('extra'),
  ],
  decode_errors: [
    text('source_id'), text('protocol'), int4('chain_id'), int8('block_number'), text('tx_hash'), int4('log_index'),
    text('record_ref'), text('event'), text('reason'), jsonb('raw'),
  ],
};
