import { setMaxListeners } from 'node:events';
import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { StoreKind } from '../db/store-kind.ts';
import type { SourceTuning } from '../indexer/build-source.ts';
import { logger, redactText } from '../logger.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import type { JobResult } from './job-kind.ts';
import { tryJobLock } from './job-lock.ts';
import { JobLog } from './job-log.ts';
import { opsDb, type JobOutcome } from './job-runs-table.ts';
import type { ScheduledJob } from './jobs.ts';
import type { OpsMetrics } from './metrics.ts';
import type { DueTicks } from './tick-schedule.ts';

/** How long after a tick (on the database's clock) workers look: the offset is measured to a few ms. */
const WAKE_AFTER_TICK_MS = 25;

export interface SchedulerOptions {
  db: Kysely<Database>;
  dbKind: StoreKind;
  config: LiqscopeConfig;
  origin?: string;
  protocols: readonly Protocol[];
  jobs: readonly ScheduledJob[];
  metrics: OpsMetrics;
  /** This worker's name in the job log (`host:pid` by default). */
  worker: string;
  tuning?: SourceTuning;
  /** Called after every run (the lag probe measures again). */
  onRunEnd?: (job: ScheduledJob, outcome: JobOutcome) => void;
}

/** A finished run, as logged. */
export interface RunRecord {
  job: string;
  outcome: JobOutcome;
  due: DueTicks;
  seconds: number;
}

/**
 * Runs jobs on their cron schedules, alongside any number of other workers on the same Postgres.
 *
 * What a tick means (docs/operations.md, "Many workers"): every scheduled tick of a job is covered by
 * exactly one run, recorded in `job_runs`. At a tick every worker wakes and asks the job log whether
 * ticks are due (scheduled after the last tick claimed, at or before now on the DATABASE's clock, which
 * all workers share). If so it tries the job's advisory lock without waiting:
 * - the winner, under the lock, writes off runs left open by a dead worker (abandoned), then claims
 *   every due tick in one row and runs the job once for them, and again while ticks came due during
 *   the run (those are the ticks other workers found locked: they are run here, not lost, coalesced
 *   into the next run: one catch-up covers them all);
 * - a loser leaves the tick to the winner;
 * - after releasing the lock the winner looks once more: a tick that came due between its last look
 *   and its release was left to it by a worker that found the lock held, and must not wait a period.
 * Before a job's first run the first tick due is the first after the worker started.
 *
 * Stopping (shutdown) stops scheduling and aborts the runs' signal: an index run finishes or rolls back
 * its batch in flight and returns; its row says `interrupted`.
 */
export class Scheduler {
  private readonly log: JobLog;
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly active = new Set<string>();
  /** Database clock minus local clock (ms), measured at every look, to wake at the database's tick. */
  private offsetMs = 0;
  private startedAt: Date | null = null;
  private stopping = false;

  constructor(private readonly options: SchedulerOptions) {
    this.log = new JobLog(opsDb(options.db), options.worker);
    // Every run's requests listen to the one signal (as indexConfig's do).
    setMaxListeners(Math.max(10, options.jobs.length * 64), this.controller.signal);
  }

  get worker(): string {
    return this.options.worker;
  }

  /** Jobs running in this process now. */
  running(): string[] {
    return [...this.active];
  }

  /** Starts a timer loop per job. The first tick due is the first after now (on the database's clock). */
  async start(): Promise<void> {
    this.startedAt = await this.clock();
    for (const job of this.options.jobs) {
      this.options.metrics.declareJob(job.name, job.source);
      this.loops.push(this.loop(job));
    }
  }

  /**
   * Stops scheduling, aborts the running jobs' signal and waits for every loop to end (runs finish or
   * roll back their batch in flight and write their outcome). The caller bounds the wait.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.controller.abort(new Error('shutting down'));
    await Promise.all(this.loops);
  }

  private async loop(job: ScheduledJob): Promise<void> {
    while (!this.stopping) {
      try {
        const next = job.schedule.next(new Date(Date.now() + this.offsetMs));
        if (!next) {
          logger.warn({ job: job.name }, `job ${job.name}: its schedule has no further tick`);
          return;
        }
        // A little after the tick: a wake a few ms early by the database's clock would find it not yet
        // due, and the tick would wait a whole period to be coalesced into the next run.
        await this.sleepUntil(next.getTime() - this.offsetMs + WAKE_AFTER_TICK_MS);
        if (this.stopping) return;
        await this.attempt(job);
      } catch (error) {
        // The database unreachable, most likely: say so and try at the next tick (nothing was claimed).
        if (this.stopping) return;
        logger.warn({ job: job.name, err: error }, `job ${job.name}: could not look for due ticks: ${redactText((error as Error).message)}`);
        await this.sleepUntil(Date.now() + 1000);
      }
    }
  }

  /** Runs the job's due ticks if this worker gets its lock; see the class comment. */
  private async attempt(job: ScheduledJob): Promise<void> {
    for (;;) {
      if (this.stopping || !(await this.due(job))) return;
      const lock = await tryJobLock(this.options.db, this.options.dbKind, job.name);
      if (!lock) return; // the holder looks again after releasing it
      try {
        const abandoned = await this.log.markAbandoned(job.name);
        for (const run of abandoned) {
          logger.warn({ job: job.name, worker: run.worker, tick: run.tick.toISOString() }, `job ${job.name}: the run of tick ${run.tick.toISOString()} by worker ${run.worker} was abandoned (that worker stopped); this run covers its work`);
        }
        for (;;) {
          if (this.stopping || lock.lost) break;
          const due = await this.due(job);
          if (!due) break;
          const id = await this.log.claim(job.name, due);
          if (id === null) break; // claimed already: only possible if the lock was lost meanwhile
          await this.runClaimed(job, id, due);
        }
      } finally {
        await lock.release();
      }
    }
  }

  /** The ticks of the job due now: after the last one claimed (or this worker's start), on the database clock. */
  private async due(job: ScheduledJob): Promise<DueTicks | null> {
    const now = await this.clock();
    const after = (await this.log.lastClaimedTick(job.name)) ?? this.startedAt!;
    return job.schedule.due(after, now);
  }

  private async runClaimed(job: ScheduledJob, id: string, due: DueTicks): Promise<void> {
    const { options } = this;
    const last = await this.log.lastSuccess(job.name);
    const started = performance.now();
    this.active.add(job.name);
    // Which worker runs what now (the end line says how it went).
    logger.debug({ job: job.name, worker: options.worker, run: id, tick: due.last.toISOString(), ticks: due.count }, `job ${job.name} started${due.count > 1 ? ` (${due.count} ticks)` : ''}`);
    let result: JobResult | null = null;
    let error: string | null = null;
    let outcome: JobOutcome;
    try {
      result = await job.kind.run(job, {
        db: options.db,
        dbKind: options.dbKind,
        config: options.config,
        ...(options.origin ? { origin: options.origin } : {}),
        protocols: options.protocols,
        signal: this.controller.signal,
        metrics: options.metrics,
        firstTick: due.first,
        tick: due.last,
        ticks: due.count,
        since: last?.tick ?? null,
        sinceFigures: last?.figures ?? null,
        schedule: job.schedule,
        ...(options.tuning ? { tuning: options.tuning } : {}),
      });
      outcome = result.outcome;
    } catch (e) {
      outcome = this.controller.signal.aborted ? 'interrupted' : 'failed';
      error = redactText(e instanceof Error ? e.message : String(e));
    } finally {
      this.active.delete(job.name);
    }
    const seconds = (performance.now() - started) / 1000;
    let recorded = false;
    try {
      recorded = await this.log.finish(id, outcome, result?.figures, error);
    } catch (e) {
      // The row stays open; the next worker to take the job marks it abandoned.
      logger.warn({ job: job.name, err: e }, `job ${job.name}: could not record the run's outcome (${outcome}): ${redactText((e as Error).message)}`);
    }
    options.metrics.onJobRun(job.name, outcome, seconds, due.count);
    // One JSON line per run, with its outcome and figures (the logger redacts every line).
    const line = {
      job: job.name,
      worker: options.worker,
      tick: due.last.toISOString(),
      firstTick: due.first.toISOString(),
      ticks: due.count,
      outcome,
      seconds: Number(seconds.toFixed(3)),
      figures: result?.figures ?? null,
      error,
      ...(recorded ? {} : { recorded: false }),
    };
    const text = `job ${job.name} ${outcome} in ${seconds.toFixed(1)} s${due.count > 1 ? ` (${due.count} ticks)` : ''}: ${error ?? result?.summary ?? ''}`;
    if (outcome === 'failed') logger.error(line, text);
    else logger.info(line, text);
    options.onRunEnd?.(job, outcome);
  }

  /** The database's clock; also refreshes the offset the timers use. */
  private async clock(): Promise<Date> {
    const before = Date.now();
    const now = await this.log.now();
    const after = Date.now();
    this.offsetMs = now.getTime() - (before + after) / 2;
    return now;
  }

  /** Sleeps until a local time, or until stop(). */
  private sleepUntil(localMs: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, localMs - Date.now()));
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
