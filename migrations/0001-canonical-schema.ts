import { sql, type Kysely } from 'kysely';

/**
 * Canonical schema v1: what is indexed (sources, cursors), the raw chain data kept for re-decoding
 * (blocks, raw_logs), reference data (tokens, markets) and the canonical facts every venue maps into
 * (liquidations, adl_events, oracle_prices, trades, venue_events), plus decode_errors.
 *
 * Conventions (docs/schema.md explains them to analysts):
 * - On-chain integers and exact decimals are NUMERIC; never float.
 * - `*_raw` columns hold the protocol's integer exactly as emitted; the unsuffixed column holds the same
 *   value normalized to human units (tokens, USD) by exact decimal division.
 * - Every fact table has a natural unique key (venue, chain_id, uid) where uid is the source's own id of
 *   the record (`txHash:logIndex` on chain, the venue's fill id off chain), so writing a batch twice
 *   stores it once (ON CONFLICT DO NOTHING). chain_id is NULL off chain, hence NULLS NOT DISTINCT.
 * - `time` is the event's time with millisecond precision (block time on chain).
 * - block_number is kept on every on-chain row so a reorg can delete everything at and above a fork.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table sources (
      id text primary key,
      kind text not null check (kind in ('evm', 'subgraph', 'http', 'files')),
      protocol text not null,
      venue text not null,
      chain_id integer,
      addresses text[] not null default '{}',
      start_block bigint,
      config jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`,
    sql`create table cursors (
      source_id text not null references sources (id) on delete cascade,
      stream text not null,
      position text not null,
      block_number bigint,
      block_hash text,
      updated_at timestamptz not null default now(),
      primary key (source_id, stream)
    )`,
    sql`create table blocks (
      chain_id integer not null,
      number bigint not null,
      hash text not null,
      parent_hash text not null,
      timestamp timestamptz not null,
      primary key (chain_id, number)
    )`,
    sql`create table raw_logs (
      source_id text not null references sources (id) on delete cascade,
      chain_id integer not null,
      block_number bigint not null,
      block_hash text not null,
      block_time timestamptz,
      tx_hash text not null,
      tx_index integer not null,
      log_index integer not null,
      address text not null,
      topic0 text,
      topic1 text,
      topic2 text,
      topic3 text,
      data bytea not null,
      primary key (source_id, block_number, log_index)
    )`,
    // Log data is most of the store's volume (a GMX v2 PositionDecrease is about 6 KB). Binary halves it
    // against hex text, and lz4, where the server has it (Postgres 14+ builds; not PGlite), makes writes of
    // such payloads about 4x faster than text with the default pglz (measured in the closing note of issue 3).
    sql`do $$ begin
      if exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)) then
        execute 'alter table raw_logs alter column data set compression lz4';
      end if;
    end $$`,
    sql`create index raw_logs_chain_block on raw_logs (chain_id, block_number)`,
    sql`create table decode_errors (
      id bigint generated always as identity primary key,
      source_id text not null,
      protocol text not null,
      chain_id integer,
      block_number bigint,
      tx_hash text,
      log_index integer,
      record_ref text,
      event text,
      reason text not null,
      raw jsonb,
      created_at timestamptz not null default now(),
      unique nulls not distinct (source_id, block_number, log_index, record_ref)
    )`,
    sql`create index decode_errors_source on decode_errors (source_id, block_number)`,
    sql`create table tokens (
      chain_id integer not null,
      address text not null,
      symbol text not null,
      decimals integer not null,
      origin text not null default 'registry',
      primary key (chain_id, address)
    )`,
    sql`create table markets (
      venue text not null,
      chain_id integer,
      market text not null,
      symbol text,
      index_token text,
      index_decimals integer,
      long_token text,
      short_token text,
      origin text not null default 'registry',
      extra jsonb not null default '{}',
      updated_at timestamptz not null default now(),
      unique nulls not distinct (venue, chain_id, market)
    )`,
    sql`create table liquidations (
      id bigint generated always as identity primary key,
      venue text not null,
      chain_id integer,
      market text not null,
      symbol text,
      account text not null,
      liquidator text,
      side text not null check (side in ('long', 'short')),
      size numeric,
      size_raw numeric,
      size_usd numeric,
      price numeric,
      price_raw numeric,
      mark_price numeric,
      oracle_price numeric,
      collateral_token text,
      collateral_amount numeric,
      collateral_usd numeric,
      pnl_usd numeric,
      fee_usd numeric,
      bad_debt_usd numeric,
      time timestamptz(3) not null,
      block_number bigint,
      tx_hash text,
      log_index integer,
      uid text not null,
      source_id text,
      flags text[] not null default '{}',
      extra jsonb not null default '{}',
      unique nulls not distinct (venue, chain_id, uid)
    )`,
    sql`create table adl_events (
      id bigint generated always as identity primary key,
      venue text not null,
      chain_id integer,
      market text not null,
      symbol text,
      account text not null,
      counterparty text,
      side text not null check (side in ('long', 'short')),
      size numeric,
      size_raw numeric,
      size_usd numeric,
      price numeric,
      price_raw numeric,
      mark_price numeric,
      pnl_usd numeric,
      fee_usd numeric,
      time timestamptz(3) not null,
      block_number bigint,
      tx_hash text,
      log_index integer,
      uid text not null,
      source_id text,
      flags text[] not null default '{}',
      extra jsonb not null default '{}',
      unique nulls not distinct (venue, chain_id, uid)
    )`,
    sql`create table oracle_prices (
      id bigint generated always as identity primary key,
      venue text not null,
      chain_id integer,
      market text not null,
      symbol text,
      price numeric not null,
      price_min numeric,
      price_max numeric,
      price_raw numeric,
      decimals integer,
      round_id numeric,
      time timestamptz(3) not null,
      block_time timestamptz(3),
      block_number bigint,
      tx_hash text,
      log_index integer,
      uid text not null,
      source_id text,
      flags text[] not null default '{}',
      extra jsonb not null default '{}',
      unique nulls not distinct (venue, chain_id, uid)
    )`,
    sql`create table trades (
      id bigint generated always as identity primary key,
      venue text not null,
      chain_id integer,
      market text not null,
      symbol text,
      account text not null,
      side text not null check (side in ('long', 'short')),
      action text not null,
      order_type text,
      size numeric,
      size_raw numeric,
      size_usd numeric,
      price numeric,
      price_raw numeric,
      pnl_usd numeric,
      fee_usd numeric,
      time timestamptz(3) not null,
      block_number bigint,
      tx_hash text,
      log_index integer,
      uid text not null,
      source_id text,
      flags text[] not null default '{}',
      extra jsonb not null default '{}',
      unique nulls not distinct (venue, chain_id, uid)
    )`,
    sql`create table venue_events (
      id bigint generated always as identity primary key,
      venue text not null,
      chain_id integer,
      market text,
      kind text not null,
      value numeric,
      time timestamptz(3) not null,
      block_number bigint,
      tx_hash text,
      log_index integer,
      uid text not null,
      source_id text,
      data jsonb not null default '{}',
      unique nulls not distinct (venue, chain_id, uid)
    )`,
    sql`create table pending_joins (
      source_id text not null,
      kind text not null,
      key text not null,
      block_number bigint,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      primary key (source_id, kind, key)
    )`,
  ];
  for (const table of ['liquidations', 'adl_events', 'oracle_prices', 'trades', 'venue_events']) {
    statements.push(sql`create index ${sql.raw(`${table}_venue_market_time`)} on ${sql.table(table)} (venue, market, time)`);
    statements.push(sql`create index ${sql.raw(`${table}_time`)} on ${sql.table(table)} (time)`);
    statements.push(sql`create index ${sql.raw(`${table}_source_block`)} on ${sql.table(table)} (source_id, block_number)`);
  }
  for (const table of ['liquidations', 'adl_events', 'trades']) {
    statements.push(sql`create index ${sql.raw(`${table}_account`)} on ${sql.table(table)} (account)`);
  }
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'pending_joins',
    'venue_events',
    'trades',
    'oracle_prices',
    'adl_events',
    'liquidations',
    'markets',
    'tokens',
    'decode_errors',
    'raw_logs',
    'blocks',
    'cursors',
    'sources',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
