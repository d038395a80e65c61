import type { Kysely } from 'kysely';
import type { LiqscopeConfig, ScheduleConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { StoreKind } from '../db/store-kind.ts';
import type { SourceTuning } from '../indexer/build-source.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import type { OpsMetrics } from './metrics.ts';
import type { TickSchedule } from './tick-schedule.ts';

/** One job a configuration asks for: `index:<source>`, `analyze`, `report`. */
export interface JobSpec {
  name: string;
  /** The source an index job indexes. */
  source?: string;
}

/** What a job run is given. */
export interface JobRunContext {
  db: Kysely<Database>;
  dbKind: StoreKind;
  config: LiqscopeConfig;
  /** Where the config came from, for error messages. */
  origin?: string;
  protocols: readonly Protocol[];
  /** Aborted on shutdown: a run finishes or rolls back its batch in flight and returns. */
  signal: AbortSignal;
  metrics: OpsMetrics;
  /** The scheduled ticks this run covers: `ticks` of them, from `firstTick` to `tick`. */
  firstTick: Date;
  tick: Date;
  ticks: number;
  /**
   * The last tick a successful run of this job covered (null: none yet). A job over periods (report)
   * works on the periods ending after it, so a failed or interrupted run's periods are covered by the
   * next successful one.
   */
  since: Date | null;
  /** The figures of that successful run (null: none): where it got to (analyze: its marks). */
  sinceFigures: Record<string, unknown> | null;
  /** The job's schedule: the periods between its ticks (report). */
  schedule: TickSchedule;
  /** Overrides of source settings (tests shorten timeouts and batches). */
  tuning?: SourceTuning;
}

/** How a run ended when it did not throw (a throw is `failed`, or `interrupted` during a shutdown). */
export interface JobResult {
  outcome: 'ok' | 'interrupted' | 'skipped';
  /** The run's counts, kept in the job log (`figures`) and its log line. */
  figures: Record<string, unknown>;
  /** One human line for the log (`1200 records, 300 rows, blocks 100–200`). */
  summary: string;
}

/**
 * A kind of job `liqscope run` can schedule. Adding one is one entry in JOB_KINDS (jobs.ts): its jobs
 * for a configuration, its default schedule, and what a run does.
 */
export interface JobKind {
  kind: string;
  /** The jobs of this kind the configuration has (one per source for index jobs). */
  jobs(config: LiqscopeConfig): JobSpec[];
  /** Its cron expression unless `schedule.jobs` names the job. */
  defaultExpression(schedule: ScheduleConfig): string;
  run(job: JobSpec, context: JobRunContext): Promise<JobResult>;
}
