import { sql } from 'kysely';
import { redactText } from '../logger.ts';
import type { JobOutcome, OpsDb } from './job-runs-table.ts';
import type { DueTicks } from './tick-schedule.ts';

/** A job's latest finished run, for readiness and the last-success gauge. */
export interface LatestRun {
  job: string;
  outcome: JobOutcome;
  finishedAt: Date;
  error: string | null;
}

/**
 * The job log (`job_runs`) as the scheduler uses it. Every call is one statement: the caller holds the
 * job's lock where it must (claiming), and every worker reads the same rows (readiness, last success).
 */
export class JobLog {
  constructor(
    private readonly db: OpsDb,
    readonly worker: string,
  ) {}

  /** The database's clock: the one clock every worker shares, so that a tick is due at the same moment for all. */
  async now(): Promise<Date> {
    const { rows } = await sql<{ now: Date | string }>`select clock_timestamp() as now`.execute(this.db);
    return new Date(rows[0]!.now);
  }

  /** The last tick any run of the job claimed (null: the job never ran). */
  async lastClaimedTick(job: string): Promise<Date | null> {
    const row = await this.db.selectFrom('job_runs').select((eb) => eb.fn.max('tick').as('tick')).where('job', '=', job).executeTakeFirst();
    return row?.tick ? new Date(row.tick) : null;
  }

  /**
   * The job's last successful run: the last tick it covered and its figures. Analyze and report take
   * the work after it (the data after its marks, the periods after its tick).
   */
  async lastSuccess(job: string): Promise<{ tick: Date; figures: Record<string, unknown> | null } | null> {
    const row = await this.db
      .selectFrom('job_runs')
      .select(['tick', 'figures'])
      .where('job', '=', job)
      .where('outcome', '=', 'ok')
      .orderBy('tick', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    // jsonb comes back parsed from Postgres and PGlite alike; a string would be a driver without a parser.
    const figures = typeof row.figures === 'string' ? (JSON.parse(row.figures) as unknown) : row.figures;
    return { tick: new Date(row.tick), figures: figures && typeof figures === 'object' ? (figures as Record<string, unknown>) : null };
  }

  /**
   * Marks the job's runs still open as abandoned. Called under the job's lock: a run still open then has
   * no worker (a run holds the lock until it is written off), so its worker died or lost its session.
   */
  async markAbandoned(job: string): Promise<{ worker: string; tick: Date }[]> {
    const rows = await this.db
      .updateTable('job_runs')
      .set({
        outcome: 'abandoned',
        finished_at: sql<Date>`clock_timestamp()`,
        error: sql<string>`'worker ' || worker || ' stopped during the run (killed, or its database session ended); the next run covers its work'`,
      })
      .where('job', '=', job)
      .where('outcome', 'is', null)
      .returning(['worker', 'tick'])
      .execute();
    return rows.map((r) => ({ worker: r.worker, tick: new Date(r.tick) }));
  }

  /** Claims the due ticks for one run; null when (job, last tick) was claimed already (the unique key). */
  async claim(job: string, due: DueTicks): Promise<string | null> {
    const row = await this.db
      .insertInto('job_runs')
      .values({ job, tick: due.last, first_tick: due.first, ticks: due.count, worker: this.worker, started_at: sql<Date>`clock_timestamp()` })
      .onConflict((oc) => oc.columns(['job', 'tick']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row ? String(row.id) : null;
  }

  /**
   * Writes a run's outcome. False when the run was written off meanwhile (this worker lost the job's
   * lock and another marked the run abandoned): the row keeps that verdict.
   */
  async finish(id: string, outcome: JobOutcome, figures: unknown, error: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('job_runs')
      .set({
        outcome,
        finished_at: sql<Date>`clock_timestamp()`,
        figures: figures === undefined ? null : JSON.stringify(figures, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
        error: error === null ? null : redactText(error),
      })
      .where('id', '=', id)
      .where('outcome', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Each job's latest verdict: its latest run that succeeded, failed or was abandoned. Skipped runs
   * (another process did the work) and interrupted ones (a shutdown) say nothing about the job.
   */
  async latestRuns(jobs: readonly string[]): Promise<Map<string, LatestRun>> {
    if (jobs.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('job_runs')
      .distinctOn('job')
      .select(['job', 'outcome', 'finished_at', 'error'])
      .where('job', 'in', jobs)
      .where('finished_at', 'is not', null)
      .where('outcome', 'in', ['ok', 'failed', 'abandoned'])
      .orderBy('job')
      .orderBy('finished_at', 'desc')
      .execute();
    return new Map(rows.map((r) => [r.job, { job: r.job, outcome: r.outcome!, finishedAt: new Date(r.finished_at!), error: r.error }]));
  }

  /** Each job's last successful run's end. */
  async lastSuccesses(jobs: readonly string[]): Promise<Map<string, Date>> {
    if (jobs.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('job_runs')
      .select(['job', (eb) => eb.fn.max('finished_at').as('finished')])
      .where('job', 'in', jobs)
      .where('outcome', '=', 'ok')
      .groupBy('job')
      .execute();
    return new Map(rows.filter((r) => r.finished).map((r) => [r.job, new Date(r.finished!)]));
  }
}
