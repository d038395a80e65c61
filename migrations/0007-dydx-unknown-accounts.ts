import { sql, type Kysely } from 'kysely';

/**
 * `account` may be NULL on liquidations and ADL events: dYdX's trades endpoint shows every
 * liquidation and deleveraging of a market (venue-wide) but names no subaccount; a fill of the
 * subaccount, when read, fills the account in (src/protocols/dydx-v4). NULL means "not named by the
 * source", as `side` does; no existing row changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table liquidations alter column account drop not null`.execute(db);
  await sql`alter table adl_events alter column account drop not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Rows without an account cannot satisfy the constraint again: they are the ones this migration allowed.
  await sql`delete from liquidations where account is null`.execute(db);
  await sql`delete from adl_events where account is null`.execute(db);
  await sql`alter table liquidations alter column account set not null`.execute(db);
  await sql`alter table adl_events alter column account set not null`.execute(db);
}
