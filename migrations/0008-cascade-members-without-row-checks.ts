import { sql, type Kysely } from 'kysely';

/**
 * `cascade_members` and `cascade_adl_members` lose their foreign key to `cascades`, and a statement
 * trigger on `cascades` takes over its ON DELETE CASCADE: deleting cascades (a re-run of a range, an
 * analyst's or a retention job's delete) still deletes their members.
 *
 * Why: a foreign key checks every inserted row with its own lookup and row lock on the referenced
 * cascade. On the analyze bench (853,199 members of 382 cascades) that check took 3.4 s of the
 * members' 5.7 s insert (measured in psql: the same rows into a copy of the table with and without the
 * key). The members are written only by `analyze`, from the cascades it has just inserted in the same
 * statement sequence and transaction, so the key guarded nothing the writer does not already ensure.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table cascade_members drop constraint cascade_members_cascade_id_fkey`.execute(db);
  await sql`alter table cascade_adl_members drop constraint cascade_adl_members_cascade_id_fkey`.execute(db);
  await sql`create function cascades_delete_members() returns trigger language plpgsql as $$
    begin
      delete from cascade_members m using deleted d where m.cascade_id = d.cascade_id;
      delete from cascade_adl_members m using deleted d where m.cascade_id = d.cascade_id;
      return null;
    end $$`.execute(db);
  await sql`create trigger cascades_delete_members after delete on cascades
    referencing old table as deleted for each statement execute function cascades_delete_members()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger cascades_delete_members on cascades`.execute(db);
  await sql`drop function cascades_delete_members()`.execute(db);
  // Members whose cascade is gone cannot satisfy the key again.
  await sql`delete from cascade_members m where not exists (select 1 from cascades c where c.cascade_id = m.cascade_id)`.execute(db);
  await sql`delete from cascade_adl_members m where not exists (select 1 from cascades c where c.cascade_id = m.cascade_id)`.execute(db);
  await sql`alter table cascade_members add foreign key (cascade_id) references cascades (cascade_id) on delete cascade`.execute(db);
  await sql`alter table cascade_adl_members add foreign key (cascade_id) references cascades (cascade_id) on delete cascade`.execute(db);
}
