import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { runAnalyzeBench } from '../../../bench/analyze-bench.ts';
import { runEvmBench, writeResults, RESULTS_PATH } from '../../../bench/evm-bench.ts';
import { runHlImportBench } from '../../../bench/hl-import-bench.ts';
import { CliError, type CliContext } from '../context.ts';

const PARTS = ['evm', 'hl', 'analyze'] as const;

export function register(program: Command, _context: CliContext): void {
  program
    .command('bench')
    .description(
      'benchmark indexing: EVM logs on a local anvil (PGlite, and Postgres when LIQSCOPE_BENCH_DATABASE_URL or DATABASE_URL is set), ' +
        'an Oct-10-scale hour of Hyperliquid node fills imported into Postgres, and `analyze` over 1,000,000 generated liquidations ' +
        'and 1,000,000 oracle rounds on Postgres; writes bench/results.json',
    )
    .option('--only <part>', `one part: ${PARTS.join(' or ')}`)
    .option('--events <n>', 'EVM: events to emit', '200000')
    .option('--blocks <n>', 'EVM: blocks to spread them over', '20000')
    .option('--mix <mix>', 'EVM: GMX v2 logs per liquidation: realistic (oracle updates, decrease, fees, order executed) or heavy (decrease + fees only)', 'realistic')
    .option('--hl-dir <dir>', 'Hyperliquid: keep the generated hour here and reuse it on the next run')
    .option('--analyze-rows <n>', 'analyze: liquidations and oracle rounds to generate (each)', '1000000')
    .action(async (opts: { only?: string; events: string; blocks: string; mix: string; hlDir?: string; analyzeRows: string }) => {
      if (opts.only !== undefined && !(PARTS as readonly string[]).includes(opts.only)) throw new CliError(`bench: --only must be ${PARTS.join(' or ')} (got ${opts.only})`, 2);
      if (opts.mix !== 'realistic' && opts.mix !== 'heavy') throw new CliError(`bench: --mix must be realistic or heavy (got ${opts.mix})`, 2);
      const events = Number(opts.events);
      const blocks = Number(opts.blocks);
      if (!Number.isSafeInteger(events) || events < 2 || !Number.isSafeInteger(blocks) || blocks < 1) {
        throw new CliError(`bench: --events and --blocks must be positive integers (got ${opts.events}, ${opts.blocks})`, 2);
      }
      const analyzeRows = Number(opts.analyzeRows);
      if (!Number.isSafeInteger(analyzeRows) || analyzeRows < 1000) throw new CliError(`bench: --analyze-rows must be an integer of at least 1000 (got ${opts.analyzeRows})`, 2);
      const postgresUrl = process.env.LIQSCOPE_BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
      const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
      const result: Record<string, unknown> = {};
      if (opts.only === undefined || opts.only === 'evm') {
        Object.assign(result, await runEvmBench({ events, blocks, mix: opts.mix, ...(postgresUrl ? { postgresUrl } : {}), log }));
      }
      if (opts.only === undefined || opts.only === 'hl') {
        const workDir = opts.hlDir ?? mkdtempSync(join(tmpdir(), 'liqscope-hl-bench-'));
        try {
          Object.assign(result, await runHlImportBench({ workDir, ...(postgresUrl ? { postgresUrl } : {}), reuse: opts.hlDir !== undefined, log: (line) => log(`hyperliquid: ${line}`) }));
        } finally {
          if (!opts.hlDir) rmSync(workDir, { recursive: true, force: true });
        }
      }
      if (opts.only === undefined || opts.only === 'analyze') {
        Object.assign(result, await runAnalyzeBench({ ...(postgresUrl ? { postgresUrl } : {}), liquidations: analyzeRows, oracleUpdates: analyzeRows, log: (line) => log(`analyze: ${line}`) }));
      }
      writeResults(result);
      const table = new Table({ head: ['metric', 'value'] });
      for (const [key, value] of Object.entries(result)) table.push([key, value === null ? 'n/a (no Postgres configured)' : typeof value === 'object' ? JSON.stringify(value) : String(value)]);
      process.stdout.write(`${table.toString()}\nwritten to ${RESULTS_PATH}\n`);
    });
}
