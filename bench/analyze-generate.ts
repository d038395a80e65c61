import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/schema.ts';

/**
 * A synthetic four weeks of three venues and ten assets for the analyze benchmark, generated inside
 * Postgres (INSERT … SELECT over generate_series: no row passes through JavaScript):
 *
 * - a price path per asset: a daily swing of ±2 % and `cascades` crashes (default 40: 5–20 % drops over 5–20
 *   minutes, one in four a squeeze upwards) that each recover 60 % with a 30-minute time constant,
 *   the alts moving up to 1.8× as far as BTC;
 * - `liquidations` fills: 85 % inside the crashes (concentrated in their middle, 90 % on the losing
 *   side), 15 % spread over the period; Hyperliquid 60 % (millisecond times), dYdX 25 %, GMX v2 15 %
 *   (block seconds); sizes log-normal (median about $1,100, a heavy tail); 300,000 accounts, so
 *   accounts with several positions are liquidated more than once;
 * - ADL fills (3 % of the liquidations) on Hyperliquid and GMX late in the crashes, at a price
 *   0.2 % worse than the mark, naming a liquidated account;
 * - `oracleUpdates` oracle rounds: Chainlink and GMX v2 oracles of every asset, 70 % on a regular
 *   grid over the period, 30 % crowded into the crash windows (deviation-triggered rounds);
 * - one-second Hyperliquid trade bars of the five largest assets from 10 minutes before each crash
 *   to 15 minutes after it (volume thinning as the price moves).
 *
 * Pseudo-random draws are a hash of the row number (`bench_u`), so a run is reproducible.
 */
export interface AnalyzeBenchData {
  liquidations: number;
  adlEvents: number;
  oracleUpdates: number;
  tradeBars: number;
  from: Date;
  to: Date;
}

export const BENCH_START = new Date('2025-10-01T00:00:00Z');
/**
 * Four weeks with forty crashes: 1,000,000 liquidations are then about 21,000 per crash (10 October 2025 had
 * 63,637 Hyperliquid liquidation fills in 12 minutes) and 150,000 between them, about one every 16 s, so
 * that the gap clustering sees quiet time between crashes, as it does in real data.
 */
const SPAN_SECONDS = 28 * 86_400;
const INPUT_TABLES = ['liquidations', 'adl_events', 'oracle_prices', 'trade_bars'] as const;

/** Asset, start price, price decimals, beta to the crash. */
const ASSETS: readonly [string, number, number, number][] = [
  ['BTC', 118_000, 1, 1.0],
  ['ETH', 4_300, 2, 1.3],
  ['SOL', 220, 3, 1.5],
  ['HYPE', 45, 4, 1.8],
  ['XRP', 2.8, 5, 1.5],
  ['DOGE', 0.25, 6, 1.6],
  ['SUI', 3.5, 5, 1.7],
  ['LINK', 22, 4, 1.5],
  ['AVAX', 30, 4, 1.6],
  ['ARB', 0.45, 6, 1.7],
];

export async function generateAnalyzeBenchData(db: Kysely<Database>, opts: { liquidations: number; oracleUpdates: number; cascades?: number; log?: (line: string) => void }): Promise<AnalyzeBenchData> {
  const log = opts.log ?? (() => {});
  const K = opts.cascades ?? 40;
  const interval = SPAN_SECONDS / K;
  const epoch = BENCH_START.getTime() / 1000;
  const run = (text: string) => sql.raw(text).execute(db);
  const timed = async (what: string, text: string) => {
    const started = Date.now();
    await run(text);
    log(`${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  // Generation speed only (the schema is the bench's own and dropped after): the input tables' indexes
  // are dropped and rebuilt after the inserts (a sorted build, not a million random insertions);
  // `analyze` then reads exactly the migrated schema's tables and indexes. (The tables cannot skip the
  // WAL: result tables reference them.)
  const indexes: string[] = [];
  for (const table of INPUT_TABLES) {
    const { rows } = await sql<{ name: string; def: string; constraint: string | null }>`
      select i.indexname as name, i.indexdef as def, c.conname as constraint
        from pg_indexes i left join pg_constraint c on c.conname = i.indexname and c.connamespace = (select oid from pg_namespace where nspname = current_schema())
       where i.schemaname = current_schema() and i.tablename = ${table}`.execute(db);
    for (const r of rows) {
      if (r.constraint) continue; // primary keys and unique constraints stay (ON CONFLICT and identity need them)
      indexes.push(r.def);
      await run(`drop index ${r.name}`);
    }
  }

  // Draw k of row i: a hash, inlined by the planner (a plain SQL expression).
  await run(`create or replace function bench_u(i bigint, k integer) returns float8 language sql immutable as
    $$ select ((hashint8(i * 131 + k) & 2147483647)::float8 + 0.5) / 2147483648.0 $$`);
  await run(`create table bench_assets (idx integer primary key, name text, p0 float8, places integer, beta float8)`);
  await run(`insert into bench_assets values ${ASSETS.map(([a, p, d, b], i) => `(${i}, '${a}', ${p}, ${d}, ${b})`).join(', ')}`);
  // Crash c: starts `at` seconds into the period, falls for `secs`, by `depth` (× the asset's beta), down (sign 1) or up.
  await run(`create table bench_cascades as
    select c, c * ${interval} + ${interval} * (0.3 + 0.4 * bench_u(c, 901)) as at, 300 + 900 * bench_u(c, 902) as secs,
           0.05 + 0.15 * bench_u(c, 903) as depth, case when c % 4 = 3 then -1.0 else 1.0 end as sign
      from generate_series(0, ${K - 1}) c`);

  /**
   * Rows of `inner` (with `t`, seconds into the period, and `a_idx`) with their asset's columns and
   * `mk_f`, the asset's price at t: the daily swing times the crash's shape (linear fall over its
   * duration, then 60 % recovered with a 30-minute time constant).
   */
  const priced = (inner: string) => `
    select q2.*, q2.p0 * (1 + 0.02 * sin(2 * pi() * q2.t / 86400 + q2.a_idx)) * (1 - least(0.9, q2.shock)) as mk_f
      from (select q.*, a.name, a.places, a.p0,
                   a.beta * q.depth * q.sign * (case when q.x < 0 then 0 when q.x <= 1 then q.x else 0.4 + 0.6 * exp(-(q.x - 1) * q.secs / 1800) end) as shock
              from (select r.*, (r.t - k.at) / k.secs as x, k.secs, k.depth, k.sign
                      from (${inner}) r join bench_cascades k on k.c = least(${K - 1}, greatest(0, floor(r.t / ${interval})::integer))) q
              join bench_assets a on a.idx = q.a_idx) q2`;

  // Liquidations: 85 % in a crash (c = i mod K), the rest anywhere in the period.
  await timed(`liquidations: ${opts.liquidations}`, `insert into liquidations (venue, chain, chain_id, market, symbol, asset, quote, time, block_number, uid, account, side,
      size, size_usd, price, mark_price, oracle_price, collateral_usd, pnl_usd, fee_usd)
    select v.venue, v.chain, v.chain_id, v.prefix || name || v.suffix, name || '-USD', name, 'USD', to_timestamp(${epoch} + t),
           case when v.idx = 2 then 380000000 + floor((${epoch} + t) * 4)::bigint end, 'bench-liq-' || i,
           '0x' || lpad(to_hex(floor(bench_u(i, 9) * 300000)::integer), 40, '0'), side, sz, sz * px, px, mk,
           -- GMX v2 rows carry what its decoder writes: the index price picked for PnL, the collateral (2-50x
           -- leverage) and a PnL that leaves 0.5-1 % of the size, below GMX's 1 % minimum collateral factor,
           -- so that the oracle check takes the whole verdict path as on real GMX liquidations
           case when v.idx = 2 then px end,
           case when v.idx = 2 then round((sz * px * (0.02 + 0.48 * bench_u(i, 11)))::numeric, 6) end,
           case when v.idx = 2 then round((-sz * px * (0.02 + 0.48 * bench_u(i, 11) - 0.005 - 0.005 * bench_u(i, 12)))::numeric, 6) else -(sz * px) * 0.08 end,
           sz * px * 0.005
      from (
        select i, t, venue_idx, side, name, round(mk_f::numeric, places) as mk, round((usd / mk_f)::numeric, 6) as sz,
               round((mk_f * case when venue_idx = 2 then 1 when side = 'long' then 0.997 else 1.003 end)::numeric, places) as px
          from (${priced(`
            select i, a_idx, venue_idx, usd, side, case when venue_idx = 2 then floor(t0) else round(t0::numeric, 3)::float8 end as t
              from (
                select g.i,
                       case when in_cascade then k.at + k.secs * 1.2 * (bench_u(g.i, 2) + bench_u(g.i, 3)) / 2 else ${SPAN_SECONDS} * bench_u(g.i, 2) end as t0,
                       case when bench_u(g.i, 4) < 0.6 then 0 when bench_u(g.i, 4) < 0.85 then 1 else 2 end as venue_idx,
                       floor(10 * power(bench_u(g.i, 5), 1.8))::integer as a_idx,
                       least(5e6, exp(7 + 4.4 * (bench_u(g.i, 7) + bench_u(g.i, 8) + bench_u(g.i, 10) - 1.5))) as usd,
                       case when in_cascade and bench_u(g.i, 6) < 0.9 then (case when k.sign > 0 then 'long' else 'short' end)
                            when in_cascade then (case when k.sign > 0 then 'short' else 'long' end)
                            when bench_u(g.i, 6) < 0.5 then 'long' else 'short' end as side
                  from (select i, bench_u(i, 1) < 0.85 as in_cascade, (i % ${K})::integer as c from generate_series(1, ${opts.liquidations}::bigint) i) g
                  join bench_cascades k on k.c = g.c
              ) h`)}) y
      ) z
      join (values (0, 'hyperliquid', 'hyperliquid', null::integer, '', ''), (1, 'dydx-v4', 'dydx-mainnet-1', null, '', '-USD'), (2, 'gmx-v2', 'arbitrum', 42161, 'GMX:', '/USD'))
        as v(idx, venue, chain, chain_id, prefix, suffix) on v.idx = z.venue_idx`);

  // ADL fills: 3 % of the liquidations, late in the crashes, the winning side, naming a liquidated account (GMX names none).
  const adlCount = Math.round(opts.liquidations * 0.03);
  await timed(`ADL fills: ${adlCount}`, `insert into adl_events (venue, chain, chain_id, market, symbol, asset, quote, time, block_number, uid, account, counterparty, side,
      size, size_usd, price, mark_price, pnl_usd, fee_usd)
    select v.venue, v.chain, v.chain_id, v.prefix || name, name || '-USD', name, 'USD', to_timestamp(${epoch} + t),
           case when v.idx = 1 then 380000000 + floor((${epoch} + t) * 4)::bigint end, 'bench-adl-' || i,
           '0x' || lpad(to_hex(floor(bench_u(i, 19) * 300000)::integer), 40, '0'),
           case when v.idx = 1 then null else '0x' || lpad(to_hex(floor(bench_u(i, 20) * 300000)::integer), 40, '0') end,
           side, sz, sz * px, px, mk, sz * mk * 0.05, 0
      from (
        select i, t, venue_idx, side, name, round(mk_f::numeric, places) as mk, round((usd / mk_f)::numeric, 6) as sz,
               round((mk_f * case when venue_idx = 1 then 1 when side = 'short' then 1.002 else 0.998 end)::numeric, places) as px
          from (${priced(`
            select i, a_idx, venue_idx, usd, side, case when venue_idx = 1 then floor(t0) else round(t0::numeric, 3)::float8 end as t
              from (
                select i, case when bench_u(i, 14) < 0.9 then 0 else 1 end as venue_idx,
                       floor(10 * power(bench_u(i, 15), 1.8))::integer as a_idx,
                       k.at + k.secs * (0.5 + 0.6 * bench_u(i, 16)) as t0,
                       case when k.sign > 0 then 'short' else 'long' end as side,
                       least(2e6, exp(8 + 3 * (bench_u(i, 17) + bench_u(i, 18) - 1))) as usd
                  from generate_series(1, ${adlCount}::bigint) i join bench_cascades k on k.c = (i % ${K})::integer
              ) h`)}) y
      ) z
      join (values (0, 'hyperliquid', 'hyperliquid', null::integer, ''), (1, 'gmx-v2', 'arbitrum', 42161, 'GMX:')) as v(idx, venue, chain, chain_id, prefix) on v.idx = z.venue_idx`);

  // Oracle rounds of 20 feeds (Chainlink and GMX v2 × 10 assets): 70 % on a regular grid, 30 % in the crash windows.
  const perFeed = Math.floor(opts.oracleUpdates / 20);
  const grid = Math.floor(perFeed * 0.7);
  const step = SPAN_SECONDS / grid;
  await timed(`oracle rounds: ${perFeed * 20}`, `insert into oracle_prices (venue, chain, chain_id, market, symbol, asset, quote, price, price_min, price_max, price_raw, decimals, round_id,
      time, block_time, block_number, uid)
    select o.venue, 'arbitrum', 42161, o.prefix || lpad(to_hex(1000 + a_idx), 38, '0'), name || '/USD', name, 'USD',
           p, case when o.idx = 1 then p * 0.9999 end, case when o.idx = 1 then p * 1.0001 end, p * 100000000, 8,
           case when o.idx = 0 then row_number() over (partition by f order by t) end,
           to_timestamp(${epoch} + t), to_timestamp(${epoch} + t + delay), 380000000 + floor((${epoch} + t + delay) * 4)::bigint, 'bench-oracle-' || f || '-' || j
      from (
        select f, j, a_idx, o_idx, t, name, 0.25 + 1.5 * bench_u(j * 20 + f, 33) as delay,
               round((mk_f * (1 + 0.0005 * (bench_u(j * 20 + f, 34) - 0.5)))::numeric, 8) as p
          from (${priced(`
            select f, j, f % 10 as a_idx, f / 10 as o_idx,
                   round((case when j <= ${grid} then (j - 1) * ${step} + ${step} * bench_u(j * 20 + f, 31)
                               else k.at - 600 + (k.secs + 1500) * bench_u(j * 20 + f, 32) end)::numeric, 3)::float8 as t
              from generate_series(0, 19) f cross join generate_series(1, ${perFeed}::bigint) j
              join bench_cascades k on k.c = (j % ${K})::integer`)}) y
      ) z
      join (values (0, 'chainlink', '0xc1'), (1, 'gmx-v2', '0xa6')) as o(idx, venue, prefix) on o.idx = z.o_idx`);

  // One-second Hyperliquid bars of the five largest assets from 10 minutes before each crash to 15 minutes after it.
  await timed('trade bars', `insert into trade_bars (venue, chain, market, asset, quote, interval, time, trades, volume, volume_usd, buy_volume, sell_volume,
      open, high, low, close, vwap, first_trade_at, last_trade_at)
    select 'hyperliquid', 'hyperliquid', name, name, 'USD', '1s', to_timestamp(${epoch} + t), trades,
           round((usd / c)::numeric, 6), round(usd::numeric, 2), round((usd / c * 0.45)::numeric, 6), round((usd / c * 0.55)::numeric, 6),
           round(o::numeric, places), round(greatest(o, c)::numeric * 1.0002, places), round(least(o, c)::numeric * 0.9998, places), round(c::numeric, places),
           round(((o + c) / 2)::numeric, places), to_timestamp(${epoch} + t + 0.05), to_timestamp(${epoch} + t + 0.95)
      from (
        select name, places, t, mk_f as c, coalesce(lag(mk_f) over (partition by a_idx order by t), mk_f) as o,
               1 + floor(40 * bench_u(t::bigint * 10 + a_idx, 41) * thin)::integer as trades,
               5000 * (11 - a_idx) * (0.2 + bench_u(t::bigint * 10 + a_idx, 42)) * thin as usd
          from (select p.*, 1 - least(0.8, 3 * abs(shock)) as thin
                  from (${priced(`
                    select a_idx, t::float8 as t
                      from bench_cascades k cross join generate_series(0, 4) a_idx
                      cross join generate_series(floor(k.at - 600)::bigint, ceil(k.at + k.secs + 900)::bigint) t`)}) p) w
      ) b`);

  const rebuilt = Date.now();
  for (const def of indexes) await run(def);
  log(`${indexes.length} indexes rebuilt in ${((Date.now() - rebuilt) / 1000).toFixed(1)} s`);
  for (const table of INPUT_TABLES) await run(`analyze ${table}`);
  const count = async (table: string) => Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
  const span = (await sql<{ from: Date; to: Date }>`select min(time) as "from", max(time) as "to" from liquidations`.execute(db)).rows[0]!;
  return {
    liquidations: await count('liquidations'),
    adlEvents: await count('adl_events'),
    oracleUpdates: await count('oracle_prices'),
    tradeBars: await count('trade_bars'),
    from: span.from,
    to: span.to,
  };
}
