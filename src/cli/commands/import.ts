import type { Command } from 'commander';
import { configSchema } from '../../config/schema.ts';
import { checkSources } from '../check-sources.ts';
import { CliError, type CliContext } from '../context.ts';
import { runIndexing } from '../run-index.ts';

/** The source name `import hyperliquid-fills` uses unless told otherwise: one per archive, so its cursors persist. */
export const DEFAULT_HYPERLIQUID_SOURCE = 'hyperliquid-node-fills';

/**
 * `liqscope import hyperliquid-fills <files or directories>… [--all-fills] [--source NAME]`: a one-off
 * run of a `files` source over the node's fill files (plain or .lz4, `node_fills` or
 * `node_fills_by_block`), through the same runner and cursors as a configured source: importing the
 * same files again changes nothing, and new hourly files are picked up by the next run.
 */
export function register(program: Command, context: CliContext): void {
  const command = program.command('import').description('import venue data from files');
  command
    .command('hyperliquid-fills')
    .description('import Hyperliquid node fill files (node_fills or node_fills_by_block, plain or .lz4): liquidations, ADL, per-second trade bars')
    .argument('<paths...>', 'files or directories (walked in the archive order hourly/YYYYMMDD/H)')
    .option('--all-fills', 'also store every ordinary fill in `trades` (an hour of 10 Oct 2025 is about 3.2M rows)', false)
    .option('--source <name>', 'source name, whose cursors remember what was imported', DEFAULT_HYPERLIQUID_SOURCE)
    .option('--batch-lines <n>', 'lines per write transaction (default: about 2 MiB of lines)')
    .action(async (paths: string[], opts: { allFills: boolean; source: string; batchLines?: string }) => {
      const batchLines = opts.batchLines === undefined ? undefined : Number(opts.batchLines);
      if (batchLines !== undefined && !(Number.isSafeInteger(batchLines) && batchLines > 0)) {
        throw new CliError(`import: --batch-lines must be a positive integer, got "${opts.batchLines}"`, 2);
      }
      const { config, path } = await context.loadConfig();
      const clash = config.sources.find((s) => s.name === opts.source);
      if (clash && (clash.kind !== 'files' || clash.protocol !== 'hyperliquid')) {
        throw new CliError(`import: the config already has a ${clash.kind} source "${opts.source}" (${clash.protocol}); choose another --source`, 2);
      }
      const parsed = configSchema.safeParse({
        ...config,
        sources: [
          { name: opts.source, kind: 'files', protocol: 'hyperliquid', paths, options: opts.allFills ? { allFills: true } : {}, ...(batchLines ? { batchLines } : {}) },
        ],
      });
      if (!parsed.success) throw new CliError(`import: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 2);
      checkSources('import', parsed.data, path, [opts.source]);
      await runIndexing(context, parsed.data, { sources: [opts.source], origin: path });
    });
}
