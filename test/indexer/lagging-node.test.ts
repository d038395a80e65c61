import { afterEach, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { behindAt, startRewriteProxy, type RewriteProxy } from '../helpers/rewrite-proxy.ts';
import { protocols, emitPings, pingConfig, storedPings } from './support.ts';

const chain = withAnvil(42161);
let proxies: RewriteProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

/** Short waits so that a node that never catches up fails in about a second. */
const waits = { lagBaseMs: 50, lagMaxMs: 200, restartBaseMs: 20, restartMaxMs: 100 };
const rpcOverrides = { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 100 };

function configFor(urls: string[], startBlock: bigint, opts: { endBlock?: bigint; laggingNodeTimeout?: number } = {}) {
  const config = pingConfig(urls, { chainId: 42161, startBlock: Number(startBlock), ...(opts.endBlock !== undefined ? { endBlock: Number(opts.endBlock) } : {}) });
  config.chains.local!.laggingNodeTimeout = opts.laggingNodeTimeout ?? 1;
  return config;
}

async function cursorOf(db: Kysely<Database>) {
  return db.selectFrom('cursors').select(['block_number', 'block_hash']).where('source_id', '=', 'pings').executeTakeFirstOrThrow();
}

async function proxy(...args: Parameters<typeof startRewriteProxy>) {
  const p = await startRewriteProxy(...args);
  proxies.push(p);
  return p;
}

forEachDatabase((dbName, open) => {
  describe(`a node behind the indexed data on ${dbName}`, () => {
    it('is not a reorg: nothing is rolled back, and the run fails after laggingNodeTimeout naming the lag', async () => {
      const url = chain().rpcUrl;
      // 40 blocks with 2 Pings, each followed by 4 empty blocks: 200 blocks, all indexed.
      const history = await emitPings(url, { blocksWithLogs: 40, perBlock: 2, gap: 4 });
      const { db, close } = await open();
      try {
        await indexConfig(db, configFor([url], history.firstBlock), { protocols });
        const before = await cursorOf(db);
        expect(BigInt(before.block_number!)).toBe(history.lastBlock);

        // The node has synced only the first 100 blocks: null headers above, tags at its own head.
        const lagHead = history.firstBlock + 99n;
        const behind = await proxy(url, behindAt(() => lagHead));
        const started = Date.now();
        const run = indexConfig(db, configFor([behind.url], history.firstBlock, { laggingNodeTimeout: 1 }), { protocols, waits, rpc: rpcOverrides });
        await expect(run).rejects.toThrow(
          new RegExp(`the RPC node local#0 \\(127\\.0\\.0\\.1:\\d+\\) is behind the indexed data \\(it has no block ${history.lastBlock}, the last indexed; its latest block is ${lagHead}\\).*nothing was rolled back`),
        );
        // Bounded: about laggingNodeTimeout (1 s), not minutes.
        expect(Date.now() - started).toBeLessThan(10_000);
        // Every row and the cursor are as they were.
        expect(await cursorOf(db)).toEqual(before);
        expect((await storedPings(db)).raw).toEqual(history.emitted);
        expect((await storedPings(db)).decoded).toEqual(history.emitted);
        const blocks = await db.selectFrom('blocks').select((eb) => eb.fn.countAll<string>().as('n')).where('number', '>', lagHead.toString()).executeTakeFirstOrThrow();
        expect(Number(blocks.n)).toBeGreaterThan(0);
      } finally {
        await close();
      }
    }, 60_000);

    it('fails over to an endpoint in sync and goes on from the cursor, refetching nothing', async () => {
      const url = chain().rpcUrl;
      const history = await emitPings(url, { blocksWithLogs: 40, perBlock: 2, gap: 4 });
      const { db, close } = await open();
      try {
        await indexConfig(db, configFor([url], history.firstBlock), { protocols });
        const more = await emitPings(url, { blocksWithLogs: 3, perBlock: 2, gap: 1, firstSeq: 1001 });
        const behind = await proxy(url, behindAt(() => history.firstBlock + 99n));
        const summary = (await indexConfig(db, configFor([behind.url, url], history.firstBlock), { protocols, waits, rpc: rpcOverrides })).sources[0]!;
        expect(behind.calls.eth_getBlockByNumber).toBeGreaterThan(0); // it was asked first
        expect(summary.rewinds).toBe(0);
        expect(summary.records).toBe(more.emitted.length); // only the new blocks were fetched
        expect((await storedPings(db)).raw).toEqual([...history.emitted, ...more.emitted]);
        expect(BigInt((await cursorOf(db)).block_number!)).toBe(more.lastBlock);
      } finally {
        await close();
      }
    }, 60_000);

    it('an endpoint whose head tags run ahead of the blocks it has is lag in catch-up too: waited for, not restarted 50 times', async () => {
      const url = chain().rpcUrl;
      const history = await emitPings(url, { blocksWithLogs: 40, perBlock: 2, gap: 4 });
      const indexedTo = history.firstBlock + 49n;
      const missingAbove = history.firstBlock + 119n;
      const { db, close } = await open();
      try {
        await indexConfig(db, configFor([url], history.firstBlock, { endBlock: indexedTo }), { protocols });
        // It says the head is the chain's, but has no block above missingAbove.
        const inconsistent = await proxy(url, behindAt(() => missingAbove, { tagsTruthful: true }));
        const run = indexConfig(db, configFor([inconsistent.url], history.firstBlock, { laggingNodeTimeout: 1 }), { protocols, waits, rpc: rpcOverrides });
        await expect(run).rejects.toThrow(new RegExp(`is behind the indexed data \\(it has no block ${history.lastBlock}, at or below the safe head\\)`));
        // A handful of attempts over the second it waited, not 101 getLogs in a tight loop.
        expect(inconsistent.calls.eth_getLogs ?? 0).toBeLessThan(30);
        // Nothing lost; what was fetched before the gap may be stored, in order, with no hole.
        const stored = (await storedPings(db)).raw;
        expect(stored).toEqual(history.emitted.slice(0, stored.length));
        expect(stored.length).toBeGreaterThanOrEqual(history.emitted.filter((e) => e.block <= indexedTo).length);

        // With an endpoint in sync after it, the run completes.
        const summary = (await indexConfig(db, configFor([inconsistent.url, url], history.firstBlock), { protocols, waits, rpc: rpcOverrides })).sources[0]!;
        expect(summary.rewinds).toBe(0);
        expect((await storedPings(db)).raw).toEqual(history.emitted);
      } finally {
        await close();
      }
    }, 60_000);
  });
});

