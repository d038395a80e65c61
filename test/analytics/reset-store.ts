import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';

/**
 * Empties every table of the current schema but the migrator's, so one migrated database serves
 * several scenarios in a test file (a new PGlite costs seconds to start and migrate).
 */
export async function resetStore(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select tablename as name from pg_tables
     where schemaname = current_schema() and tablename not like 'kysely_migration%'`.execute(db);
  if (rows.length === 0) return;
  await sql`truncate table ${sql.join(rows.map((r) => sql.table(r.name)))} restart identity cascade`.execute(db);
}
