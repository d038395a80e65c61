import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { EVENTS_TABLE } from './cluster.ts';

/** The kept clusters and their cascade ids, a temp table (dropped at commit) the aggregates join on. */
export const KEPT_TABLE = 'analysis_cascade_kept';

/** Creates the kept-clusters table of this run. */
export async function writeKept(trx: Transaction<Database>, kept: readonly { cluster: number; cascadeId: string }[]): Promise<void> {
  await sql`drop table if exists ${sql.table(KEPT_TABLE)}`.execute(trx);
  await sql`create temp table ${sql.table(KEPT_TABLE)} (cluster integer primary key, cascade_id text not null) on commit drop`.execute(trx);
  if (kept.length > 0) {
    await sql`insert into ${sql.table(KEPT_TABLE)} (cluster, cascade_id) select * from unnest(${kept.map((k) => k.cluster)}::integer[], ${kept.map((k) => k.cascadeId)}::text[])`.execute(trx);
  }
}

/**
 * An account as one text key: venue and account joined by the unit separator, which no venue id or
 * account contains (a NULL account, one the source did not name, is one key per venue, as the pair
 * was). A distinct count of a row value compares field by field through the record comparator: on the
 * analyze bench's 883,199 members, counting (venue, account) pairs took 1.94 s and this key 0.98 s
 * (the cascades insert), the cross-margin count (now cluster-facts.ts) 1.28 s and 1.05 s.
 */
export const ACCOUNT_KEY = sql`(e.venue || chr(31) || coalesce(e.account, ''))`;

/** The exact (NUMERIC) figures of every kept cascade and its assets, and its members, straight from SQL. */
export async function insertAggregates(trx: Transaction<Database>, runId: string, key: string, paramsJson: string): Promise<void> {
  const ev = sql.table(EVENTS_TABLE);
  const kept = sql.table(KEPT_TABLE);
  await sql`insert into cascades (cascade_id, run_id, scope, params, start_time, end_time, duration_seconds, venues, assets,
      liquidations, liquidations_long, liquidations_short, liquidated_usd, liquidated_long_usd, liquidated_short_usd, accounts,
      cross_margin_accounts, adl_fills, adl_usd, adl_long_usd, adl_short_usd, adl_accounts, first_liquidation, first_adl,
      adl_delay_seconds, adl_share)
    select k.cascade_id, ${runId}, ${key}, ${paramsJson}::jsonb, min(e.time), max(e.time),
           extract(epoch from max(e.time) - min(e.time))::float8,
           array_agg(distinct e.venue order by e.venue),
           coalesce(array_agg(distinct e.asset order by e.asset) filter (where e.asset is not null), '{}'),
           count(*) filter (where kind = 'L'), count(*) filter (where kind = 'L' and side = 'long'), count(*) filter (where kind = 'L' and side = 'short'),
           sum(usd) filter (where kind = 'L'), coalesce(sum(usd) filter (where kind = 'L' and side = 'long'), 0), coalesce(sum(usd) filter (where kind = 'L' and side = 'short'), 0),
           count(distinct ${ACCOUNT_KEY}) filter (where kind = 'L'),
           0, -- cross_margin_accounts: from the cascade's facts, with its details (write-details.ts)
           count(*) filter (where kind = 'A'), sum(usd) filter (where kind = 'A'),
           coalesce(sum(usd) filter (where kind = 'A' and side = 'long'), 0), coalesce(sum(usd) filter (where kind = 'A' and side = 'short'), 0),
           count(distinct ${ACCOUNT_KEY}) filter (where kind = 'A'),
           min(e.time) filter (where kind = 'L'), min(e.time) filter (where kind = 'A'),
           extract(epoch from min(e.time) filter (where kind = 'A') - min(e.time) filter (where kind = 'L'))::float8,
           (sum(usd) filter (where kind = 'A') / nullif(coalesce(sum(usd) filter (where kind = 'L'), 0) + coalesce(sum(usd) filter (where kind = 'A'), 0), 0))::float8
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     group by k.cascade_id`.execute(trx);
  // Peak second and minute of liquidated notional.
  for (const unit of ['second', 'minute'] as const) {
    await sql`update cascades c set ${sql.ref(`peak_${unit}`)} = p.t, ${sql.ref(`peak_${unit}_usd`)} = p.usd
      from (select distinct on (k.cascade_id) k.cascade_id, date_trunc(${sql.lit(unit)}, e.time) as t, sum(e.usd) as usd
              from ${ev} e join ${kept} k on k.cluster = e.cluster where e.kind = 'L'
             group by k.cascade_id, date_trunc(${sql.lit(unit)}, e.time)
             order by k.cascade_id, sum(e.usd) desc nulls last, date_trunc(${sql.lit(unit)}, e.time)) p
      where c.cascade_id = p.cascade_id`.execute(trx);
  }
  await sql`insert into cascade_assets (cascade_id, asset, liquidations, liquidated_usd, liquidated_long_usd, liquidated_short_usd, adl_fills, adl_usd)
    select k.cascade_id, e.asset, count(*) filter (where kind = 'L'), sum(usd) filter (where kind = 'L'),
           coalesce(sum(usd) filter (where kind = 'L' and side = 'long'), 0), coalesce(sum(usd) filter (where kind = 'L' and side = 'short'), 0),
           count(*) filter (where kind = 'A'), sum(usd) filter (where kind = 'A')
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     where e.asset is not null
     group by k.cascade_id, e.asset`.execute(trx);
  await sql`insert into cascade_members (cascade_id, liquidation_id)
    select k.cascade_id, e.id from ${ev} e join ${kept} k on k.cluster = e.cluster where e.kind = 'L'`.execute(trx);
  await sql`insert into cascade_adl_members (cascade_id, adl_event_id)
    select k.cascade_id, e.id from ${ev} e join ${kept} k on k.cluster = e.cluster where e.kind = 'A'`.execute(trx);
}
