import type { Command } from 'commander';
import Table from 'cli-table3';
import { redecode } from '../../indexer/redecode.ts';
import { CliError, type CliContext } from '../context.ts';
import { checkSources } from '../check-sources.ts';
import { PROTOCOLS } from '../protocols.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, context: CliContext): void {
  program
    .command('redecode')
    .description("re-derive a source's rows from stored raw logs with the current decoder (no RPC)")
    .option('--source <name>', 'only this source (repeatable)', collect)
    .action(async (opts: { source?: string[] }) => {
      const { config, path } = await context.loadConfig();
      if (config.sources.length === 0) throw new CliError('redecode: the config has no sources');
      checkSources('redecode', config, path, opts.source);
      const handle = await context.openDb();
      try {
        const summaries = await redecode(handle.db, config, { protocols: PROTOCOLS, ...(path ? { origin: path } : {}), ...(opts.source ? { sources: opts.source } : {}) });
        const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
        const table = new Table({ head: ['source', 'raw logs', 'rows'], ...style });
        for (const s of summaries) table.push([s.sourceId, s.logs, s.rows]);
        process.stdout.write(`${table.toString()}\n`);
      } finally {
        await handle.close();
      }
    });
}
