import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { StoreKind } from '../db/store-kind.ts';
import type { SourceTuning } from '../indexer/build-source.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import { startHealthServer, type HealthServer } from './health-server.ts';
import type { JobKind } from './job-kind.ts';
import { scheduledJobs, type ScheduledJob } from './jobs.ts';
import { LagProbe } from './lag-probe.ts';
import { OpsMetrics } from './metrics.ts';
import { Scheduler } from './scheduler.ts';

export interface RunServiceOptions {
  db: Kysely<Database>;
  dbKind: StoreKind;
  config: LiqscopeConfig;
  origin?: string;
  protocols: readonly Protocol[];
  /** Only these jobs (by name); all the configuration asks for by default. */
  only?: readonly string[];
  /** Replaces metrics.port (the CLI's --metrics-port). */
  metricsPort?: number;
  worker?: string;
  tuning?: SourceTuning;
  /** The job kinds (tests add their own); JOB_KINDS by default. */
  kinds?: readonly JobKind[];
  /** prom-client's process metrics (CPU, memory, event loop); on by default. */
  processMetrics?: boolean;
}

export interface RunService {
  readonly worker: string;
  readonly jobs: readonly ScheduledJob[];
  readonly scheduler: Scheduler;
  readonly probe: LagProbe;
  readonly metrics: OpsMetrics;
  readonly server: HealthServer;
  /** Stops scheduling, waits for the runs to end (finishing or rolling back their batch), stops measuring and serving. */
  stop(): Promise<void>;
}

/** `host:pid`: unique among the workers of one machine and readable in the job log. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * `liqscope run` without the process around it (signals, exit codes): the scheduler, the lag probe
 * and the metrics and health endpoints, started together.
 */
export async function startRunService(options: RunServiceOptions): Promise<RunService> {
  const { config } = options;
  const worker = options.worker ?? defaultWorkerId();
  const jobs = scheduledJobs(config, { ...(options.origin ? { origin: options.origin } : {}), ...(options.only ? { only: options.only } : {}), ...(options.kinds ? { kinds: options.kinds } : {}) });
  const metrics = new OpsMetrics({ processMetrics: options.processMetrics ?? true });
  const probe = new LagProbe({
    db: options.db,
    config,
    protocols: options.protocols,
    jobs,
    metrics,
    worker,
    intervalMs: config.metrics.lagInterval * 1000,
    maxLagSeconds: config.metrics.readyMaxLagSeconds,
    ...(config.metrics.readyMaxLagBlocks !== undefined ? { maxLagBlocks: config.metrics.readyMaxLagBlocks } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  });
  let stopping = false;
  const server = await startHealthServer({
    host: config.metrics.host,
    port: options.metricsPort ?? config.metrics.port,
    metrics,
    readiness: () => probe.readiness(),
    alive: () => !stopping,
  });
  const scheduler = new Scheduler({
    db: options.db,
    dbKind: options.dbKind,
    config,
    ...(options.origin ? { origin: options.origin } : {}),
    protocols: options.protocols,
    jobs,
    metrics,
    worker,
    ...(options.tuning ? { tuning: options.tuning } : {}),
    onRunEnd: (job) => {
      if (job.source !== undefined) void probe.measure();
    },
  });
  try {
    await scheduler.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  probe.start();
  return {
    worker,
    jobs,
    scheduler,
    probe,
    metrics,
    server,
    async stop() {
      stopping = true;
      await scheduler.stop();
      await probe.stop();
      await server.close();
    },
  };
}
