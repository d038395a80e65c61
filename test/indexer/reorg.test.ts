import { describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { rpc } from '../../src/sim/log-emitter.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { protocols, emitPings, pingConfig, storedPings, type Emitted } from './support.ts';

const chain = withAnvil(42161);

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sortBySeq = (list: Emitted[]) => [...list].sort((a, b) => a.seq - b.seq);

forEachDatabase((dbName, open) => {
  describe(`reorgs on ${dbName}`, () => {
    it('--follow ends with exactly the new branch after anvil reverts and mines a different branch', async () => {
      const url = chain().rpcUrl;
      // Common history: 10 blocks with 3 Pings each.
      const common = await emitPings(url, { blocksWithLogs: 10, perBlock: 3, gap: 0, firstSeq: 1 });
      const snapshot = await rpc<Hex>(url, 'evm_snapshot');
      // Old branch: 12 blocks, seqs 1001…
      const old = await emitPings(url, { blocksWithLogs: 6, perBlock: 4, gap: 1, firstSeq: 1001 });

      const { db, close } = await open();
      const controller = new AbortController();
      try {
        const config = pingConfig([url], { chainId: 42161, startBlock: Number(common.firstBlock) });
        const run = indexConfig(db, config, { protocols, follow: true, signal: controller.signal });
        run.catch(() => {});
        await waitFor('the old branch to be indexed', async () => (await storedPings(db)).raw.length === common.emitted.length + old.emitted.length);
        expect((await storedPings(db)).raw).toEqual(sortBySeq([...common.emitted, ...old.emitted]));

        // Reorg: back to the end of the common history, then a different branch of the same height + 2.
        await rpc(url, 'evm_revert', [snapshot]);
        const fresh = await emitPings(url, { blocksWithLogs: 7, perBlock: 2, gap: 1, firstSeq: 2001 });
        expect(fresh.firstBlock).toBe(old.firstBlock); // the new branch replaces the same heights
        const expected = sortBySeq([...common.emitted, ...fresh.emitted]);
        // Up to the new head: its last block is an empty one after the last Ping, which a poll between
        // the two blocks reaches only with the next batch.
        await waitFor('the new branch to replace the old one', async () => {
          const stored = await storedPings(db);
          const cursor = await db.selectFrom('cursors').select('position').where('source_id', '=', 'pings').executeTakeFirst();
          return stored.raw.length === expected.length && stored.raw.every((e, i) => e.seq === expected[i]!.seq) && BigInt(cursor?.position ?? -1) === fresh.lastBlock;
        });
        controller.abort();
        const summary = await run;
        expect(summary.sources[0]!.rewinds).toBeGreaterThanOrEqual(1);

        const stored = await storedPings(db);
        expect(stored.raw).toEqual(expected);
        expect(stored.decoded).toEqual(expected);
        // Nothing of the dropped branch survives anywhere, and headers match the new chain.
        const head = await rpc<{ hash: string }>(url, 'eth_getBlockByNumber', [`0x${fresh.lastBlock.toString(16)}`, false]);
        const cursor = await db.selectFrom('cursors').selectAll().where('source_id', '=', 'pings').executeTakeFirstOrThrow();
        expect(cursor.block_hash).toBe(head.hash);
        const staleBlocks = await db.selectFrom('blocks').select('number').where('number', '>', fresh.lastBlock.toString()).execute();
        expect(staleBlocks).toEqual([]);
      } finally {
        controller.abort();
        await close();
      }
    });

    it('rolls back exactly to the fork when the stored blocks cross a digit boundary (fork 6 blocks past it, cursor 20 past it)', async () => {
      const url = chain().rpcUrl;
      // Stored history B−110 … B+5 around a power of ten B, with a log in every block: more than one page
      // (100 rows) of the walk, and "999" > "1005" as text, so a text ordering pages through the blocks
      // below B first. The chain is shared with earlier files, so B is the next power of ten with room.
      const head = BigInt(await rpc<Hex>(url, 'eth_blockNumber'));
      let boundary = 1000n;
      while (boundary - 111n < head) boundary *= 10n;
      if (boundary - 111n > head) await rpc(url, 'anvil_mine', [`0x${(boundary - 111n - head).toString(16)}`]);
      const common = await emitPings(url, { blocksWithLogs: 116, perBlock: 1, gap: 0, firstSeq: 1 });
      expect([common.firstBlock, common.lastBlock]).toEqual([boundary - 110n, boundary + 5n]);
      const snapshot = await rpc<Hex>(url, 'evm_snapshot');
      const old = await emitPings(url, { blocksWithLogs: 15, perBlock: 1, gap: 0, firstSeq: 1001 });
      expect(old.lastBlock).toBe(boundary + 20n);
      const { db, close } = await open();
      try {
        const config = pingConfig([url], { chainId: 42161, startBlock: Number(common.firstBlock) });
        await indexConfig(db, config, { protocols });
        await rpc(url, 'evm_revert', [snapshot]);
        const fresh = await emitPings(url, { blocksWithLogs: 17, perBlock: 1, gap: 0, firstSeq: 2001 });
        expect([fresh.firstBlock, fresh.lastBlock]).toEqual([boundary + 6n, boundary + 22n]);
        const summary = (await indexConfig(db, config, { protocols })).sources[0]!;
        expect(summary.rewinds).toBe(1);
        // Rolled back to B+5 exactly: this run wrote the new branch's 17 logs and none of the common ones again.
        expect(summary.from).toBe(String(boundary + 21n));
        expect(summary.records).toBe(fresh.emitted.length);
        expect((await storedPings(db)).raw).toEqual(sortBySeq([...common.emitted, ...fresh.emitted]));
      } finally {
        await close();
      }
    }, 120_000);

    it('a later catch-up run detects a reorg that happened between runs', async () => {
      const url = chain().rpcUrl;
      const common = await emitPings(url, { blocksWithLogs: 5, perBlock: 2, gap: 0, firstSeq: 1 });
      const snapshot = await rpc<Hex>(url, 'evm_snapshot');
      await emitPings(url, { blocksWithLogs: 5, perBlock: 2, gap: 0, firstSeq: 101 });
      const { db, close } = await open();
      try {
        const config = pingConfig([url], { chainId: 42161, startBlock: Number(common.firstBlock) });
        await indexConfig(db, config, { protocols });
        await rpc(url, 'evm_revert', [snapshot]);
        // A shorter branch: the old cursor block does not exist any more.
        const fresh = await emitPings(url, { blocksWithLogs: 3, perBlock: 1, gap: 0, firstSeq: 201 });
        const summary = await indexConfig(db, config, { protocols });
        expect(summary.sources[0]!.rewinds).toBe(1);
        expect((await storedPings(db)).raw).toEqual(sortBySeq([...common.emitted, ...fresh.emitted]));
      } finally {
        await close();
      }
    });
  });
});
