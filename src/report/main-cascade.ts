import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { relationExists } from './run-figure.ts';

/**
 * The cascade a demo or a daily report leads with: of the unrestricted analysis (scope 'all'), in
 * [from, to) when given, the one with the most liquidated notional (then the earliest). Null when
 * there is none, or no analytics tables.
 */
export async function mainCascadeId(db: Kysely<Database>, range: { from?: Date; to?: Date } = {}): Promise<string | null> {
  if (!(await relationExists(db, 'cascades'))) return null;
  const before = range.to ? sql` and start_time < ${range.to}` : sql``;
  const after = range.from ? sql` and end_time >= ${range.from}` : sql``;
  const result = await sql<{ cascade_id: string }>`
    select cascade_id from cascades
    where scope = 'all'${before}${after}
    order by liquidated_usd desc nulls last, start_time, cascade_id limit 1`.execute(db);
  return result.rows[0]?.cascade_id ?? null;
}
