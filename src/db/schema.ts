import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Kysely types of the canonical schema (migrations/0001-canonical-schema.ts).
 * NUMERIC columns are read back as exact decimal strings and written as strings (or bigints turned to
 * strings by `toNumeric`); never as JS numbers.
 */
export type Numeric = ColumnType<string, string | bigint, string | bigint>;
export type NullableNumeric = ColumnType<string | null, string | bigint | null | undefined, string | bigint | null>;
/** bigint columns (block numbers): pg returns int8 as a string; we write numbers or bigints. */
export type Int8 = ColumnType<string, number | bigint | string, number | bigint | string>;
export type NullableInt8 = ColumnType<string | null, number | bigint | string | null | undefined, number | bigint | string | null>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Json = ColumnType<unknown, string, string>;
type DefaultJson = ColumnType<unknown, string | undefined, string>;
type Flags = ColumnType<string[], string[] | undefined, string[]>;
type Opt<T> = ColumnType<T | null, T | null | undefined, T | null>;

export interface SourcesTable {
  id: string;
  kind: 'evm' | 'subgraph' | 'http' | 'files';
  protocol: string;
  venue: string;
  chain_id: Opt<number>;
  addresses: ColumnType<string[], string[] | undefined, string[]>;
  start_block: NullableInt8;
  config: DefaultJson;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CursorsTable {
  source_id: string;
  stream: string;
  position: string;
  block_number: NullableInt8;
  block_hash: Opt<string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface BlocksTable {
  chain_id: number;
  number: Int8;
  hash: string;
  parent_hash: string;
  timestamp: Timestamp;
}

export interface RawLogsTable {
  source_id: string;
  chain_id: number;
  block_number: Int8;
  block_hash: string;
  block_time: NullableTimestamp;
  tx_hash: string;
  tx_index: number;
  log_index: number;
  address: string;
  topic0: Opt<string>;
  topic1: Opt<string>;
  topic2: Opt<string>;
  topic3: Opt<string>;
  /** Raw log data as bytes (bytea); written by SQL from hex. */
  data: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
}

export interface DecodeErrorsTable {
  id: Generated<string>;
  source_id: string;
  protocol: string;
  chain_id: Opt<number>;
  block_number: NullableInt8;
  tx_hash: Opt<string>;
  log_index: Opt<number>;
  record_ref: Opt<string>;
  event: Opt<string>;
  reason: string;
  raw: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export interface TokensTable {
  chain_id: number;
  address: string;
  symbol: string;
  decimals: number;
  origin: ColumnType<string, string | undefined, string>;
}

export interface MarketsTable {
  venue: string;
  chain_id: Opt<number>;
  market: string;
  symbol: Opt<string>;
  index_token: Opt<string>;
  index_decimals: Opt<number>;
  long_token: Opt<string>;
  short_token: Opt<string>;
  origin: ColumnType<string, string | undefined, string>;
  extra: DefaultJson;
  updated_at: Generated<Date>;
}

/** Columns shared by every canonical fact table. */
interface FactColumns {
  id: Generated<string>;
  venue: string;
  chain_id: Opt<number>;
  market: string;
  symbol: Opt<string>;
  time: Timestamp;
  block_number: NullableInt8;
  tx_hash: Opt<string>;
  log_index: Opt<number>;
  uid: string;
  source_id: Opt<string>;
}

export interface LiquidationsTable extends FactColumns {
  account: string;
  liquidator: Opt<string>;
  side: 'long' | 'short';
  size: NullableNumeric;
  size_raw: NullableNumeric;
  size_usd: NullableNumeric;
  price: NullableNumeric;
  price_raw: NullableNumeric;
  mark_price: NullableNumeric;
  oracle_price: NullableNumeric;
  collateral_token: Opt<string>;
  collateral_amount: NullableNumeric;
  collateral_usd: NullableNumeric;
  pnl_usd: NullableNumeric;
  fee_usd: NullableNumeric;
  bad_debt_usd: NullableNumeric;
  flags: Flags;
  extra: DefaultJson;
}

export interface AdlEventsTable extends FactColumns {
  account: string;
  counterparty: Opt<string>;
  side: 'long' | 'short';
  size: NullableNumeric;
  size_raw: NullableNumeric;
  size_usd: NullableNumeric;
  price: NullableNumeric;
  price_raw: NullableNumeric;
  mark_price: NullableNumeric;
  pnl_usd: NullableNumeric;
  fee_usd: NullableNumeric;
  flags: Flags;
  extra: DefaultJson;
}

export interface OraclePricesTable extends FactColumns {
  price: Numeric;
  price_min: NullableNumeric;
  price_max: NullableNumeric;
  price_raw: NullableNumeric;
  decimals: Opt<number>;
  round_id: NullableNumeric;
  block_time: NullableTimestamp;
  flags: Flags;
  extra: DefaultJson;
}

export interface TradesTable extends FactColumns {
  account: string;
  side: 'long' | 'short';
  action: string;
  order_type: Opt<string>;
  size: NullableNumeric;
  size_raw: NullableNumeric;
  size_usd: NullableNumeric;
  price: NullableNumeric;
  price_raw: NullableNumeric;
  pnl_usd: NullableNumeric;
  fee_usd: NullableNumeric;
  flags: Flags;
  extra: DefaultJson;
}

export interface VenueEventsTable {
  id: Generated<string>;
  venue: string;
  chain_id: Opt<number>;
  market: Opt<string>;
  kind: string;
  value: NullableNumeric;
  time: Timestamp;
  block_number: NullableInt8;
  tx_hash: Opt<string>;
  log_index: Opt<number>;
  uid: string;
  source_id: Opt<string>;
  data: DefaultJson;
}

export interface PendingJoinsTable {
  source_id: string;
  kind: string;
  key: string;
  block_number: NullableInt8;
  payload: Json;
  created_at: Generated<Date>;
}

export interface Database {
  sources: SourcesTable;
  cursors: CursorsTable;
  blocks: BlocksTable;
  raw_logs: RawLogsTable;
  decode_errors: DecodeErrorsTable;
  tokens: TokensTable;
  markets: MarketsTable;
  liquidations: LiquidationsTable;
  adl_events: AdlEventsTable;
  oracle_prices: OraclePricesTable;
  trades: TradesTable;
  venue_events: VenueEventsTable;
  pending_joins: PendingJoinsTable;
}

export type NewLiquidation = Insertable<LiquidationsTable>;
export type NewAdlEvent = Insertable<AdlEventsTable>;
export type NewOraclePrice = Insertable<OraclePricesTable>;
export type NewTrade = Insertable<TradesTable>;
export type NewVenueEvent = Insertable<VenueEventsTable>;
export type NewMarket = Insertable<MarketsTable>;
export type NewToken = Insertable<TokensTable>;
export type NewDecodeError = Insertable<DecodeErrorsTable>;
export type NewRawLog = Insertable<RawLogsTable>;
export type NewBlock = Insertable<BlocksTable>;
export type Liquidation = Selectable<LiquidationsTable>;
export type AdlEvent = Selectable<AdlEventsTable>;
export type OraclePrice = Selectable<OraclePricesTable>;

/** The fact tables a decoder may write, in the order they are written. */
export const FACT_TABLES = ['liquidations', 'adl_events', 'oracle_prices', 'trades', 'venue_events'] as const;
export type FactTable = (typeof FACT_TABLES)[number];
