import { sql, type Kysely } from 'kysely';

/**
 * Venue-neutral facts (issue 11). One query must span venues, on chain and off:
 * - `asset` (canonical base: BTC, ETH, …; WETH → ETH) and `quote` (USD) on liquidations, adl_events,
 *   oracle_prices and trades, indexed with time; `markets` and `tokens` carry the mapping. A row whose
 *   market is unknown keeps asset NULL (and its `unknown_market` / `unknown_token` flag).
 * - `chain` (text: arbitrum, avalanche, hyperliquid, dydx-mainnet-1, …) says where a row came from;
 *   `chain_id` stays for EVM rows.
 * - `side` may be NULL where the venue does not say (Synthetix v3 full liquidations, flag side_unknown).
 * - venue_events' JSON column is `extra`, as everywhere else.
 * - GMX v2 oracle rows keep `price_raw`: (minPrice + maxPrice) / 2 as emitted (×10^decimals).
 * - `trade_bars`: trading folded into bars per venue, market and interval (Hyperliquid node fills per
 *   second, dYdX and Hyperliquid candles per minute), for depth and price-impact analytics.
 * Existing rows are migrated: chain from chain_id, asset and quote from the registry tables.
 */
const FACTS = ['liquidations', 'adl_events', 'oracle_prices', 'trades'] as const;

/** SQL for the canonical asset of a token symbol; mirrors src/pipeline/assets.ts for existing rows. */
const canonical = (expr: string) => `(case upper(${expr})
  when 'WETH' then 'ETH' when 'WETH.E' then 'ETH' when 'WBTC' then 'BTC' when 'WBTC.E' then 'BTC' when 'BTC.B' then 'BTC'
  when 'TBTC' then 'BTC' when 'WAVAX' then 'AVAX' when 'WBNB' then 'BNB' when 'WMATIC' then 'MATIC' when 'WPOL' then 'POL'
  when 'USDC.E' then 'USDC' else upper(${expr}) end)`;

const chainName = (expr: string) => `(case ${expr}
  when 1 then 'ethereum' when 10 then 'optimism' when 56 then 'bsc' when 137 then 'polygon' when 8453 then 'base'
  when 42161 then 'arbitrum' when 43114 then 'avalanche' when 999 then 'hyperevm' else 'eip155:' || ${expr} end)`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);

  await run(`alter table markets add column asset text, add column quote text`);
  await run(`alter table tokens add column asset text`);
  // Symbols look like "ETH/USD", "BTC/USD [WBTC-USDC]": the part before the slash is the asset.
  await run(`update markets set
      asset = ${canonical(`trim(split_part(regexp_replace(coalesce(symbol, ''), '\\s*\\[.*\\]\\s*$', ''), '/', 1))`)},
      quote = nullif(${canonical(`trim(split_part(regexp_replace(coalesce(symbol, ''), '\\s*\\[.*\\]\\s*$', ''), '/', 2))`)}, '')
    where symbol is not null`);
  await run(`update tokens set asset = ${canonical('symbol')}`);

  for (const table of FACTS) {
    await run(`alter table ${table} add column asset text, add column quote text, add column chain text`);
  }
  for (const table of ['liquidations', 'adl_events', 'trades']) {
    await run(`alter table ${table} alter column side drop not null`);
  }
  await run(`alter table venue_events rename column data to extra`);
  await run(`alter table venue_events add column chain text`);

  for (const table of [...FACTS, 'venue_events']) {
    await run(`update ${table} set chain = ${chainName('chain_id')} where chain_id is not null`);
  }
  for (const table of FACTS) {
    await run(`update ${table} f set asset = m.asset, quote = m.quote from markets m
      where m.venue = f.venue and m.market = f.market and (m.chain_id = f.chain_id or m.chain_id is null)`);
  }
  // GMX v2 prices are per token: the market of its oracle rows is the token address.
  await run(`update oracle_prices f set asset = t.asset, quote = 'USD' from tokens t
    where f.asset is null and f.venue = 'gmx-v2' and t.chain_id = f.chain_id and t.address = f.market`);
  await run(`update oracle_prices set price_raw = ((extra->>'minPriceRaw')::numeric + (extra->>'maxPriceRaw')::numeric) / 2
    where venue = 'gmx-v2' and price_raw is null and extra ? 'minPriceRaw' and extra ? 'maxPriceRaw'`);
  await run(`update liquidations set side = null where 'side_unknown' = any(flags)`);

  for (const table of FACTS) {
    await run(`create index ${table}_asset_time on ${table} (asset, time)`);
  }

  await run(`create table trade_bars (
    venue text not null,
    chain text,
    market text not null,
    asset text,
    quote text,
    interval text not null check (interval in ('1s', '1m', '5m', '15m', '30m', '1h', '4h', '1d')),
    time timestamptz(3) not null,
    trades bigint not null,
    volume numeric not null,
    volume_usd numeric,
    buy_volume numeric,
    sell_volume numeric,
    open numeric,
    high numeric,
    low numeric,
    close numeric,
    vwap numeric,
    first_trade_at timestamptz(3),
    last_trade_at timestamptz(3),
    source_id text,
    flags text[] not null default '{}',
    extra jsonb not null default '{}',
    primary key (venue, market, interval, time)
  )`);
  await run(`create index trade_bars_asset_time on trade_bars (asset, interval, time)`);
  await run(`create index trade_bars_source on trade_bars (source_id)`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`drop table if exists trade_bars`);
  for (const table of FACTS) {
    await run(`drop index if exists ${table}_asset_time`);
    await run(`alter table ${table} drop column asset, drop column quote, drop column chain`);
  }
  await run(`update liquidations set side = 'long' where side is null`);
  for (const table of ['liquidations', 'adl_events', 'trades']) {
    await run(`delete from ${table} where side is null`);
    await run(`alter table ${table} alter column side set not null`);
  }
  await run(`alter table venue_events drop column chain`);
  await run(`alter table venue_events rename column extra to data`);
  await run(`alter table markets drop column asset, drop column quote`);
  await run(`alter table tokens drop column asset`);
}
