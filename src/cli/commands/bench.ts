import type { Command } from 'commander';
import Table from 'cli-table3';
import { runEvmBench, writeResults, RESULTS_PATH } from '../../../bench/evm-bench.ts';
import { CliError, type CliContext } from '../context.ts';

export function register(program: Command, _context: CliContext): void {
  program
    .command('bench')
    .description('benchmark the EVM indexer on a local anvil (PGlite, and Postgres when LIQSCOPE_BENCH_DATABASE_URL or DATABASE_URL is set); writes bench/results.json')
    .option('--events <n>', 'events to emit', '200000')
    .option('--blocks <n>', 'blocks to spread them over', '20000')
    .option('--mix <mix>', 'GMX v2 logs per liquidation: realistic (oracle updates, decrease, fees, order executed) or heavy (decrease + fees only)', 'realistic')
    .action(async (opts: { events: string; blocks: string; mix: string }) => {
      if (opts.mix !== 'realistic' && opts.mix !== 'heavy') throw new CliError(`bench: --mix must be realistic or heavy (got ${opts.mix})`, 2);
      const events = Number(opts.events);
      const blocks = Number(opts.blocks);
      if (!Number.isSafeInteger(events) || events < 2 || !Number.isSafeInteger(blocks) || blocks < 1) {
        throw new Error(`bench: --events and --blocks must be positive integers (got ${opts.events}, ${opts.blocks})`);
      }
      const postgresUrl = process.env.LIQSCOPE_BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
      const result = await runEvmBench({
        events,
        blocks,
        mix: opts.mix,
        ...(postgresUrl ? { postgresUrl } : {}),
        log: (line) => process.stderr.write(`bench: ${line}\n`),
      });
      writeResults(result);
      const table = new Table({ head: ['metric', 'value'] });
      for (const [key, value] of Object.entries(result)) table.push([key, value === null ? 'n/a (no Postgres configured)' : typeof value === 'object' ? JSON.stringify(value) : String(value)]);
      process.stdout.write(`${table.toString()}\nwritten to ${RESULTS_PATH}\n`);
    });
}
