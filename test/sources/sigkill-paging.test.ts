import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { startDydxIndexerServer } from '../../src/sim/servers/dydx-indexer-server.ts';
import { matchFills, type DydxIndexerRows, type IndexerFill, type Subaccount } from '../../src/sim/servers/dydx-indexer-rows.ts';
import { startSubgraphServer } from '../../src/sim/servers/subgraph-server.ts';
import { CLI, REPO_ROOT } from '../helpers/cli.ts';
import { norm } from '../protocols/support.ts';
import { A, B, byJson, D, M, name, O, storedEvents, T } from '../protocols/dydx-v4/support.ts';
import { tradeActions, type ExpectedLiquidation } from './subgraph/fixtures.ts';

/**
 * `liqscope index` SIGKILLed in the middle of paging, then run again, for the two kinds of paged
 * source the chain test (test/indexer/sigkill.test.ts) does not cover — a subgraph (pages by id at a
 * pinned block) and the dYdX indexer over HTTP (backward sweeps by height, a crowded height walked by
 * page number) — ends with exactly the records the server holds, each once: no gap, no duplicate.
 * (The Hyperliquid info API, the other HTTP source, has its own: test/protocols/hyperliquid/api-cli.test.ts.)
 * Each server answers slowly (40 ms a request), so that a run lasts long enough to be killed at a
 * random batch, a random few milliseconds later: often inside the transaction of the next one.
 */
const work = mkdtempSync(join(tmpdir(), 'liqscope-kill-paging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `liqscope index` with `config`; SIGKILLed `jitterMs` after its `killAtBatch`-th written batch when given. */
function runIndex(config: Record<string, unknown>, database: string, kill?: { atBatch: number; jitterMs: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const configPath = join(work, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LIQSCOPE_LOG_LEVEL: 'debug' };
    delete env.VITEST;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [CLI, '--config', configPath, '--database', database, 'index'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let batches = 0;
    let armed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-4000);
      batches += text.split('batch written').length - 1;
      if (kill && !armed && batches >= kill.atBatch) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.jitterMs);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function withStore<T>(database: string, read: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ path: database });
  try {
    await migrateToLatest(handle.db);
    return await read(handle.db);
  } finally {
    await handle.close();
  }
}

const randomInt = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));

describe('liqscope index killed with SIGKILL mid-paging, then run again', () => {
  it('a subgraph source: stores every entity once, also when the subgraph moved on between the runs', async () => {
    // 1,500 TradeActions (200 of them in one block at one timestamp), 15 pages of 100.
    const first = tradeActions(1_500, { sameFrom: 600, sameTimestamp: 200, salt: 11 });
    // Indexed by the subgraph after the first kill: later blocks, other ids.
    const later = tradeActions(150, { firstBlock: 5_000, salt: 12 });
    const server = await startSubgraphServer({ rows: { TradeAction: first.rows }, faults: () => ({ kind: 'slow', delayMs: 40 }) });
    const database = join(work, 'subgraph-db');
    const config = {
      chains: { arbitrum: { chainId: 42161, rpc: ['http://127.0.0.1:9'] } },
      sources: [{ name: 'graph', kind: 'subgraph', protocol: 'gmx-v2', chain: 'arbitrum', url: server.url, pageSize: 100, requestsPerMinute: 60_000 }],
    };
    const storedUids = () => withStore(database, async (db) => (await db.selectFrom('liquidations').select('uid').where('source_id', '=', 'graph').execute()).map((r) => r.uid));
    try {
      const killed = await runIndex(config, database, { atBatch: randomInt(2, 8), jitterMs: randomInt(0, 60) });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      // Pages go by id: what is stored is exactly the first n ids, and the kill landed inside the paging.
      const uids = (await storedUids()).sort();
      expect(uids).toEqual(first.expected.map((e) => e.uid).sort().slice(0, uids.length));
      expect(uids.length).toBeGreaterThan(0);
      expect(uids.length).toBeLessThan(first.expected.length);
      // Before the rerun, the subgraph indexes 150 more liquidations: its head moves past the pinned block.
      server.add('TradeAction', later.rows);

      const final = await runIndex(config, database);
      expect(final.code, final.stderr).toBe(0);
      const rows = await withStore(database, (db) => db.selectFrom('liquidations').selectAll().where('source_id', '=', 'graph').execute());
      const want = [...first.expected, ...later.expected];
      expect(rows.length).toBe(want.length);
      const values = (r: { uid: string; account: string | null; side: string | null; size_usd: string | null; price: string | null; pnl_usd: string | null; block_number: string | null }) =>
        JSON.stringify([r.uid, r.account, r.side, norm(r.size_usd), norm(r.price), norm(r.pnl_usd), r.block_number]);
      const expected = (e: ExpectedLiquidation) => JSON.stringify([e.uid, e.account, e.side, e.sizeUsd, e.price, e.pnlUsd, String(e.block)]);
      expect(rows.map(values).sort()).toEqual(want.map(expected).sort());
    } finally {
      await server.close();
    }
  }, 240_000);

  it('a dYdX indexer source: a sweep killed half-way is finished by the rerun; every liquidation and deleveraging once', async () => {
    const { rows, liquidations, adl } = dydxBook();
    const server = await startDydxIndexerServer({ rows, tieOrder: 'shuffled', faults: [{ kind: 'slow', delayMs: 40 }] });
    const database = join(work, 'dydx-db');
    const config = {
      sources: [
        {
          name: 'dydx', kind: 'http', protocol: 'dydx-v4', url: server.url, weightPerMinute: 60_000,
          options: { markets: ['BTC-USD'], subaccounts: [A, B, D, O, M], read: ['trades', 'fills'], fromHeight: 2000, limit: 10 },
        },
      ],
    };
    try {
      // The trades come first, one batch a page, some 27 pages of 10: a kill after the 3rd to 12th batch lands inside their sweep.
      const killed = await runIndex(config, database, { atBatch: randomInt(3, 12), jitterMs: randomInt(0, 60) });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const atKill = await withStore(database, async (db) => ({
        liquidations: (await storedEvents(db)).liquidations.length,
        cursors: await db.selectFrom('cursors').select(['stream', 'position']).where('source_id', '=', 'dydx').execute(),
      }));
      expect(atKill.liquidations).toBeGreaterThan(0);
      expect(atKill.liquidations).toBeLessThan(liquidations.length);
      // The stream killed inside its sweep has it in its cursor (where the next page starts).
      const inSweep = atKill.cursors.filter((c) => (JSON.parse(c.position) as { sweep: unknown }).sweep !== null).map((c) => c.stream);
      expect(inSweep).toContain('trades:BTC-USD');

      const final = await runIndex(config, database);
      expect(final.code, final.stderr).toBe(0);
      const got = await withStore(database, (db) => storedEvents(db));
      expect(got.liquidations).toEqual([...liquidations].sort(byJson));
      expect(got.adl).toEqual([...adl].sort(byJson));
    } finally {
      await server.close();
    }
  }, 240_000);
});

/**
 * A BTC-USD book written by hand: heights 2000–2039, one second apart, each with five ordinary matches
 * (T against M), one liquidation (A's long sold at 59000 − k, or B's short bought at 61000 + k, k =
 * height − 2000) and at every eighth height a deleveraging (D's long against O's short at 58000); height
 * 2020 also holds 20 more ordinary matches, more than a page of 10. With the liquidations and ADL as the
 * store's tuples, by hand: [account, side, size, price, size_usd, height, counterparty].
 */
function dydxBook(): { rows: DydxIndexerRows; liquidations: unknown[][]; adl: unknown[][] } {
  const fills: IndexerFill[] = [];
  const liquidations: unknown[][] = [];
  const adl: unknown[][] = [];
  const createdAt = (height: number) => new Date(Date.parse('2025-10-10T21:20:00Z') + (height - 2000) * 1000).toISOString();
  const match = (height: number, index: number, type: 'LIMIT' | 'LIQUIDATED' | 'DELEVERAGED', takerSide: 'BUY' | 'SELL', price: number, size: string, taker: Subaccount, maker: Subaccount) =>
    fills.push(...matchFills({ height, index, market: 'BTC-USD', createdAt: createdAt(height), type, takerSide, price: String(price), size, taker, maker, takerFee: '1', makerFee: '0.5' }));
  for (let height = 2000; height < 2040; height++) {
    const k = height - 2000;
    let index = 0;
    for (let i = 0; i < 5; i++) match(height, index++, 'LIMIT', i % 2 ? 'SELL' : 'BUY', 60_000 + i, '0.01', T, M);
    if (k % 2 === 0) {
      match(height, index++, 'LIQUIDATED', 'SELL', 59_000 - k, '0.5', A, M);
      liquidations.push([name(A), 'long', '0.5', String(59_000 - k), String(0.5 * (59_000 - k)), String(height), name(M)]);
    } else {
      match(height, index++, 'LIQUIDATED', 'BUY', 61_000 + k, '0.25', B, M);
      liquidations.push([name(B), 'short', '0.25', String(61_000 + k), String(0.25 * (61_000 + k)), String(height), name(M)]);
    }
    if (k % 8 === 0) {
      match(height, index++, 'DELEVERAGED', 'SELL', 58_000, '0.1', D, O);
      liquidations.push([name(D), 'long', '0.1', '58000', '5800', String(height), name(O)]);
      adl.push([name(O), 'short', '0.1', '58000', '5800', String(height), name(D)]);
    }
    if (height === 2020) for (let i = 0; i < 20; i++) match(height, index++, 'LIMIT', 'BUY', 60_100 + i, '0.01', T, M);
  }
  return { rows: { markets: ['BTC-USD'], fills, candles: [], funding: [] }, liquidations, adl };
}
