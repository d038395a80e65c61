import { sql, type Kysely } from 'kysely';

/**
 * Operations (issue 16): the job log of `liqscope run`, one row per job run.
 *
 * Scheduled ticks are claimed here. Every worker wakes at a job's tick and tries to take the job's
 * advisory lock; the holder reads the last tick claimed (max(tick) of the job) and claims, in one row,
 * every scheduled tick after it that is due: usually one, several when ticks came due while the job was
 * running (the holder runs them as one run) or while no worker was up. So every scheduled tick is
 * covered by exactly one row: `first_tick` … `tick`, `ticks` of them (docs/operations.md, "Many
 * workers"). The unique (job, tick) key is the last guard against a tick claimed twice.
 *
 * - `outcome` is NULL while the run is going; then `ok`, `failed`, `interrupted` (a shutdown stopped
 *   it: what it committed stays), `abandoned` (its worker died: the next worker to take the job's lock
 *   marks it) or `skipped` (the source was held by a process outside the scheduler, e.g. a manual
 *   `liqscope index`, which did the work).
 * - `figures` are the run's counts (records, rows, batches, positions, requests, errors by kind);
 *   `error` is the failure's message, with secrets redacted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table job_runs (
    id bigserial primary key,
    job text not null,
    tick timestamptz not null,
    first_tick timestamptz not null,
    ticks integer not null check (ticks >= 1),
    worker text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    outcome text check (outcome in ('ok', 'failed', 'interrupted', 'abandoned', 'skipped')),
    figures jsonb,
    error text,
    unique (job, tick),
    check (first_tick <= tick)
  )`.execute(db);
  // The scheduler's questions: the last tick claimed and the last outcome of a job.
  await sql`create index job_runs_job_finished on job_runs (job, finished_at desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table job_runs`.execute(db);
}
