import type { TestProject } from 'vitest/node';
import { startLocalChain, type LocalChain } from '../src/sim/local-chain.ts';

/**
 * Starts one anvil (from the npm package @foundry-rs/anvil) per test worker, so that files running at
 * the same time never share a chain; test/helpers/anvil.ts hands each file its worker's instance and
 * reverts to a snapshot around every test.
 */
export default async function setup(project: TestProject) {
  const workers = Number(project.config.maxWorkers ?? 2) || 2;
  const chains: LocalChain[] = [];
  for (let i = 0; i < workers; i++) chains.push(await startLocalChain({ chainId: 42161 }));
  project.provide('anvilUrls', chains.map((c) => c.rpcUrl));
  return async () => {
    await Promise.all(chains.map((c) => c.stop()));
  };
}
