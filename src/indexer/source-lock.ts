import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Another process is indexing this source (the CLI exits 75, EX_TEMPFAIL, so cron retries later). */
export class SourceLockedError extends Error {
  override name = 'SourceLockedError';
  constructor(readonly sourceId: string) {
    super(`source "${sourceId}" is being indexed by another process (advisory lock held)`);
  }
}

export interface SourceLock {
  release(): Promise<void>;
}

/**
 * Takes the Postgres session advisory lock of a source without waiting. The lock lives on one pooled
 * connection that is held until release (a session lock belongs to its connection). On PGlite, which
 * is single-process, there is nothing to lock. The key includes the schema: one server may hold
 * several liqscope databases (schemas), whose sources are independent.
 */
export async function acquireSourceLock(db: Kysely<Database>, kind: 'postgres' | 'pglite', sourceId: string): Promise<SourceLock> {
  if (kind === 'pglite') return { release: async () => {} };
  let signalAcquired!: (ok: boolean) => void;
  let release!: () => void;
  const acquired = new Promise<boolean>((resolve) => (signalAcquired = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const key = `liqscope:source:${sourceId}`;
  const held = db.connection().execute(async (conn) => {
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtextextended(current_schema() || ':' || ${key}, 0)) as ok`.execute(conn);
    const ok = rows[0]?.ok === true;
    signalAcquired(ok);
    if (!ok) return;
    await released;
    await sql`select pg_advisory_unlock(hashtextextended(current_schema() || ':' || ${key}, 0))`.execute(conn);
  });
  const ok = await Promise.race([acquired, held.then(() => false)]);
  if (!ok) throw new SourceLockedError(sourceId);
  return {
    async release() {
      release();
      await held.catch(() => {});
    },
  };
}
