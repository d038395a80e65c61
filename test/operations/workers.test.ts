import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { opsDb } from '../../src/ops/job-runs-table.ts';
import { rpc } from '../../src/sim/log-emitter.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { urlWithSchema } from '../helpers/cli.ts';
import { openPostgresTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { startRewriteProxy, type RewriteProxy } from '../helpers/rewrite-proxy.ts';
import { EMITTER, emitPings, PING_TOPIC0 } from '../indexer/support.ts';
import { FillsWriter } from './fills.ts';
import { coverageProblems, metricsAddress, sample, scrape, spawnLiqscope, type Spawned } from './support.ts';

/**
 * Three `liqscope run` workers (spawned CLI processes) against one Postgres schema, over a simulated
 * hour compressed into 24 s: the index jobs tick every 2 s (five "minutes" of the hour each, on
 * croner's seconds field), a block of 4 Ping logs is mined every 500 ms on anvil, and Hyperliquid fills
 * are appended to the current hourly file every second, a new hourly file starting every 4 s (six of them).
 * The RPC URL holds a key, and the proxy in front of anvil fails every 5th eth_getLogs with a 500 whose
 * body echoes the URL, key and all.
 */
const INDEX_EVERY = '*/2 * * * * *';
/** The analysis of new data, every 4 s (twenty minutes of the hour), while the index jobs write. */
const ANALYZE_EVERY = '*/4 * * * * *';
const KEY = 'wOrkersKey7x3Q9';
const SHUTDOWN_BOUND_S = 10;

const chain = withAnvil(42161);
const dir = mkdtempSync(join(tmpdir(), 'liqscope-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (!TEST_DATABASE_URL) console.log('operations/workers.test.ts skipped: several workers need a Postgres server (set LIQSCOPE_TEST_DATABASE_URL)');

describe.skipIf(!TEST_DATABASE_URL)('three liqscope run workers against one Postgres', () => {
  let handle: LiqscopeDb & { schema: string };
  let proxy: RewriteProxy;
  let workers: Spawned[] = [];

  beforeAll(async () => {
    handle = await openPostgresTestDb();
    let getLogs = 0;
    proxy = await startRewriteProxy(chain().rpcUrl, async () => undefined, (req, calls) => {
      if (calls[0]?.method !== 'eth_getLogs' || ++getLogs % 5 !== 0) return undefined;
      return { status: 500, body: `upstream failure at ${req.headers.host}${req.url}` };
    });
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await proxy?.close();
    await handle?.close();
  });

  it('store every row once, cover every tick of every job exactly once, exit 0 on SIGTERM, and never print the key', async () => {
    const head = BigInt(await rpc<string>(chain().rpcUrl, 'eth_blockNumber'));
    const fillsRoot = join(dir, 'node_fills_by_block');
    mkdirSync(fillsRoot, { recursive: true });
    const configPath = join(dir, 'liqscope.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        database: { url: '${TEST_PG_URL}' },
        chains: { local: { chainId: 42161, rpc: ['${TEST_RPC_URL}'], finality: 0, maxBlockRange: 50, pollInterval: 1 } },
        sources: [
          { name: 'pings', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(head + 1n), options: { topic0: [PING_TOPIC0] } },
          { name: 'fills', kind: 'files', protocol: 'hyperliquid', paths: [fillsRoot] },
        ],
        schedule: { index: INDEX_EVERY, analyze: ANALYZE_EVERY, shutdownTimeoutSeconds: SHUTDOWN_BOUND_S },
        metrics: { port: 0, lagInterval: 1, readyMaxLagSeconds: 3600 },
      }),
    );
    const env = {
      TEST_PG_URL: urlWithSchema(TEST_DATABASE_URL!, handle.schema),
      TEST_RPC_URL: `${proxy.url}/v2/${KEY}`,
      LIQSCOPE_LOG_LEVEL: 'debug',
    };
    const spawnedAt = Date.now();
    workers = ['w1', 'w2', 'w3'].map((id) => spawnLiqscope(['run', '--config', configPath, '--worker', id], { env }));
    const bases = await Promise.all(workers.map((w) => metricsAddress(w, 90_000)));
    const upAt = Date.now();

    // The simulated hour.
    const fills = new FillsWriter(fillsRoot);
    const emitted: number[] = [];
    const feedStart = Date.now();
    let seq = 1;
    let lastBlock = head;
    for (let step = 0; step < 48; step++) {
      const at = feedStart + step * 500;
      await sleep(Math.max(0, at - Date.now()));
      const { emitted: block, lastBlock: last } = await emitPings(chain().rpcUrl, { blocksWithLogs: 1, perBlock: 4, gap: 0, firstSeq: seq });
      for (const e of block) emitted.push(e.seq);
      seq += 4;
      lastBlock = last;
      if (step % 2 === 0) fills.append(Math.floor(step / 8), 3);
    }
    const feedEnd = Date.now();

    // Caught up: the pings cursor at the last block and every fill line stored (read from the shared store).
    const store = opsDb(handle.db);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const cursor = await store.selectFrom('cursors').select('position').where('source_id', '=', 'pings').executeTakeFirst();
      const liquidations = await store.selectFrom('liquidations').select((eb) => eb.fn.countAll<string>().as('n')).where('source_id', '=', 'fills').executeTakeFirstOrThrow();
      if (cursor && BigInt(cursor.position) >= lastBlock && Number(liquidations.n) >= fills.liquidationUids.length) break;
      if (Date.now() > deadline) throw new Error(`not caught up: cursor ${cursor?.position} of ${lastBlock}, ${liquidations.n} of ${fills.liquidationUids.length} liquidations`);
      await sleep(250);
    }
    const caughtUpAt = Date.now();
    // And an analyze run that began after that.
    for (;;) {
      const run = await store.selectFrom('job_runs').select('id').where('job', '=', 'analyze').where('outcome', '=', 'ok').where('started_at', '>', new Date(caughtUpAt)).executeTakeFirst();
      if (run) break;
      if (Date.now() > deadline + 15_000) throw new Error('no analyze run after the catch-up');
      await sleep(250);
    }
    const scraped = await Promise.all(bases.map((base) => scrape(base)));

    // SIGTERM all three: each stops within the bound, exit 0.
    const asked = Date.now();
    for (const worker of workers) worker.child.kill('SIGTERM');
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const [i, exit] of exits.entries()) {
      expect(exit.code, workers[i]!.lines.slice(-5).join('\n')).toBe(0);
      expect(exit.at - asked).toBeLessThan(SHUTDOWN_BOUND_S * 1000);
    }

    // Every row exactly once: the pings emitted (raw logs) and the fills written (liquidations, bar trades).
    const raw = await store.selectFrom('raw_logs').select('topic1').where('source_id', '=', 'pings').execute();
    const seqs = raw.map((r) => Number(BigInt(r.topic1!))).sort((a, b) => a - b);
    expect(seqs).toEqual(emitted);
    const liquidations = await store.selectFrom('liquidations').select('uid').where('source_id', '=', 'fills').execute();
    expect(liquidations.map((r) => r.uid).sort()).toEqual([...fills.liquidationUids].sort());
    const bars = await sql<{ trades: string }>`select coalesce(sum(trades), 0) as trades from trade_bars where source_id = 'fills'`.execute(handle.db);
    expect(Number(bars.rows[0]!.trades)).toBe(fills.barTrades);

    // Every tick of each job covered by exactly one run, from before the feed began to after it ended.
    const runs = await store.selectFrom('job_runs').selectAll().orderBy('tick').execute();
    for (const [job, every] of [['index:pings', INDEX_EVERY], ['index:fills', INDEX_EVERY], ['analyze', ANALYZE_EVERY]] as const) {
      const rows = runs.filter((r) => r.job === job).map((r) => ({ ...r, first_tick: new Date(r.first_tick), tick: new Date(r.tick) }));
      expect(coverageProblems(every, rows), job).toEqual([]);
      expect(rows[0]!.first_tick.getTime()).toBeLessThanOrEqual(feedStart + (job === 'analyze' ? 4000 : 2000));
      // The job still ran after the feed ended (its last tick may precede the end: a run that began
      // just before it read the last block or line while running).
      expect(new Date(rows[rows.length - 1]!.finished_at!).getTime()).toBeGreaterThanOrEqual(feedEnd);
      // All ok, but a run the shutdown interrupted (the last one).
      expect(rows.slice(0, -1).filter((r) => r.outcome !== 'ok'), job).toEqual([]);
      expect(['ok', 'interrupted']).toContain(rows[rows.length - 1]!.outcome);
    }
    // Every fill liquidation analysed: inside the window of an ok analyze run, the last marks at the last id,
    // and no row taken in by two runs (the runs' new rows add up to the rows stored).
    const analyzed = runs.filter((r) => r.job === 'analyze' && r.outcome === 'ok').map((r) => r.figures as { marks: { liquidations: string }; newRows: number; windows: { from: string; to: string }[] });
    const liquidationTimes = await store.selectFrom('liquidations').select(['id', 'time']).execute();
    const windows = analyzed.flatMap((f) => f.windows.map((w) => [Date.parse(w.from), Date.parse(w.to)] as const));
    const outside = liquidationTimes.filter((l) => !windows.some(([from, to]) => new Date(l.time).getTime() >= from && new Date(l.time).getTime() < to));
    expect(outside, 'liquidations in no analysed window').toEqual([]);
    expect(analyzed.at(-1)!.marks.liquidations).toBe(String(liquidationTimes.reduce((m, l) => (BigInt(l.id) > m ? BigInt(l.id) : m), 0n)));
    expect(analyzed.reduce((sum, f) => sum + f.newRows, 0)).toBe(liquidationTimes.length);
    const byWorker = new Set(runs.map((r) => r.worker));
    expect(byWorker.size, `runs by worker: ${[...byWorker].join(', ')}`).toBeGreaterThanOrEqual(2);
    const coalesced = runs.filter((r) => r.ticks > 1).length;
    console.log(`workers: started in ${((upAt - spawnedAt) / 1000).toFixed(1)} s, caught up ${((caughtUpAt - feedEnd) / 1000).toFixed(1)} s after the feed, stopped in ${((Math.max(...exits.map((e) => e.at)) - asked) / 1000).toFixed(1)} s`);
    console.log(`workers: ${runs.length} runs (${coalesced} covering more than one tick) by ${[...byWorker].join(', ')}; ${emitted.length} pings, ${fills.liquidationUids.length} fill lines`);

    // The metrics of the three add up to the job log.
    const okRuns = (job: string) => runs.filter((r) => r.job === job && r.outcome === 'ok').length;
    for (const job of ['index:pings', 'index:fills']) {
      expect(scraped.reduce((sum, m) => sum + sample(m.families, 'liqscope_job_runs_total', { job, outcome: 'ok' }), 0)).toBeLessThanOrEqual(okRuns(job));
    }
    expect(scraped.reduce((sum, m) => sum + sample(m.families, 'liqscope_source_records_total', { source: 'pings' }), 0)).toBe(emitted.length);
    expect(scraped.reduce((sum, m) => sum + sample(m.families, 'liqscope_source_errors_total', { source: 'pings', endpoint: 'local#0', kind: 'transient' }), 0)).toBeGreaterThan(0);

    // The key: nowhere in what the workers printed, served or stored, though the provider echoed it.
    const printed = workers.map((w) => w.stdout() + w.stderr()).join('\n');
    expect(printed).toContain('upstream failure at');
    expect(printed).not.toContain(KEY);
    for (const m of scraped) expect(m.text).not.toContain(KEY);
    expect(JSON.stringify(runs)).not.toContain(KEY);
  });
});
