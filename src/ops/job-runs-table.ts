import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Kysely types of `job_runs` (migrations/0006-operations.ts). They live beside the scheduler rather
 * than in src/db/schema.ts: only the scheduler reads and writes the table, and analysts read it with SQL.
 */
export type JobOutcome = 'ok' | 'failed' | 'interrupted' | 'abandoned' | 'skipped';

// Type aliases, not interfaces: Kysely's withTables wants types with an implicit index signature.
export type JobRunsTable = {
  id: Generated<string>;
  job: string;
  /** The last scheduled tick the run covers. */
  tick: ColumnType<Date, Date, Date>;
  /** The first scheduled tick the run covers (= tick unless ticks came due while the job was busy). */
  first_tick: ColumnType<Date, Date, Date>;
  ticks: number;
  worker: string;
  started_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  outcome: ColumnType<JobOutcome | null, JobOutcome | null | undefined, JobOutcome | null>;
  figures: ColumnType<unknown, string | null | undefined, string | null>;
  error: ColumnType<string | null, string | null | undefined, string | null>;
};

export type OpsTables = {
  job_runs: JobRunsTable;
};

export type OpsDb = Kysely<Database & OpsTables>;

/** The store with the operations tables in its type. */
export function opsDb(db: Kysely<Database>): OpsDb {
  return db.withTables<OpsTables>();
}
