import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fixBackgroundTrades } from './background.ts';
import { simulate } from './engine.ts';
import { buildGroundTruth } from './ground-truth.ts';
import type { GroundTruth } from './ground-truth.ts';
import type { Scenario } from './scenario-schema.ts';
import { planChain } from './writers/chain.ts';
import type { ChainPlan } from './writers/chain.ts';
import { dydxMarketDataFiles } from './writers/dydx-market-data.ts';
import { dydxFiles } from './writers/dydx-pages.ts';
import { hyperliquidInfoFiles } from './writers/hyperliquid-info.ts';
import { ARBITRUM_CHAIN_ID, GMX_EVENT_EMITTER } from './writers/gmx-values.ts';
import { hyperliquidNodeFiles } from './writers/hyperliquid-node-fills.ts';

export interface SimOutput {
  groundTruth: GroundTruth;
  chainPlan: ChainPlan;
  /** Relative path → content of every file written under the output directory. */
  files: Map<string, string>;
}

/**
 * Simulates a scenario and renders every output in memory (pure: same scenario and seed, same
 * bytes). `writeSimOutput` puts them on disk; the demo also emits `chainPlan` on a local chain.
 */
export function runSimulation(scenario: Scenario): SimOutput {
  const result = simulate(scenario);
  const background = fixBackgroundTrades(scenario, result.background);
  const groundTruth = buildGroundTruth(scenario, result, background);
  const chainPlan = planChain(groundTruth);
  groundTruth.chain = {
    chainId: ARBITRUM_CHAIN_ID,
    eventEmitter: GMX_EVENT_EMITTER.toLowerCase(),
    aggregators: chainPlan.addresses.map((a) => a.toLowerCase()).filter((a) => a !== GMX_EVENT_EMITTER.toLowerCase()),
    blocks: chainPlan.blocks.length,
    firstBlockTimestamp: chainPlan.blocks[0]?.timestamp ?? null,
    lastBlockTimestamp: chainPlan.blocks[chainPlan.blocks.length - 1]?.timestamp ?? null,
    counts: { ...chainPlan.counts },
  };
  const files = new Map<string, string>();
  const hyperliquidInfo = hyperliquidInfoFiles(groundTruth, scenario, background, result.venueSamples);
  const dydxMarketData = dydxMarketDataFiles(groundTruth, scenario, background, result.venueSamples);
  groundTruth.referenceSeries = { hyperliquid: hyperliquidInfo.summary, dydx: dydxMarketData.summary };
  files.set('ground-truth.json', `${JSON.stringify(groundTruth)}\n`);
  // the chain logs exactly as they are (or would be) emitted, one block per line
  files.set(
    'chain/arbitrum-blocks.jsonl',
    chainPlan.blocks.map((b) => JSON.stringify(b)).join('\n') + (chainPlan.blocks.length ? '\n' : ''),
  );
  for (const [path, content] of hyperliquidNodeFiles(groundTruth, background)) files.set(path, content);
  for (const [path, content] of hyperliquidInfo.files) files.set(path, content);
  for (const [path, content] of dydxFiles(groundTruth, background, dydxMarketData.index)) files.set(path, content);
  for (const [path, content] of dydxMarketData.files) files.set(path, content);
  files.set('scenario.json', `${JSON.stringify(scenario, null, 2)}\n`);
  return { groundTruth, chainPlan, files };
}

export function writeSimOutput(outDir: string, output: SimOutput): string[] {
  const written: string[] = [];
  for (const [rel, content] of [...output.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  }
  return written;
}
