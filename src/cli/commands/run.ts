import type { Command } from 'commander';
import { EmbeddedDirectoryBusyError } from '../../db/embedded-owner.ts';
import { logger } from '../../logger.ts';
import { HealthServerError } from '../../ops/health-server.ts';
import { scheduledJobs, UnknownJobError } from '../../ops/jobs.ts';
import { defaultWorkerId, startRunService, type RunService } from '../../ops/run-service.ts';
import { checkSources } from '../check-sources.ts';
import { CliError, type CliContext } from '../context.ts';
import { PROTOCOLS } from '../protocols.ts';
import { EXIT_LOCKED } from '../run-index.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Exit code of a second signal during a shutdown (128 + SIGINT, as shells report an interrupted command). */
const EXIT_INTERRUPTED = 130;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`run --metrics-port: "${value}" is not a port (0–65535; 0 picks a free one)`, 2);
  return port;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run the configured jobs on their cron schedules until SIGTERM/SIGINT, alongside other workers on the same Postgres; metrics and health on metrics.port')
    .option('--job <name>', 'only this job (repeatable): index:<source>, analyze, report', collect)
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz (overrides metrics.port; 0: any free port)')
    .option('--worker <id>', 'this worker\'s name in the job log (default: host:pid)')
    .action(async (opts: { job?: string[]; metricsPort?: string; worker?: string }) => {
      const { config, path } = await context.loadConfig();
      const origin = path ?? '(defaults)';
      checkSources('run', config, path, undefined);
      let jobs;
      try {
        jobs = scheduledJobs(config, { origin, ...(opts.job ? { only: opts.job } : {}) });
      } catch (error) {
        if (error instanceof UnknownJobError) throw new CliError(`run --job: ${error.message}`, 2);
        throw error;
      }
      if (jobs.length === 0) throw new CliError('run: no job to run (every job is set to false in schedule.jobs)');
      const metricsPort = opts.metricsPort !== undefined ? parsePort(opts.metricsPort) : undefined;
      await runWorker(context, { origin, ...(opts.job ? { only: opts.job } : {}), ...(metricsPort !== undefined ? { metricsPort } : {}), worker: opts.worker ?? defaultWorkerId() });
    });
}

/**
 * Runs the scheduler until a signal. The first SIGTERM or SIGINT stops scheduling and aborts the runs:
 * each finishes or rolls back its batch in flight and releases its locks, and the process exits 0, at
 * the latest after schedule.shutdownTimeoutSeconds (a batch then still uncommitted is rolled back by the
 * server when the connection closes: nothing half-written remains). A second signal exits at once (130).
 */
async function runWorker(context: CliContext, opts: { origin: string; only?: string[]; metricsPort?: number; worker: string }): Promise<void> {
  const { config } = await context.loadConfig();
  let handle;
  try {
    handle = await context.openDb();
  } catch (error) {
    if (error instanceof EmbeddedDirectoryBusyError) {
      // The general advice ("wait for it to finish") does not fit a process that never finishes.
      throw new CliError(
        `run: ${error.message.split('; an embedded database')[0]}. On the embedded database liqscope run is one process: stop the other one, or run several workers against a Postgres server (database.url; docs/operations.md, "Many workers")`,
        EXIT_LOCKED,
      );
    }
    throw error;
  }
  let service: RunService | undefined;
  let shutdown: Promise<void> | undefined;
  let stopped!: () => void;
  const untilStopped = new Promise<void>((resolve) => (stopped = resolve));
  const timeoutMs = config.schedule.shutdownTimeoutSeconds * 1000;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown) {
      logger.warn(`${signal} again: exiting at once (batches are transactions: an uncommitted one is rolled back)`);
      process.exit(EXIT_INTERRUPTED);
    }
    const running = service?.scheduler.running() ?? [];
    logger.info({ signal, running }, `${signal}: stopping; ${running.length > 0 ? `finishing the batch in flight of ${running.join(', ')}` : 'no job running'} (at most ${config.schedule.shutdownTimeoutSeconds} s)`);
    const deadline = setTimeout(() => {
      logger.warn({ running: service?.scheduler.running() ?? [] }, `shutdown took longer than schedule.shutdownTimeoutSeconds (${config.schedule.shutdownTimeoutSeconds} s): exiting; what was not committed is rolled back`);
      process.exit(0);
    }, timeoutMs);
    deadline.unref();
    shutdown = (async () => {
      await service?.stop();
      stopped();
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      service = await startRunService({
        db: handle.db,
        dbKind: handle.kind,
        config,
        origin: opts.origin,
        protocols: PROTOCOLS,
        worker: opts.worker,
        ...(opts.only ? { only: opts.only } : {}),
        ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
      });
    } catch (error) {
      if (error instanceof HealthServerError) throw new CliError(`run: ${error.message}`);
      throw error;
    }
    logger.info(
      { worker: service.worker, jobs: service.jobs.map((j) => ({ job: j.name, schedule: j.schedule.expression })), metrics: `http://${service.server.address}/metrics`, store: handle.location },
      `liqscope run: worker ${service.worker}, ${service.jobs.length} job${service.jobs.length === 1 ? '' : 's'} (${service.jobs.map((j) => `${j.name} "${j.schedule.expression}"`).join(', ')}); metrics and health on http://${service.server.address}`,
    );
    // A signal that came while starting: stop now.
    if (shutdown) await service.stop();
    else await untilStopped;
    logger.info({ worker: service.worker }, 'liqscope run: stopped');
  } finally {
    // The signal handlers stay until the process exits: a second signal while closing still exits 130.
    await handle.close();
  }
}
