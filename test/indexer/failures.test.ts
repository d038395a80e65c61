import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Hex } from 'viem';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { BatchWriteError } from '../../src/indexer/batch-write-error.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { RestartBudget } from '../../src/indexer/restart-budget.ts';
import { upsertSource } from '../../src/indexer/index-config.ts';
import { planSources } from '../../src/indexer/plan-sources.ts';
import { runSource } from '../../src/indexer/runner.ts';
import { Registry } from '../../src/pipeline/registry.ts';
import type { Source } from '../../src/pipeline/source.ts';
import type { SourceInfo } from '../../src/pipeline/source-info.ts';
import { logsBatch } from '../../src/sources/evm/evm-log-source.ts';
import { logger } from '../../src/logger.ts';
import { HttpStatusError } from '../../src/sources/evm/http-transport.ts';
import { ChainMovedError } from '../../src/sources/evm/log-fetcher.ts';
import { classifyRpcError } from '../../src/sources/evm/rpc-errors.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase, openPgliteTestDb } from '../helpers/db.ts';
import { startRewriteProxy, type RewriteProxy } from '../helpers/rewrite-proxy.ts';
import { protocols, EMITTER, emitPings, pingConfig, pingDecoder, PING_TOPIC0, storedPings } from './support.ts';

const chain = withAnvil(42161);
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
  vi.restoreAllMocks();
});

async function proxy(...args: Parameters<typeof startRewriteProxy>): Promise<RewriteProxy> {
  const p = await startRewriteProxy(...args);
  closers.push(p.close);
  return p;
}

const rpcOverrides = { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 100 };
const requestsBut = (p: RewriteProxy, method: string) => Object.entries(p.calls).reduce((n, [m, c]) => (m === method ? n : n + c), 0);

describe('restarts after the chain moved', () => {
  it('wait exponentially longer (with jitter) and give up after the budget, naming the last cause and the blocks', async () => {
    // Jitter pinned near its top: the waits are floor(0.999 × min(40, 10·2^k)) = 9, 19, 39, 39 ms.
    const budget = new RestartBudget({ sourceId: 'gmx', maxRestarts: 4, baseMs: 10, maxMs: 40, random: () => 0.999 });
    const moved = new ChainMovedError('block 1020 changed hash while its range was fetched');
    const range = 'blocks [1001, 1020]';
    const waits = [];
    for (let i = 0; i < 4; i++) waits.push(await budget.onMoved(moved, range));
    expect(waits).toEqual([9, 19, 39, 39]);
    await expect(budget.onMoved(moved, range)).rejects.toThrow(
      /^source gmx: the chain kept changing under the fetch of blocks \[1001, 1020\]: gave up after 4 restarts in [\d.]+ s; last cause: block 1020 changed hash while its range was fetched$/,
    );
    // A completed catch-up starts a fresh budget.
    budget.reset();
    expect(await budget.onMoved(moved, range)).toBe(9);
  });

  it('a node flapping between two branches: a bounded number of refetches, then the cause', async () => {
    const url = chain().rpcUrl;
    const history = await emitPings(url, { blocksWithLogs: 20, perBlock: 2, gap: 1 });
    const indexedTo = history.firstBlock + 9n;
    const { db, close } = await openPgliteTestDb();
    closers.push(close);
    await indexConfig(db, pingConfig([url], { chainId: 42161, startBlock: Number(history.firstBlock), endBlock: Number(indexedTo) }), { protocols });
    // Above the cursor, every other answer for a block shows another branch's hash: the chain really
    // "moves" between every two reads, as with a node flapping between two heads.
    const seen = new Map<string, number>();
    const flapping = await proxy(url, async (call, forward) => {
      if (call.method !== 'eth_getBlockByNumber') return undefined;
      const [which, full] = call.params as [string, boolean];
      if (!which.startsWith('0x') || BigInt(which) <= indexedTo) return undefined;
      const n = (seen.get(which) ?? 0) + 1;
      seen.set(which, n);
      const header = (await forward({ method: 'eth_getBlockByNumber', params: [which, full] })) as { hash: Hex };
      return { result: n % 2 === 0 ? { ...header, hash: `0x${'ab'.repeat(32)}` } : header };
    });
    const started = Date.now();
    const run = indexConfig(db, pingConfig([flapping.url], { chainId: 42161, startBlock: Number(history.firstBlock) }), {
      protocols,
      rpc: rpcOverrides,
      waits: { maxRestarts: 3, restartBaseMs: 50, restartMaxMs: 200 },
    });
    await expect(run).rejects.toThrow(
      new RegExp(
        `source pings: the chain kept changing under the fetch of blocks \\[${indexedTo + 1n}, ${history.lastBlock}\\]: gave up after 3 restarts in [\\d.]+ s; ` +
          `last cause: block ${history.lastBlock} changed hash while its range was fetched`,
      ),
    );
    // One eth_getLogs per attempt (the range is one chunk): the first and three restarts, not 51.
    expect(flapping.calls.eth_getLogs).toBe(4);
    // Each restart waited at least the backoff floor (base / 4).
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 12);
    // What was indexed before is untouched.
    expect((await storedPings(db)).raw).toEqual(history.emitted.filter((e) => e.block <= indexedTo));
  }, 60_000);
});

describe('an endpoint that refuses the key (HTTP 401/403)', () => {
  it.each([401, 403])('is classified unauthorized for HTTP %i, even with a JSON-RPC error body', (status) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32000, message: 'Must be authenticated!' } });
    expect(classifyRpcError(new HttpStatusError(status, new Headers(), body), false).kind).toBe('unauthorized');
    expect(classifyRpcError(new HttpStatusError(status, new Headers(), 'Forbidden'), true).kind).toBe('unauthorized');
  });

  const unauthorized = () => ({
    status: 401,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32000, message: 'Must be authenticated!' } }),
  });

  it('fails at once with "check the key" when it is the only endpoint (not after 10 retries)', async () => {
    const url = chain().rpcUrl;
    const history = await emitPings(url, { blocksWithLogs: 3, perBlock: 1, gap: 0 });
    const refusing = await proxy(url, async () => undefined, unauthorized);
    const { db, close } = await openPgliteTestDb();
    closers.push(close);
    const started = Date.now();
    await expect(indexConfig(db, pingConfig([refusing.url], { chainId: 42161, startBlock: Number(history.firstBlock) }), { protocols, rpc: rpcOverrides })).rejects.toThrow(
      /on local#0 \(127\.0\.0\.1:\d+\): unauthorized \(HTTP 401: .*Must be authenticated!.*\): check the key/,
    );
    expect(requestsBut(refusing, 'eth_chainId')).toBe(1);
    // Not after 10 retries (the request count above says so); generous for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(6_000); // the chain-id check's one retry (0.5 s) included
  });

  it('fails over to the next endpoint and never asks the refusing one again', async () => {
    const url = chain().rpcUrl;
    const history = await emitPings(url, { blocksWithLogs: 5, perBlock: 2, gap: 1 });
    const refusing = await proxy(url, async () => undefined, unauthorized);
    const { db, close } = await openPgliteTestDb();
    closers.push(close);
    const summary = (await indexConfig(db, pingConfig([refusing.url, url], { chainId: 42161, startBlock: Number(history.firstBlock) }), { protocols, rpc: rpcOverrides })).sources[0]!;
    expect(requestsBut(refusing, 'eth_chainId')).toBe(1);
    expect(summary.records).toBe(history.emitted.length);
    expect((await storedPings(db)).raw).toEqual(history.emitted);
  });
});

describe('an endpoint that hangs', () => {
  it('fails after the request budget, having logged at warn level meanwhile with endpoint, method, attempt and cause', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server: Server = createServer(() => {}); // accepts, never answers
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const hanging = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warn = vi.spyOn(logger, 'warn');
    const { db, close } = await openPgliteTestDb();
    closers.push(close);
    const started = Date.now();
    const run = indexConfig(db, pingConfig([hanging], { chainId: 42161, startBlock: 1 }), {
      protocols,
      rpc: { timeoutMs: 300, budgetMs: 2_000, backoffBaseMs: 50, backoffMaxMs: 200 },
    });
    await expect(run).rejects.toThrow(/on local#0 \(127\.0\.0\.1:\d+\): failed after \d+ attempts in [\d.]+ s \(request budget 2 s, chains\.<name>\.requestBudget\); last error: no response within \d+ ms/);
    const elapsed = Date.now() - started;
    // The chain-id check (2 × 300 ms + 0.5 s), then at most the 2 s budget.
    expect(elapsed).toBeLessThan(1_100 + 2_000 + 1_000);
    const lines = warn.mock.calls.map((call) => String(call[1] ?? call[0]));
    const slow = lines.filter((line) => /still failing after \d+ attempts in [\d.]+ s \(transient\), retrying in/.test(line));
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0]).toMatch(/^eth_getBlockByNumber.* on local#0 \(127\.0\.0\.1:\d+\) still failing .*no response within \d+ ms/);
    // Not one line per retry: at 0.5 s, 1 s and 2 s at most.
    expect(slow.length).toBeLessThanOrEqual(3);
  }, 30_000);
});

forEachDatabase((dbName, open) => {
  describe(`a batch the database refuses, on ${dbName}`, () => {
    const log = (block: bigint, logIndex: number, tx: string): RawLog => ({
      chainId: 42161,
      blockNumber: block,
      blockHash: `0x${'11'.repeat(32)}`,
      blockTime: new Date('2025-10-10T21:00:00Z'),
      txHash: `0x${tx.repeat(64 / tx.length)}` as Hex,
      txIndex: 0,
      logIndex,
      address: EMITTER,
      topics: [PING_TOPIC0, `0x${'00'.repeat(31)}07`],
      data: `0x${'00'.repeat(31)}31`,
    });

    async function setup() {
      const handle = await open();
      const config = pingConfig(['http://127.0.0.1:1'], { chainId: 42161, startBlock: 100 });
      const [plan] = planSources(config, protocols);
      await upsertSource(handle.db, plan!);
      return { ...handle, info: plan!.info };
    }

    /** Writes one batch of `logs` (blocks `from`–`to`) through the runner, as the EVM source would hand it over. */
    function writeBatch(db: Kysely<Database>, info: SourceInfo, logs: RawLog[], from: bigint, to: bigint) {
      const batch = logsBatch({ id: info.id, chainId: 42161 }, {
        logs,
        headers: [],
        from,
        last: { number: to, hash: `0x${'11'.repeat(32)}` },
        progress: { unit: 'blocks', start: from, position: to, target: to },
      });
      const source: Source<RawLog> = {
        info,
        reorgable: false,
        async *pull() {
          yield batch;
          return { state: 'finished', progress: null };
        },
        position: () => ({ unit: 'blocks', start: from, position: from - 1n, target: from - 1n }),
        stats: () => ({ requests: 0, retries: 0, rewinds: 0 }),
      };
      return runSource({ db, source, decoder: pingDecoder, registry: new Registry([], []), follow: false, pollIntervalMs: 1_000 });
    }

    it('a duplicate log: the error names the source, the blocks and the log, and nothing is written', async () => {
      const { db, close, info } = await setup();
      try {
        const logs = [log(100n, 0, 'a1'), log(105n, 3, 'b2'), log(105n, 3, 'b2'), log(110n, 1, 'c3')];
        const write = writeBatch(db, info, logs, 100n, 110n);
        const error = await write.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BatchWriteError);
        expect((error as Error).message).toMatch(
          new RegExp(
            '^source pings: writing blocks 100–110 \\(4 logs\\) failed: duplicate key value violates unique constraint "raw_logs_pkey" ' +
              `\\(table raw_logs; key \\(source_id, block_number, log_index\\)=\\(pings, 105, 3\\); the log of block 105, logIndex 3, tx 0x${'b2'.repeat(32)}\\)$`,
          ),
        );
        expect(await db.selectFrom('raw_logs').selectAll().execute()).toEqual([]);
        expect(await db.selectFrom('cursors').selectAll().execute()).toEqual([]);
      } finally {
        await close();
      }
    });

    it('a logIndex of 2^40: the error names the log and its logIndex, not only "out of range for type integer"', async () => {
      const { db, close, info } = await setup();
      try {
        const logs = [log(200n, 0, 'a1'), log(201n, 2 ** 40, 'd4')];
        const error = await writeBatch(db, info, logs, 200n, 202n).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BatchWriteError);
        expect((error as Error).message).toMatch(
          new RegExp(
            '^source pings: writing blocks 200–202 \\(2 logs\\) failed: value "1099511627776" is out of range for type integer ' +
              `\\(the log of block 201, logIndex 1099511627776, tx 0x${'d4'.repeat(32)} has logIndex 1099511627776, more than the store's int4 holds\\)$`,
          ),
        );
        expect(await db.selectFrom('raw_logs').selectAll().execute()).toEqual([]);
      } finally {
        await close();
      }
    });
  });
});
