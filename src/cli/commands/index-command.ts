import type { Command } from 'commander';
import { checkSources } from '../check-sources.ts';
import { CliError, type CliContext } from '../context.ts';
import { runIndexing } from '../run-index.ts';

export { EXIT_LOCKED } from '../run-index.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, context: CliContext): void {
  program
    .command('index')
    .description('index configured sources (chain logs, files) up to their end or the safe head (exit 0 done, 1 failed, 75 locked by another run)')
    .option('--follow', 'keep polling for new data until SIGINT/SIGTERM')
    .option('--source <name>', 'only this source (repeatable)', collect)
    .action(async (opts: { follow?: boolean; source?: string[] }) => {
      const { config, path } = await context.loadConfig();
      if (config.sources.length === 0) throw new CliError('index: the config has no sources');
      // Every config mistake (unknown protocol, bad options, unknown --source) before the database is
      // opened, migrated or written.
      checkSources('index', config, path, opts.source);
      await runIndexing(context, config, { ...(opts.source ? { sources: opts.source } : {}), origin: path, follow: opts.follow ?? false });
    });
}
