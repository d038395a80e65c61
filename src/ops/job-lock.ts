import type { Kysely } from 'kysely';
import { dedicatedSession } from '../db/connect.ts';
import type { StoreKind } from '../db/store-kind.ts';
import { logger, redactText } from '../logger.ts';

/** A job's lock, held by this process until released. */
export interface JobLock {
  /** Why the lock was lost (its session ended) while held, if it was. */
  readonly lost: string | undefined;
  release(): Promise<void>;
}

/** Jobs held in this process on the embedded store (one process owns an embedded directory: embedded-owner.ts). */
const heldHere = new Set<string>();

/**
 * Takes a job's Postgres advisory lock without waiting, or returns null when another worker holds it.
 *
 * Like a source's lock (src/indexer/source-lock.ts), it lives on a session of its own, outside the pool,
 * named `liqscope job <name>` in pg_stat_activity, with idle_session_timeout off (it idles while the job
 * runs). Its key includes the schema, and differs from the source lock's: an index job holds both, the
 * job's (which ticks it runs) and the source's (which process writes the source; `liqscope index` from
 * cron takes only that one).
 *
 * Losing the session (a network cut, a server restart) loses the lock: another worker may then take
 * the job and mark this run abandoned. Nothing is corrupted by that: the data is guarded by the source's
 * own lock and by the job log's unique (job, tick) key; the loss is logged and kept in `lost`.
 * On the embedded store the lock is in-process: the directory has one owner process.
 */
export async function tryJobLock(db: Kysely<any>, kind: StoreKind, job: string): Promise<JobLock | null> {
  if (kind === 'pglite') {
    if (heldHere.has(job)) return null;
    heldHere.add(job);
    let released = false;
    return {
      lost: undefined,
      async release() {
        if (released) return;
        released = true;
        heldHere.delete(job);
      },
    };
  }
  const key = `liqscope:job:${job}`;
  const session = dedicatedSession(db, `liqscope job ${job}`);
  let lost: string | undefined;
  let released = false;
  session.on('error', (error) => {
    if (released || lost) return;
    lost = redactText(error.message);
    logger.warn({ job }, `job ${job}: lost its lock because the database session holding it ended (${lost}); another worker may take the job`);
  });
  try {
    await session.connect();
    await session.query("select set_config('idle_session_timeout', '0', false) from pg_settings where name = 'idle_session_timeout'");
    const { rows } = await session.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0)) as ok", [key]);
    if (rows[0]?.ok !== true) {
      released = true;
      await session.end().catch(() => {});
      return null;
    }
  } catch (error) {
    released = true;
    await session.end().catch(() => {});
    throw error;
  }
  return {
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      // Ending the session releases the lock too; unlocking first frees it at once for the others.
      if (!lost) await session.query("select pg_advisory_unlock(hashtextextended(current_schema() || ':' || $1, 0))", [key]).catch(() => {});
      await session.end().catch(() => {});
    },
  };
}
