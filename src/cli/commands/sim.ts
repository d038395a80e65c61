import type { Command } from 'commander';
import { CliError, type CliContext } from '../context.ts';
import { loadScenario } from '../../sim/load-scenario.ts';
import { runSimulation, writeSimOutput } from '../../sim/run-sim.ts';
import { ScenarioError } from '../../sim/scenario-schema.ts';
import { startLocalChain } from '../../sim/local-chain.ts';
import { emitChainPlan } from '../../sim/writers/chain.ts';
import { ARBITRUM_CHAIN_ID } from '../../sim/writers/gmx-values.ts';

/** `liqscope sim --scenario FILE|NAME --out DIR [--seed N] [--chain]`. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('sim')
    .description('simulate a liquidation scenario and write its events (real formats) and ground truth')
    .requiredOption('-s, --scenario <file|name>', 'scenario JSON file, or a shipped scenario name (oct-10-2025, oracle-depeg, stale-oracle, black-thursday, quiet-day)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--seed <n>', 'override the scenario seed')
    .option('--chain', 'also emit the on-chain events on a local anvil (chain id 42161) and print its RPC URL while it runs', false)
    .action(async (options: { scenario: string; out: string; seed?: string; chain: boolean }) => {
      let scenario;
      try {
        scenario = loadScenario(options.scenario).scenario;
      } catch (error) {
        if (error instanceof ScenarioError) throw new CliError(error.message, 2);
        throw error;
      }
      if (options.seed !== undefined) {
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new CliError(`sim: --seed must be an integer between 0 and 4294967295, got "${options.seed}"`, 2);
        scenario = { ...scenario, seed };
      }
      process.stderr.write(`simulating ${scenario.name} (seed ${scenario.seed})\n`);
      const output = runSimulation(scenario);
      const files = writeSimOutput(options.out, output);
      const s = output.groundTruth.summary;
      for (const [venue, v] of Object.entries(s)) {
        process.stdout.write(`${venue}: ${v.liquidations} liquidations ($${v.liquidatedUsd}), ${v.adlEvents} ADL, ${v.oracleUpdates} oracle updates, ${v.oracleErrors} oracle errors\n`);
      }
      process.stdout.write(`wrote ${files.length} files to ${options.out} (ground truth: ${options.out}/ground-truth.json)\n`);
      if (options.chain) {
        const chain = await startLocalChain({ chainId: ARBITRUM_CHAIN_ID, genesisTimestamp: Math.floor(Date.parse(scenario.start) / 1000) - 3600 });
        try {
          const range = await emitChainPlan(chain.rpcUrl, output.chainPlan);
          process.stdout.write(`emitted blocks ${range.fromBlock}–${range.toBlock} on ${chain.rpcUrl}; press Ctrl-C to stop the chain\n`);
          await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        } finally {
          await chain.stop();
        }
      }
    });
}
