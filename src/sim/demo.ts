import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sql } from 'kysely';
import type { Address } from 'viem';
import { configSchema } from '../config/schema.ts';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { indexConfig } from '../indexer/index-config.ts';
import { startLocalChain } from './local-chain.ts';
import { loadScenario } from './load-scenario.ts';
import { runSimulation, writeSimOutput } from './run-sim.ts';
import { emitChainPlan } from './writers/chain.ts';
import { ARBITRUM_CHAIN_ID, GMX_EVENT_EMITTER } from './writers/gmx-values.ts';

export interface DemoOptions {
  scenario: string;
  outDir: string;
  dbPath: string;
  /** Progress lines (the CLI sends them to stderr). */
  progress?: (line: string) => void;
}

export interface DemoResult {
  outDir: string;
  dbPath: string;
  configPath: string;
  groundTruthPath: string;
  /** Chain facts in the ground truth and in the database, by table. */
  counts: { table: string; groundTruth: number; database: number }[];
  analytics: 'ran' | 'not available yet';
  report: 'written' | 'not available yet';
  seconds: number;
}

/** A directory the demo will not touch because it did not create it. */
export class DemoRefusal extends Error {
  override name = 'DemoRefusal';
}

/** A file beside the demo database that marks it as the demo's own, so a rerun may replace it. */
const markerOf = (dbPath: string) => `${dbPath}.liqscope-demo`;

/**
 * `liqscope demo`: simulate → emit on a local Arbitrum (anvil, chain id 42161) → index with the
 * real indexer into a dedicated embedded database → analytics/report when they exist. The
 * database is rebuilt on every run and never mixes with a user's data: it refuses a non-empty
 * directory it did not create.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const say = options.progress ?? (() => {});
  const outDir = resolve(options.outDir);
  const dbPath = resolve(options.dbPath);
  // the output directory is replaced too, so it must be empty or a previous demo's output
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, 'ground-truth.json'))) {
    throw new DemoRefusal(`${outDir} is not empty and is not a previous demo's output; choose another --out directory`);
  }
  if (existsSync(dbPath) && readdirSync(dbPath).length > 0) {
    if (!existsSync(markerOf(dbPath))) {
      throw new DemoRefusal(`${dbPath} holds data the demo did not create; choose another --database directory (the demo rebuilds its own)`);
    }
    rmSync(dbPath, { recursive: true, force: true });
  }
  mkdirSync(dirname(dbPath), { recursive: true });
  writeFileSync(markerOf(dbPath), 'created by liqscope demo; this database is rebuilt on every demo run\n');

  const { scenario } = loadScenario(options.scenario);
  say(`simulating ${scenario.name} (${scenario.durationSeconds} s from ${scenario.start}, seed ${scenario.seed})`);
  const output = runSimulation(scenario);
  rmSync(outDir, { recursive: true, force: true });
  writeSimOutput(outDir, output);
  const gt = output.groundTruth;
  const counts = output.chainPlan.counts;
  say(
    `simulated: ${gt.liquidations.length} liquidations, ${gt.adlEvents.length} ADL fills across ${gt.venues.length} venues; ` +
      `on chain: ${counts.liquidations} GMX liquidations, ${counts.adlEvents} GMX ADL, ${counts.oraclePrices} oracle prices, ${counts.referenceRounds} Chainlink rounds in ${output.chainPlan.blocks.length} blocks`,
  );

  const startSec = Math.floor(Date.parse(scenario.start) / 1000);
  const chain = await startLocalChain({ chainId: ARBITRUM_CHAIN_ID, genesisTimestamp: startSec - 3600 });
  let configPath = '';
  let analytics: DemoResult['analytics'] = 'not available yet';
  let report: DemoResult['report'] = 'not available yet';
  const dbCounts: DemoResult['counts'] = [];
  try {
    say(`local Arbitrum (chain id ${ARBITRUM_CHAIN_ID}) at ${chain.rpcUrl}; emitting blocks`);
    const { fromBlock, toBlock } = await emitChainPlan(chain.rpcUrl, output.chainPlan, (done, total) => say(`emitted ${done}/${total} blocks`));
    const aggregators = [...new Set(gt.referenceRounds.filter((r) => r.aggregator).map((r) => r.aggregator!))].sort() as Address[];
    const sources = [];
    if (gt.venues.some((v) => v.kind === 'gmx-v2'))
      sources.push({ name: 'demo-gmx-v2', protocol: 'gmx-v2', chain: 'arbitrum', addresses: [GMX_EVENT_EMITTER], startBlock: Number(fromBlock), endBlock: Number(toBlock) });
    if (aggregators.length > 0)
      sources.push({ name: 'demo-chainlink', protocol: 'chainlink', chain: 'arbitrum', addresses: aggregators, startBlock: Number(fromBlock), endBlock: Number(toBlock) });
    const config = configSchema.parse({
      database: { path: dbPath },
      chains: { arbitrum: { chainId: ARBITRUM_CHAIN_ID, rpc: [chain.rpcUrl], finality: 0, maxBlockRange: 2000 } },
      sources,
    });
    configPath = join(outDir, 'liqscope.demo.config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

    const handle = await openDatabase({ path: dbPath });
    try {
      await migrateToLatest(handle.db);
      say(`indexing blocks ${fromBlock}–${toBlock} into ${dbPath}`);
      await indexConfig(handle.db, config, { follow: false });
      const count = async (table: 'liquidations' | 'adl_events' | 'oracle_prices', venue: string) => {
        const row = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)} where venue = ${venue}`.execute(handle.db);
        return Number(row.rows[0]?.n ?? 0);
      };
      dbCounts.push(
        { table: 'liquidations (gmx-v2)', groundTruth: counts.liquidations, database: await count('liquidations', 'gmx-v2') },
        { table: 'adl_events (gmx-v2)', groundTruth: counts.adlEvents, database: await count('adl_events', 'gmx-v2') },
        { table: 'oracle_prices (gmx-v2)', groundTruth: counts.oraclePrices, database: await count('oracle_prices', 'gmx-v2') },
        { table: 'oracle_prices (chainlink)', groundTruth: counts.referenceRounds, database: await count('oracle_prices', 'chainlink') },
      );
      // Hook: analytics and reports plug in here once src/analytics and src/report export them.
      analytics = (await runOptionalStep('../analytics/index.ts', 'runAnalytics', handle.db, say)) ? 'ran' : 'not available yet';
      report = (await runOptionalStep('../report/index.ts', 'writeReport', handle.db, say, join(outDir, 'report'))) ? 'written' : 'not available yet';
    } finally {
      await handle.close();
    }
  } finally {
    await chain.stop();
  }
  return {
    outDir,
    dbPath,
    configPath,
    groundTruthPath: join(outDir, 'ground-truth.json'),
    counts: dbCounts,
    analytics,
    report,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Runs `exportName(db, ...args)` from a module that may not exist yet (analytics and reports come
 * in later issues); returns false when the module or the export is missing.
 */
async function runOptionalStep(modulePath: string, exportName: string, db: unknown, say: (line: string) => void, ...args: unknown[]): Promise<boolean> {
  const url = new URL(modulePath, import.meta.url);
  if (!existsSync(url)) return false;
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') return false;
  say(`running ${exportName}`);
  await (fn as (...a: unknown[]) => Promise<unknown>)(db, ...args);
  return true;
}

/** Three queries to try on the demo database (printed by the CLI). */
export const DEMO_QUERIES = [
  "select date_trunc('minute', time) as minute, count(*) as liquidations, round(sum(size_usd), 0) as usd from liquidations group by 1 order by 1",
  'select symbol, count(*) as adl_events, round(sum(size_usd), 0) as usd, round(sum(pnl_usd), 0) as pnl from adl_events group by 1 order by 2 desc',
  "select venue, symbol, count(*) as updates, min(price) as low, max(price) as high from oracle_prices group by 1, 2 order by 1, 2",
];
