import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { buildSource, type SourceTuning } from '../indexer/build-source.ts';
import { readCursors } from '../indexer/cursors.ts';
import { planSources } from '../indexer/plan-sources.ts';
import { logger, redactText } from '../logger.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import type { Source, SourceLag } from '../pipeline/source.ts';
import { JobLog, type LatestRun } from './job-log.ts';
import { opsDb } from './job-runs-table.ts';
import type { ScheduledJob } from './jobs.ts';
import type { OpsMetrics } from './metrics.ts';

/** What /readyz says, and why. */
export interface Readiness {
  ready: boolean;
  /** Why not, one line each (`source pings: 120 blocks behind its chain's safe head (readyMaxLagBlocks 100)`). */
  reasons: string[];
  /** When the state was last measured (null: not yet). */
  measuredAt: string | null;
  sources: Record<string, SourceState>;
}

export interface SourceState {
  kind: string;
  /** See SourceLag.seconds; for sources that cannot measure their lag, seconds since their last successful run. */
  lagSeconds: number | null;
  /** EVM: blocks behind; files: bytes not read. */
  behind: string | null;
  unit: string | null;
  /** The index job's latest verdict (any worker). */
  lastRun: { outcome: string; finishedAt: string; error: string | null } | null;
  /** The measurement itself failed (RPC down, files missing): the lag is unknown. */
  error: string | null;
}

export interface LagProbeOptions {
  db: Kysely<Database>;
  config: LiqscopeConfig;
  protocols: readonly Protocol[];
  jobs: readonly ScheduledJob[];
  metrics: OpsMetrics;
  worker: string;
  intervalMs: number;
  maxLagSeconds: number;
  maxLagBlocks?: number;
  tuning?: SourceTuning;
}

interface Probed {
  job: ScheduledJob;
  source: Source<unknown>;
  kind: string;
}

/**
 * Measures every scheduled source's lag every `intervalMs` (and after each run), from the shared store
 * (its committed cursors, the job log) and the data's head (the chain's safe head, the files on disk),
 * and keeps the verdict /readyz gives: ready unless a source lags past a threshold, its lag cannot be
 * measured, or its index job's last run failed (or was abandoned by a worker that died).
 *
 * Measured from the shared state rather than from this worker's own runs, so every worker tells the
 * same: a source whose job runs elsewhere, or is stuck, still shows its lag growing while the chain
 * moves on. Other jobs' failures show in the metrics (liqscope_job_failures_total), not in readiness.
 */
export class LagProbe {
  private readonly probed: Probed[];
  private readonly log: JobLog;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | null = null;
  private again = false;
  private state: Readiness = { ready: false, reasons: ['not measured yet'], measuredAt: null, sources: {} };
  private readonly startedAt = Date.now();

  constructor(private readonly options: LagProbeOptions) {
    this.log = new JobLog(opsDb(options.db), options.worker);
    const indexJobs = options.jobs.filter((j) => j.source !== undefined);
    const plans = planSources(options.config, options.protocols, { sources: indexJobs.map((j) => j.source!) });
    this.probed = plans.map((plan) => ({
      job: indexJobs.find((j) => j.source === plan.info.id)!,
      kind: plan.info.kind,
      source: buildSource(plan, options.config, { db: options.db, signal: this.controller.signal, ...options.tuning }),
    }));
  }

  start(): void {
    void this.measure();
    this.timer = setInterval(() => void this.measure(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.controller.abort(new Error('shutting down'));
    await this.round?.catch(() => {});
  }

  readiness(): Readiness {
    return this.state;
  }

  /** One measurement round; a call during a round asks for one more after it (a run just ended). */
  measure(): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.round = (async () => {
      do {
        this.again = false;
        await this.measureOnce();
      } while (this.again && !this.controller.signal.aborted);
    })().finally(() => (this.round = null));
    return this.round;
  }

  private async measureOnce(): Promise<void> {
    const { metrics, maxLagSeconds, maxLagBlocks } = this.options;
    const reasons: string[] = [];
    const sources: Record<string, SourceState> = {};
    try {
      const jobNames = this.options.jobs.map((j) => j.name);
      const [latest, successes] = await Promise.all([this.log.latestRuns(jobNames), this.log.lastSuccesses(jobNames)]);
      for (const [job, at] of successes) metrics.setJobLastSuccess(job, at);
      await Promise.all(
        this.probed.map(async ({ job, source, kind }) => {
          const name = job.source!;
          const lastSuccess = successes.get(job.name);
          if (lastSuccess) metrics.setSourceLastSuccess(name, lastSuccess);
          const lastRun = latest.get(job.name);
          const state: SourceState = { kind, lagSeconds: null, behind: null, unit: null, lastRun: lastRun ? describeRun(lastRun) : null, error: null };
          sources[name] = state;
          let lag: SourceLag | null = null;
          try {
            if (source.lag) {
              lag = await source.lag(await readCursors(this.options.db, name), this.controller.signal);
              state.lagSeconds = lag.seconds;
              state.behind = lag.behind.toString();
              state.unit = lag.unit;
            } else {
              // No head to compare with (an HTTP API): how long since the source was last caught up.
              state.lagSeconds = ((Date.now() - (lastSuccess?.getTime() ?? this.startedAt)) / 1000);
            }
          } catch (error) {
            if (this.controller.signal.aborted) return;
            state.error = redactText((error as Error).message);
            reasons.push(`source ${name}: its lag could not be measured: ${state.error}`);
          }
          metrics.setLag(name, lag, state.lagSeconds);
          if (state.lagSeconds !== null && state.lagSeconds > maxLagSeconds) {
            reasons.push(`source ${name}: its oldest data not indexed is ${Math.round(state.lagSeconds)} s old (metrics.readyMaxLagSeconds ${maxLagSeconds})`);
          }
          if (lag?.unit === 'blocks' && maxLagBlocks !== undefined && lag.behind > BigInt(maxLagBlocks)) {
            reasons.push(`source ${name}: ${lag.behind} blocks behind its chain's safe head (metrics.readyMaxLagBlocks ${maxLagBlocks})`);
          }
          if (lastRun && lastRun.outcome !== 'ok') {
            reasons.push(`source ${name}: the last run of ${job.name} ${lastRun.outcome === 'failed' ? 'failed' : 'was abandoned'} at ${lastRun.finishedAt.toISOString()}${lastRun.error ? `: ${lastRun.error}` : ''}`);
          }
        }),
      );
    } catch (error) {
      if (this.controller.signal.aborted) return;
      reasons.push(`the database could not be read: ${redactText((error as Error).message)}`);
      logger.warn({ err: error }, 'lag probe: the database could not be read');
    }
    this.state = { ready: reasons.length === 0, reasons, measuredAt: new Date().toISOString(), sources };
    metrics.setReady(this.state.ready);
  }
}

function describeRun(run: LatestRun): SourceState['lastRun'] {
  return { outcome: run.outcome, finishedAt: run.finishedAt.toISOString(), error: run.error };
}
