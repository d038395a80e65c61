import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { startLocalChain, type LocalChain } from '../src/sim/local-chain.ts';

/**
 * Starts one anvil (from the npm package @foundry-rs/anvil) per test worker, so that files running at
 * the same time never share a chain; test/helpers/anvil.ts hands each file its worker's instance and
 * reverts to a snapshot around every test.
 */
/** 2017-07-14 02:40:00 UTC. */
export const GENESIS_TIMESTAMP = 1_500_000_000;

export default async function setup(project: TestProject) {
  const workers = Number(project.config.maxWorkers ?? 2) || 2;
  const chains: LocalChain[] = [];
  const templateDir = await mkdtemp(join(tmpdir(), 'liqscope-test-'));
  const teardown = async () => {
    await Promise.all(chains.map((c) => c.stop()));
    await rm(templateDir, { recursive: true, force: true });
  };
  try {
    // Genesis in 2017 so tests can mine blocks at any real incident time (2019 onwards) in increasing order.
    for (let i = 0; i < workers; i++) chains.push(await startLocalChain({ chainId: 42161, genesisTimestamp: GENESIS_TIMESTAMP }));
    project.provide('anvilUrls', chains.map((c) => c.rpcUrl));
    project.provide('pgliteTemplate', await writeMigratedPgliteDump(join(templateDir, 'migrated.tar')));
    project.provide('pgliteDirTemplate', await writeMigratedPgliteDir(join(templateDir, 'migrated-db')));
  } catch (error) {
    // Vitest runs no teardown for a setup that threw: without this, its anvils outlive the run.
    await teardown();
    throw error;
  }
  return teardown;
}

/**
 * A migrated embedded database, dumped once for the whole run: test/helpers/db.ts starts every fresh
 * PGlite database from it (about 1.1 s instead of 2.5 s for a new cluster and its migrations).
 */
/**
 * A migrated embedded database directory, made once for the whole run: CLI tests whose subject is not
 * a new store copy it (test/helpers/db.ts) rather than have each spawned process create and migrate
 * one (a `liqscope index` on `memory://` took 7.6 s, on a migrated directory 3.9 s).
 */
async function writeMigratedPgliteDir(path: string): Promise<string> {
  const handle = await openDatabase({ path, useEnvUrl: false });
  try {
    await migrateToLatest(handle.db);
    return path;
  } finally {
    await handle.close();
  }
}

async function writeMigratedPgliteDump(path: string): Promise<string> {
  const handle = await openDatabase({ url: 'memory://' });
  try {
    await migrateToLatest(handle.db);
    const dump = await handle.pglite!.dumpDataDir('none');
    await writeFile(path, Buffer.from(await dump.arrayBuffer()));
    return path;
  } finally {
    await handle.close();
  }
}
