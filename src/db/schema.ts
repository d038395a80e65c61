import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Kysely types of the canonical schema (migrations/0001-canonical-schema.ts, 0002-venue-neutral.ts).
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
  asset: Opt<string>;
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
  asset: Opt<string>;
  quote: Opt<string>;
  origin: ColumnType<string, string | undefined, string>;
  extra: DefaultJson;
  updated_at: Generated<Date>;
}

/** Columns shared by every canonical fact table. */
interface FactColumns {
  id: Generated<string>;
  venue: string;
  /** Where the row came from, on or off chain: `arbitrum`, `hyperliquid`, `dydx-mainnet-1`. */
  chain: Opt<string>;
  chain_id: Opt<number>;
  market: string;
  symbol: Opt<string>;
  /** Canonical base asset (BTC, ETH, …); NULL when the market is unknown. */
  asset: Opt<string>;
  /** Quote currency (USD). */
  quote: Opt<string>;
  time: Timestamp;
  block_number: NullableInt8;
  tx_hash: Opt<string>;
  log_index: Opt<number>;
  uid: string;
  source_id: Opt<string>;
}

/**
 * An account column that is NULL where the source does not name the account: a liquidation or ADL seen
 * only in dYdX's venue-wide trades (migrations/0007-dydx-unknown-accounts.ts). Required on insert.
 */
type AccountColumn = ColumnType<string | null, string | null, string | null>;

export interface LiquidationsTable extends FactColumns {
  account: AccountColumn;
  liquidator: Opt<string>;
  /** NULL where the venue does not say (flag `side_unknown`). */
  side: Opt<'long' | 'short'>;
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
  /**
   * A second natural key (venue, chain_id, match_key) for a record whose identity does not depend on
   * where it was read (GMX v2 `order:<orderKey>`), so a chain row and a subgraph row of it meet (0003).
   */
  match_key: Opt<string>;
  flags: Flags;
  extra: DefaultJson;
}

export interface AdlEventsTable extends FactColumns {
  account: AccountColumn;
  counterparty: Opt<string>;
  side: Opt<'long' | 'short'>;
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
  side: Opt<'long' | 'short'>;
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
  chain: Opt<string>;
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
  extra: DefaultJson;
}

/**
 * Trading folded into bars per venue, market, interval and time (migrations/0002): Hyperliquid node fills
 * per second, venues' candles per minute. Volumes are derived (sums of fills), prices as traded.
 */
export interface TradeBarsTable {
  venue: string;
  chain: Opt<string>;
  market: string;
  asset: Opt<string>;
  quote: Opt<string>;
  interval: '1s' | '1m' | '5m' | '15m' | '30m' | '1h' | '4h' | '1d';
  time: Timestamp;
  trades: Int8;
  volume: Numeric;
  volume_usd: NullableNumeric;
  buy_volume: NullableNumeric;
  sell_volume: NullableNumeric;
  open: NullableNumeric;
  high: NullableNumeric;
  low: NullableNumeric;
  close: NullableNumeric;
  vwap: NullableNumeric;
  first_trade_at: NullableTimestamp;
  last_trade_at: NullableTimestamp;
  source_id: Opt<string>;
  flags: Flags;
  extra: DefaultJson;
}

export interface PendingJoinsTable {
  source_id: string;
  kind: string;
  key: string;
  block_number: NullableInt8;
  payload: Json;
  created_at: Generated<Date>;
}

/**
 * A source's own version of a fact row that another source stored first (migrations/0003): written only
 * when two sources meet, so the store can say who saw a row and `verify --venue` can compare them.
 */
export interface FactProvenanceTable {
  table_name: 'liquidations' | 'adl_events' | 'oracle_prices' | 'trades' | 'venue_events';
  venue: string;
  chain_id: Opt<number>;
  /** The stored row's uid (natural key with venue and chain_id). */
  uid: string;
  source_id: string;
  /** This source's block number of the row, for rewinds. */
  block_number: NullableInt8;
  /** The row as this source decoded it (JSON: decimals as strings, times as ISO strings). */
  row: Json;
  seen_at: Generated<Date>;
}

/** Which sources saw each fact row (a view, migrations/0003). */
export interface FactSourcesView {
  table_name: string;
  venue: string;
  chain_id: number | null;
  uid: string;
  source_id: string | null;
  source_kind: string | null;
  /** Whether this source's row is the one stored in the fact table. */
  stored: boolean;
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
  trade_bars: TradeBarsTable;
  fact_provenance: FactProvenanceTable;
  fact_sources: FactSourcesView;
}

export type NewLiquidation = Insertable<LiquidationsTable>;
export type NewAdlEvent = Insertable<AdlEventsTable>;
export type NewOraclePrice = Insertable<OraclePricesTable>;
export type NewTrade = Insertable<TradesTable>;
export type NewVenueEvent = Insertable<VenueEventsTable>;
export type NewTradeBar = Insertable<TradeBarsTable>;
export type NewMarket = Insertable<MarketsTable>;
export type NewToken = Insertable<TokensTable>;
export type NewDecodeError = Insertable<DecodeErrorsTable>;
export type NewRawLog = Insertable<RawLogsTable>;
export type NewBlock = Insertable<BlocksTable>;
export type Liquidation = Selectable<LiquidationsTable>;
export type AdlEvent = Selectable<AdlEventsTable>;
export type OraclePrice = Selectable<OraclePricesTable>;

