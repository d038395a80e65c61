import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';
import { DEMO_QUERIES, DemoRefusal, runDemo } from '../../sim/demo.ts';
import { ScenarioError } from '../../sim/scenario-schema.ts';
import { PROTOCOLS } from '../protocols.ts';

/** `liqscope demo [--scenario oct-10-2025] [--out DIR] [--database DIR]`: see src/sim/demo.ts. */
export function register(program: Command, context: CliContext): void {
  program
    .command('demo')
    .description('simulate a cascade on a local Arbitrum, index it into a demo database and show what to query')
    .option('-s, --scenario <file|name>', 'scenario file or shipped name', 'oct-10-2025')
    .option('-o, --out <dir>', 'where the simulated events, ground truth and config go', '.liqscope/demo/out')
    .action(async (options: { scenario: string; out: string }) => {
      // the global --database names the demo's own embedded database directory here (never a URL)
      const target = context.globals().database ?? '.liqscope/demo/db';
      if (/^[a-z]+:\/\//i.test(target)) throw new CliError('demo: --database must be a directory (the demo builds its own embedded database)', 2);
      let result;
      try {
        result = await runDemo({ protocols: PROTOCOLS, scenario: options.scenario, outDir: options.out, dbPath: target, progress: (line) => process.stderr.write(`demo: ${line}\n`) });
      } catch (error) {
        if (error instanceof ScenarioError || error instanceof DemoRefusal) throw new CliError(error.message, 2);
        throw error;
      }
      const out: string[] = [];
      out.push(`liqscope demo finished in ${result.seconds.toFixed(1)} s`);
      out.push('');
      out.push(`  events and ground truth  ${result.outDir}`);
      out.push(`  ground truth             ${result.groundTruthPath}`);
      out.push(`  indexer config           ${result.configPath}`);
      out.push(`  database                 ${result.dbPath}`);
      out.push(`  analytics                ${result.analytics}`);
      out.push(`  report                   ${result.reportPath ?? result.report}`);
      out.push('');
      out.push('  indexed vs ground truth:');
      for (const c of result.counts) out.push(`    ${c.table.padEnd(34)} ${String(c.database).padStart(6)} / ${c.groundTruth}${c.database === c.groundTruth ? '' : '  MISMATCH'}`);
      out.push('');
      out.push('Try:');
      for (const q of DEMO_QUERIES) out.push(`  npx liqscope sql --database ${context.globals().database ?? '.liqscope/demo/db'} "${q}"`);
      process.stdout.write(`${out.join('\n')}\n`);
      if (result.counts.some((c) => c.database !== c.groundTruth)) throw new CliError('demo: the database does not hold what was emitted (see MISMATCH above)');
    });
}
