import { sql, type Kysely } from 'kysely';
import { INPUT_TABLES, type InputTable } from '../analytics/scope.ts';
import type { Database } from '../db/schema.ts';
import type { StoreKind } from '../db/store-kind.ts';

/**
 * The analysis inputs whose new rows the analyze job looks for, by their identity column `id`.
 * trade_bars has none (a bar is merged into as trades arrive): bars are the context of the events
 * analysed (depth, reference prices), read whenever a window of events is; bars arriving alone for a
 * span analysed already do not bring it back (docs/operations.md, "Jobs").
 */
export const TRACKED_TABLES = INPUT_TABLES.filter((t): t is Exclude<InputTable, 'trade_bars'> => t !== 'trade_bars');
export type TrackedTable = (typeof TRACKED_TABLES)[number];

/** Per tracked table, the highest id the analyze job has taken in (as text: ids are bigint). */
export type DataMarks = Partial<Record<TrackedTable, string>>;

/** A span of event time holding new rows. */
export interface NewDataSpan {
  first: Date;
  last: Date;
  rows: number;
}

/** Tries of a lock that does not wait (NOWAIT), then how long the last try may wait. */
const NOWAIT_TRIES = 20;
const NOWAIT_PAUSE_MS = 100;
const LAST_TRY_LOCK_TIMEOUT = '5s';

/**
 * The highest id of each tracked table such that no row with a smaller id can still appear.
 *
 * An id is drawn when a row is inserted, but the row is seen only when its transaction commits: a batch
 * that drew id 100 may commit after one that drew 101. Reading max(id) while it is in flight would put
 * the mark past 100 and lose that row forever. So the mark is read under a SHARE lock of the table,
 * which waits for every transaction that is writing it and lets no new one start meanwhile: at that
 * moment every id up to max(id) is committed or gone. The lock is held for one indexed max() only, and
 * taken without queueing (NOWAIT, retried), so writers never wait behind it; only if the table stays
 * busy for two seconds does the last try queue, for at most 5 s.
 * On the embedded store there is one connection, so no transaction is ever in flight beside this one.
 */
export async function readSettledMarks(db: Kysely<Database>, kind: StoreKind, signal?: AbortSignal): Promise<DataMarks> {
  const marks: DataMarks = {};
  for (const table of TRACKED_TABLES) {
    if (kind === 'pglite') {
      marks[table] = await maxId(db, table);
      continue;
    }
    let mark: string | undefined;
    for (let attempt = 0; attempt < NOWAIT_TRIES && mark === undefined; attempt++) {
      signal?.throwIfAborted();
      try {
        mark = await db.transaction().execute(async (trx) => {
          await sql`lock table ${sql.table(table)} in share mode nowait`.execute(trx);
          return maxId(trx, table);
        });
      } catch (error) {
        if ((error as { code?: string }).code !== '55P03') throw error; // lock_not_available
        await new Promise((resolve) => setTimeout(resolve, NOWAIT_PAUSE_MS));
      }
    }
    if (mark === undefined) {
      try {
        mark = await db.transaction().execute(async (trx) => {
          await sql`select set_config('lock_timeout', ${LAST_TRY_LOCK_TIMEOUT}, true)`.execute(trx);
          await sql`lock table ${sql.table(table)} in share mode`.execute(trx);
          return maxId(trx, table);
        });
      } catch (error) {
        if ((error as { code?: string }).code !== '55P03') throw error;
        throw new Error(`analyze: ${table} was being written without a pause for ${(NOWAIT_TRIES * NOWAIT_PAUSE_MS) / 1000 + 5} s, so its new rows could not be told apart from rows still being written; the next tick tries again`);
      }
    }
    marks[table] = mark;
  }
  return marks;
}

async function maxId(db: Kysely<Database>, table: TrackedTable): Promise<string> {
  const { rows } = await sql<{ id: string | null }>`select max(id)::text as id from ${sql.table(table)}`.execute(db);
  return rows[0]?.id ?? '0';
}

/**
 * The spans of event time of the rows with ids in (previous, current] of each tracked table: hours
 * holding new rows, adjacent hours joined, each span from its first new row to its last. A backfill of
 * last year and today's rows give two spans, not one covering the year between.
 */
export async function newDataSpans(db: Kysely<Database>, previous: DataMarks, current: DataMarks): Promise<NewDataSpan[]> {
  const hours = new Map<number, NewDataSpan>();
  for (const table of TRACKED_TABLES) {
    const after = previous[table] ?? '0';
    const upTo = current[table] ?? '0';
    if (BigInt(upTo) <= BigInt(after)) continue;
    const { rows } = await sql<{ hour: Date | string; first: Date | string; last: Date | string; rows: number }>`
      select date_trunc('hour', time, 'UTC') as hour, min(time) as first, max(time) as last, count(*)::integer as rows
        from ${sql.table(table)}
       where id > ${after}::bigint and id <= ${upTo}::bigint
       group by 1`.execute(db);
    for (const row of rows) {
      const hour = new Date(row.hour).getTime();
      const span = { first: new Date(row.first), last: new Date(row.last), rows: row.rows };
      const seen = hours.get(hour);
      hours.set(hour, seen ? { first: min(seen.first, span.first), last: max(seen.last, span.last), rows: seen.rows + span.rows } : span);
    }
  }
  const spans: (NewDataSpan & { hour: number })[] = [];
  for (const [hour, span] of [...hours].sort((a, b) => a[0] - b[0])) {
    const open = spans[spans.length - 1];
    if (open && hour - open.hour <= HOUR_MS) {
      open.last = max(open.last, span.last);
      open.rows += span.rows;
      open.hour = hour;
    } else spans.push({ ...span, hour });
  }
  return spans.map(({ first, last, rows }) => ({ first, last, rows }));
}

const HOUR_MS = 3_600_000;
const min = (a: Date, b: Date) => (a <= b ? a : b);
const max = (a: Date, b: Date) => (a >= b ? a : b);
