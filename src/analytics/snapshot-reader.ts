import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { storeKind } from '../db/store-kind.ts';

/**
 * Runs `work` with a second connection that reads the canonical tables as the run's transaction saw
 * them when this was called (its snapshot exported and imported into a read-only REPEATABLE READ
 * transaction), on Postgres; on PGlite, which has one session (embedded, or served by `db serve`),
 * `work` gets none and reads through the transaction.
 *
 * Why: the oracle step walks a million rows while it writes a check per liquidation. On the run's one
 * connection each page read queues behind the write in flight, so Node and Postgres mostly take turns;
 * with the reads on their own connection (and server process) the three work at once.
 */
export async function withSnapshotReader<T>(db: Kysely<Database>, trx: Transaction<Database>, work: (reader: Kysely<Database> | undefined) => Promise<T>): Promise<T> {
  if (storeKind(trx) !== 'postgres') return work(undefined);
  // An embedded database served by `liqscope db serve` speaks the Postgres protocol but is one session
  // behind a multiplexer that holds every other connection's statements until the open transaction ends:
  // a second connection would wait for the run, and the run for it. Its version() names PGlite.
  const { rows } = await sql<{ snapshot: string | null }>`
    select case when position('PGlite' in version()) = 0 then pg_export_snapshot() end as snapshot`.execute(trx);
  const snapshot = rows[0]!.snapshot;
  if (snapshot === null) return work(undefined);
  return db.connection().execute(async (reader) => {
    await sql`begin isolation level repeatable read read only`.execute(reader);
    try {
      await sql`set transaction snapshot ${sql.lit(snapshot)}`.execute(reader);
      // the run's transaction's planner setting (analyze.ts): thousands of small indexed reads
      await sql`set local max_parallel_workers_per_gather = 0`.execute(reader);
      return await work(reader);
    } finally {
      await sql`rollback`.execute(reader).catch(() => {});
    }
  });
}
