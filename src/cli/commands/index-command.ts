import type { Command } from 'commander';
import Table from 'cli-table3';
import { indexConfig, SourceLockedError } from '../../indexer/index-config.ts';
import { createProgressReporter } from '../../indexer/progress.ts';
import { logger } from '../../logger.ts';
import { CliError, type CliContext } from '../context.ts';

/** EX_TEMPFAIL: another run holds a source's lock; cron should simply try again later. */
export const EXIT_LOCKED = 75;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, context: CliContext): void {
  program
    .command('index')
    .description('index configured EVM sources up to their end or the safe head (exit 0 done, 1 failed, 75 locked by another run)')
    .option('--follow', 'keep polling for new blocks until SIGINT/SIGTERM')
    .option('--source <name>', 'only this source (repeatable)', collect)
    .action(async (opts: { follow?: boolean; source?: string[] }) => {
      const { config } = await context.loadConfig();
      if (config.sources.length === 0) throw new CliError('index: the config has no sources');
      const handle = await context.openDb();
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) {
          // A second signal: the user insists. Batches are transactions, so nothing half-written remains.
          process.exit(130);
        }
        logger.info(`${signal}: finishing the batch in progress, then exiting`);
        controller.abort(new Error(`interrupted by ${signal}`));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const progress = createProgressReporter({ tty: Boolean(process.stderr.isTTY) });
      try {
        const summary = await indexConfig(handle.db, config, {
          ...(opts.source ? { sources: opts.source } : {}),
          follow: opts.follow ?? false,
          signal: controller.signal,
          onProgress: (p) => progress.onProgress(p),
          dbKind: handle.kind,
        });
        progress.stop();
        const table = new Table({ head: ['source', 'from', 'to', 'events', 'rows', 'reorgs', 'getLogs', 'retries', 'seconds'] });
        for (const s of summary.sources) {
          table.push([s.sourceId, s.fromBlock, s.toBlock, s.events, s.decodedRows, s.reorgs, s.getLogsCalls, s.rpcRetries, s.seconds.toFixed(1)]);
        }
        process.stdout.write(`${table.toString()}\n`);
      } catch (error) {
        progress.stop();
        if (error instanceof SourceLockedError) throw new CliError(error.message, EXIT_LOCKED);
        throw error;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await handle.close();
      }
    });
}
