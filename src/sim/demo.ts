import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sql } from 'kysely';
import type { Address } from 'viem';
import { analyze } from '../analytics/analyze.ts';
import { configSchema } from '../config/schema.ts';
import { openDatabase } from '../db/connect.ts';
import { acquireEmbeddedOwner, OWNER_FILES } from '../db/embedded-owner.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { indexConfig } from '../indexer/index-config.ts';
import { analysisContextOf, type Protocol } from '../pipeline/protocol.ts';
import { simulatedFeedRules } from './feed-rules.ts';
import { startLocalChain } from './local-chain.ts';
import { loadScenario } from './load-scenario.ts';
import { runSimulation, writeSimOutput } from './run-sim.ts';
import { startDemoApiServers } from './servers/demo-api-servers.ts';
import { emitChainPlan } from './writers/chain.ts';
import { mainCascadeId, writeReport } from '../report/index.ts';
import { ARBITRUM_CHAIN_ID, GMX_EVENT_EMITTER } from './writers/gmx-values.ts';

export interface DemoOptions {
  /** The protocols to index with (the composition root's list, src/cli/protocols.ts). */
  protocols: readonly Protocol[];
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
  /** The report's HTML file (beside it: report.md, report.json, report.pdf). */
  reportPath: string | null;
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
  // Own the database directory before looking into it or emptying it: emptying one that another process
  // has open (a `db serve` of the previous demo) would pull its data from under it. That process is
  // named in the error (the CLI exits 75); the open below shares this process's ownership.
  const owner = await acquireEmbeddedOwner(resolve(options.dbPath));
  try {
    return await runDemoAsOwner(options);
  } finally {
    await owner.release();
  }
}

async function runDemoAsOwner(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const say = options.progress ?? (() => {});
  const outDir = resolve(options.outDir);
  const dbPath = resolve(options.dbPath);
  // the output directory is replaced too, so it must be empty or a previous demo's output
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, 'ground-truth.json'))) {
    throw new DemoRefusal(`${outDir} is not empty and is not a previous demo's output; choose another --out directory`);
  }
  // The owner's files stay: they belong to this process's ownership of the directory.
  const dbEntries = existsSync(dbPath) ? readdirSync(dbPath).filter((entry) => !OWNER_FILES.includes(entry)) : [];
  if (dbEntries.length > 0) {
    if (!existsSync(markerOf(dbPath))) {
      throw new DemoRefusal(`${dbPath} holds data the demo did not create; choose another --database directory (the demo rebuilds its own)`);
    }
    for (const entry of dbEntries) rmSync(join(dbPath, entry), { recursive: true, force: true });
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
  // dYdX's indexer and Hyperliquid's info API, served from the simulator's output in this process.
  const apis = await startDemoApiServers(outDir, gt).catch(async (error: unknown) => {
    await chain.stop();
    throw error;
  });
  let configPath = '';
  let analytics: DemoResult['analytics'] = 'not available yet';
  let report: DemoResult['report'] = 'not available yet';
  let reportPath: string | null = null;
  const dbCounts: DemoResult['counts'] = [];
  try {
    for (const line of apis.started) say(line);
    say(`local Arbitrum (chain id ${ARBITRUM_CHAIN_ID}) at ${chain.rpcUrl}; emitting blocks`);
    const { fromBlock, toBlock } = await emitChainPlan(chain.rpcUrl, output.chainPlan, (done, total) => say(`emitted ${done}/${total} blocks`));
    const aggregators = [...new Set(gt.referenceRounds.filter((r) => r.aggregator).map((r) => r.aggregator!))].sort() as Address[];
    const sources: Record<string, unknown>[] = [];
    if (gt.venues.some((v) => v.kind === 'gmx-v2'))
      sources.push({ name: 'demo-gmx-v2', protocol: 'gmx-v2', chain: 'arbitrum', addresses: [GMX_EVENT_EMITTER], startBlock: Number(fromBlock), endBlock: Number(toBlock) });
    if (aggregators.length > 0)
      sources.push({ name: 'demo-chainlink', protocol: 'chainlink', chain: 'arbitrum', addresses: aggregators, startBlock: Number(fromBlock), endBlock: Number(toBlock) });
    // The node's fill files (the simulator writes them as the node does, under hourly/YYYYMMDD/H).
    const hlFills = join(outDir, 'hyperliquid', 'node_fills_by_block');
    if (gt.venues.some((v) => v.kind === 'hyperliquid') && existsSync(hlFills))
      sources.push({ name: 'demo-hyperliquid', kind: 'files', protocol: 'hyperliquid', paths: [hlFills] });
    sources.push(...apis.sources);
    const config = configSchema.parse({
      database: { path: dbPath },
      chains: { arbitrum: { chainId: ARBITRUM_CHAIN_ID, rpc: [chain.rpcUrl], finality: 0, maxBlockRange: 2000 } },
      sources,
      analytics: { oracle: { feeds: simulatedFeedRules(scenario) } },
    });
    configPath = join(outDir, 'liqscope.demo.config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

    const handle = await openDatabase({ path: dbPath });
    try {
      await migrateToLatest(handle.db);
      const what = [`blocks ${fromBlock}–${toBlock}`, ...(sources.some((s) => s.kind === 'files') ? ['the Hyperliquid node fills'] : []), ...(apis.sources.length > 0 ? ['the venue APIs'] : [])];
      say(`indexing ${what.slice(0, -1).join(', ')}${what.length > 1 ? ' and ' : ''}${what.at(-1)} into ${dbPath}`);
      await indexConfig(handle.db, config, { protocols: options.protocols, follow: false });
      await apis.close();
      const count = async (table: 'liquidations' | 'adl_events' | 'oracle_prices' | 'trade_bars', venue: string, interval?: string) => {
        const inInterval = interval === undefined ? sql`` : sql` and interval = ${interval}`;
        const row = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)} where venue = ${venue}${inInterval}`.execute(handle.db);
        return Number(row.rows[0]?.n ?? 0);
      };
      dbCounts.push(
        { table: 'liquidations (gmx-v2)', groundTruth: counts.liquidations, database: await count('liquidations', 'gmx-v2') },
        { table: 'adl_events (gmx-v2)', groundTruth: counts.adlEvents, database: await count('adl_events', 'gmx-v2') },
        { table: 'oracle_prices (gmx-v2)', groundTruth: counts.oraclePrices, database: await count('oracle_prices', 'gmx-v2') },
        { table: 'oracle_prices (chainlink)', groundTruth: counts.referenceRounds, database: await count('oracle_prices', 'chainlink') },
      );
      const hl = gt.venues.find((v) => v.kind === 'hyperliquid');
      if (hl) {
        dbCounts.push(
          { table: 'liquidations (hyperliquid)', groundTruth: gt.liquidations.filter((l) => l.venue === hl.id).length, database: await count('liquidations', 'hyperliquid') },
          { table: 'adl_events (hyperliquid)', groundTruth: gt.adlEvents.filter((a) => a.venue === hl.id).length, database: await count('adl_events', 'hyperliquid') },
        );
      }
      for (const check of apis.checks) dbCounts.push({ table: check.label, groundTruth: check.groundTruth, database: await count(check.table, check.venue, check.interval) });
      say('analyzing: cascades, stages, ADL waves, depth and Hawkes figures, oracle checks');
      const analysis = await analyze(handle.db, config, { context: analysisContextOf(options.protocols) });
      const verdicts = (analysis.steps.oracle?.verdicts ?? {}) as Record<string, number>;
      say(
        `analysis run ${analysis.runId}: ${String(analysis.steps.cascades?.cascades ?? 0)} cascades, ${String(analysis.steps.adl?.waves ?? 0)} ADL waves, ` +
          `${verdicts.erroneous ?? 0} liquidations erroneous at the reference price (of ${String(analysis.steps.oracle?.liquidationsChecked ?? 0)} checked)`,
      );
      analytics = 'ran';
      // The report of the main cascade (the largest analytics found), or of the scenario's range without one.
      const cascadeId = await mainCascadeId(handle.db);
      const written = await writeReport(handle.db, { outDir: join(outDir, 'report'), ...(cascadeId ? { cascadeId } : { from: new Date(scenario.start), to: new Date(startSec * 1000 + scenario.durationSeconds * 1000 + 1000) }) });
      for (const skipped of written.skipped) say(`report: ${skipped.format} not written: ${skipped.reason}`);
      reportPath = written.files.find((f) => f.format === 'html')?.path ?? written.dir;
      report = 'written';
    } finally {
      await handle.close();
    }
  } finally {
    await apis.close();
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
    reportPath,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Queries to try on the demo database (printed by the CLI): raw facts across venues, then what analytics found. */
export const DEMO_QUERIES = [
  "select date_trunc('minute', time) as minute, venue, count(*) as liquidations, round(sum(size_usd), 0) as usd from liquidations where asset = 'ETH' group by 1, 2 order by 1, 2",
  'select asset, venue, count(*) as adl_events, round(sum(size_usd), 0) as usd, round(sum(pnl_usd), 0) as pnl from adl_events group by 1, 2 order by 3 desc',
  "select venue, asset, count(*) as updates, min(price) as low, max(price) as high from oracle_prices group by 1, 2 order by 1, 2",
  'select cascade_id, start_time, end_time, liquidations, round(liquidated_usd, 0) as usd, venues, round(hawkes_n::numeric, 2) as hawkes_n from cascades order by liquidated_usd desc',
  'select venue, verdict, count(*) as liquidations, round(sum(dollars_lost_usd), 0) as lost_usd from liquidation_oracle_checks group by 1, 2 order by 1, 2',
];
