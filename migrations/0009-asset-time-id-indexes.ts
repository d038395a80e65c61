import { sql, type Kysely } from 'kysely';

/**
 * The facts' `(asset, time)` indexes become `(asset, time, id)`: the key in which the oracle step walks
 * an asset's liquidations and oracle prices, a page at a time (src/analytics/oracle/store-pages.ts).
 *
 * Why: each page is "the next 5,000 rows of this asset after (time, id)". With `(asset, time)`, the
 * planner preferred the `time` index, since the facts are stored in about time order, and filtered the
 * other assets' rows out one by one: a page of the bench's smallest asset read 88,000 rows for 5,000
 * (147 ms), and the liquidation pages took 15.8 s of the analyze bench's Postgres time. Written as one
 * row comparison on `(asset, time, id)`, a page is one range of this index and nothing else can serve
 * its order: 5,000 rows read (21 ms). Queries on asset and time use the longer index as they used the
 * shorter one.
 */
const FACTS = ['liquidations', 'adl_events', 'oracle_prices', 'trades'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of FACTS) {
    await sql`drop index ${sql.id(`${table}_asset_time`)}`.execute(db);
    await sql`create index ${sql.id(`${table}_asset_time`)} on ${sql.table(table)} (asset, time, id)`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of FACTS) {
    await sql`drop index ${sql.id(`${table}_asset_time`)}`.execute(db);
    await sql`create index ${sql.id(`${table}_asset_time`)} on ${sql.table(table)} (asset, time)`.execute(db);
  }
}
