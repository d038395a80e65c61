import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { Database } from '../db/schema.ts';
import { dedicatedSession } from '../db/connect.ts';
import { logger, redactText } from '../logger.ts';

/** Another process is indexing this source (the CLI exits 75, EX_TEMPFAIL, so cron retries later). */
export class SourceLockedError extends Error {
  override name = 'SourceLockedError';
  constructor(readonly sourceId: string) {
    super(`source "${sourceId}" is being indexed by another process (advisory lock held)`);
  }
}

/**
 * The session that held a source's lock ended (pg_terminate_backend, a server restart, a network cut),
 * and the lock with it: another process may be indexing the source now. The run stops before it
 * commits another batch (the CLI exits 1; what was committed stays, and the next run resumes).
 */
export class SourceLockLostError extends Error {
  override name = 'SourceLockLostError';
  constructor(
    readonly sourceId: string,
    readonly reason: string,
  ) {
    super(
      `source "${sourceId}": lost its lock because the database session holding it ended (${reason}); ` +
        'stopped before writing another batch. What was committed stays; run again to resume from the cursor',
    );
  }
}

export interface SourceLock {
  /**
   * `db` as the source's run must use it: once the lock is lost, every query through it fails with
   * SourceLockLostError, so no batch that was still being written commits after the loss is known.
   */
  guard<DB>(db: Kysely<DB>): Kysely<DB>;
  /** Why the lock was lost, once it is. */
  readonly lost: SourceLockLostError | undefined;
  release(): Promise<void>;
}

export interface SourceLockOptions {
  /**
   * How often the lock's session is asked a trivial query; one left unanswered for a whole interval
   * counts as lost (a silent network cut shows no error for hours). Default 30 s.
   */
  heartbeatMs?: number;
}

/**
 * Takes the Postgres session advisory lock of a source without waiting. The lock lives on a session of
 * its own, outside the pool, for the whole run:
 * - the server must not end it for idling (it idles by design): idle_session_timeout is turned off for
 *   that session alone, and a heartbeat keeps proxies and NAT from dropping it;
 * - if it ends all the same, the loss is seen at once (the session's 'error' event; before issue 10 an
 *   unhandled one, which crashed the process), and guard() stops the run's writes.
 * Losing the session loses the lock, and another process may have taken it at once, so the run does
 * not try to take it back: it stops, and the next run starts from the cursor with a fresh lock.
 * On PGlite there is nothing to lock: the embedded directory has one owner process (embedded-owner.ts).
 * The key includes the schema: one server may hold several liqscope databases (schemas).
 */
export async function acquireSourceLock(db: Kysely<Database>, kind: 'postgres' | 'pglite', sourceId: string, options: SourceLockOptions = {}): Promise<SourceLock> {
  if (kind === 'pglite') return { guard: (d) => d, lost: undefined, release: async () => {} };
  const key = `liqscope:source:${sourceId}`;
  const session = dedicatedSession(db, `liqscope lock ${sourceId}`);
  let lost: SourceLockLostError | undefined;
  let released = false;
  let heartbeat: NodeJS.Timeout | undefined;
  const lose = (reason: string) => {
    if (lost || released) return;
    lost = new SourceLockLostError(sourceId, redactText(reason));
    clearInterval(heartbeat);
    logger.warn({ source: sourceId }, lost.message);
    session.end().catch(() => {});
  };
  session.on('error', (error) => lose(error.message));
  session.on('end', () => lose('the connection closed'));
  try {
    await session.connect();
    await session.query("select set_config('idle_session_timeout', '0', false) from pg_settings where name = 'idle_session_timeout'");
    const { rows } = await session.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0)) as ok", [key]);
    if (rows[0]?.ok !== true) throw new SourceLockedError(sourceId);
  } catch (error) {
    released = true;
    await session.end().catch(() => {});
    throw error;
  }

  let answered = true;
  heartbeat = setInterval(() => {
    if (!answered) return lose(`it did not answer for ${options.heartbeatMs ?? 30_000} ms`);
    answered = false;
    session.query('select 1').then(
      () => (answered = true),
      (error: Error) => lose(error.message),
    );
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const plugin = new LockGuard(() => {
    if (lost) throw lost;
  });
  return {
    guard: (d) => d.withPlugin(plugin),
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (!lost) await session.query("select pg_advisory_unlock(hashtextextended(current_schema() || ':' || $1, 0))", [key]).catch(() => {});
      await session.end().catch(() => {});
    },
  };
}

/** Fails every query, before it is sent and when its result comes back, once `check` throws. */
class LockGuard implements KyselyPlugin {
  constructor(private readonly check: () => void) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.check();
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.check();
    return args.result;
  }
}
