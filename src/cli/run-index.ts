import Table from 'cli-table3';
import type { LiqscopeConfig } from '../config/schema.ts';
import { indexConfig, SourceLockedError } from '../indexer/index-config.ts';
import { createProgressReporter } from '../indexer/progress.ts';
import { logger, redactText } from '../logger.ts';
import { CliError, type CliContext } from './context.ts';
import { PROTOCOLS } from './protocols.ts';

/** EX_TEMPFAIL: another run holds a source's lock; cron should simply try again later. */
export const EXIT_LOCKED = 75;

/**
 * Runs sources to their end (or, with `follow`, until SIGINT/SIGTERM) and prints the summary table:
 * what `liqscope index` and `liqscope import` share. A first signal lets the batches in flight commit
 * or roll back; a second exits at once (batches are transactions: nothing half-written remains).
 */
export async function runIndexing(
  context: CliContext,
  config: LiqscopeConfig,
  opts: { sources?: string[]; origin?: string | null; follow?: boolean },
): Promise<void> {
  const handle = await context.openDb();
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    logger.info(`${signal}: finishing the batch in progress, then exiting`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgressReporter({ tty: Boolean(process.stderr.isTTY) });
  try {
    const summary = await indexConfig(handle.db, config, {
      protocols: PROTOCOLS,
      ...(opts.sources ? { sources: opts.sources } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
      follow: opts.follow ?? false,
      signal: controller.signal,
      onProgress: (p) => progress.onProgress(p),
      dbKind: handle.kind,
    });
    progress.stop();
    // Plain text when redirected: cli-table3 colours the head with ANSI codes by default.
    const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
    const table = new Table({ head: ['source', 'unit', 'from', 'to', 'records', 'rows', 'rewinds', 'requests', 'retries', 'seconds'], ...style });
    for (const s of summary.sources) {
      table.push([s.sourceId, s.unit, s.from, s.to, s.records, s.rows, s.rewinds, s.requests, s.retries, s.seconds.toFixed(1)]);
    }
    process.stdout.write(`${redactText(table.toString())}\n`);
  } catch (error) {
    progress.stop();
    if (error instanceof SourceLockedError) throw new CliError(error.message, EXIT_LOCKED);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await handle.close();
  }
}
