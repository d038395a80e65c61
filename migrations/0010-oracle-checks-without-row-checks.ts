import { sql, type Kysely } from 'kysely';

/**
 * `liquidation_oracle_checks` loses its foreign key to `liquidations`, and a statement trigger on
 * `liquidations` takes over its ON DELETE CASCADE: a rewind (a reorganised chain), a redecode or an
 * analyst's delete of liquidations still deletes their checks.
 *
 * Why: a foreign key checks every inserted row with its own lookup and a row lock (FOR KEY SHARE) on
 * the referenced liquidation, which writes to that liquidation's row. On the analyze bench's million
 * checks, inserting the same rows into the table took 22.9 s with the key and 10.6 s without it
 * (measured in psql, rows copied from a parsed table), so the key was more than half of the insert.
 *
 * What the key also guarded: a liquidation deleted by the indexer while `analyze` runs. `analyze` reads
 * a snapshot taken after it holds its advisory lock (src/analytics/analyze.ts); the trigger takes the
 * same lock, shared, before it deletes checks. So a rewind that deletes liquidations waits for a running
 * analyze to commit and then deletes the checks that run wrote; an analyze that starts during a rewind
 * waits for it and never sees the deleted rows. Without the lock, a check written for a liquidation
 * deleted mid-run would outlive it. A delete that removes no liquidation takes no lock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table liquidation_oracle_checks drop constraint liquidation_oracle_checks_liquidation_id_fkey`.execute(db);
  await sql`create function liquidations_delete_checks() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from deleted) then
        -- the key analyze locks (src/analytics/analyze.ts), shared: rewinds do not wait for each other
        perform pg_advisory_xact_lock_shared(hashtextextended(current_schema() || ':liqscope:analyze', 0));
        delete from liquidation_oracle_checks c using deleted d where c.liquidation_id = d.id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger liquidations_delete_checks after delete on liquidations
    referencing old table as deleted for each statement execute function liquidations_delete_checks()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger liquidations_delete_checks on liquidations`.execute(db);
  await sql`drop function liquidations_delete_checks()`.execute(db);
  // Checks whose liquidation is gone cannot satisfy the key again.
  await sql`delete from liquidation_oracle_checks c where not exists (select 1 from liquidations l where l.id = c.liquidation_id)`.execute(db);
  await sql`alter table liquidation_oracle_checks add foreign key (liquidation_id) references liquidations (id) on delete cascade`.execute(db);
}
