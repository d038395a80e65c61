import { beforeAll, describe, expect, it } from 'vitest';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { protocols, emitPings, pingConfig, storedPings, type Emitted } from './support.ts';

const chain = withAnvil(42161);
let emitted: Emitted[] = [];
let firstBlock = 0n;
let lastBlock = 0n;

beforeAll(async () => {
  // 1,000 blocks of 50 logs, each followed by an empty block: 50,000 events over 2,000 blocks. (Emitting
  // is anvil's time: about 15 ms a transaction here, so blocks cost more than logs.)
  ({ emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 1_000, perBlock: 50, gap: 1 }));
}, 300_000);

forEachDatabase((dbName, open) => {
  describe(`EVM indexer on ${dbName}`, () => {
    it('stores 50,000 events over 2,000 blocks exactly once', async () => {
      expect(lastBlock - firstBlock + 1n).toBe(2_000n);
      expect(emitted).toHaveLength(50_000);
      const { db, close } = await open();
      try {
        // Ranges of at most 150 blocks: many eth_getLogs pages and write batches.
        const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock), maxBlockRange: 150 });
        const summary = await indexConfig(db, config, { protocols });
        expect(summary.sources[0]!.records).toBe(50_000);
        const stored = await storedPings(db);
        expect(stored.raw).toEqual(emitted);
        expect(stored.decoded).toEqual(emitted);
        const cursor = await db.selectFrom('cursors').selectAll().where('source_id', '=', 'pings').executeTakeFirstOrThrow();
        expect(BigInt(cursor.position)).toBe(lastBlock);
        // Every block holding a log has its header (timestamp) stored, and raw logs carry that time.
        const missing = await db
          .selectFrom('raw_logs')
          .leftJoin('blocks', (j) => j.onRef('blocks.number', '=', 'raw_logs.block_number').onRef('blocks.chain_id', '=', 'raw_logs.chain_id'))
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where((eb) => eb.or([eb('blocks.hash', 'is', null), eb('raw_logs.block_time', 'is', null), eb('blocks.hash', '!=', eb.ref('raw_logs.block_hash'))]))
          .executeTakeFirstOrThrow();
        expect(Number(missing.n)).toBe(0);

        // A second run finds nothing new and changes nothing.
        const again = await indexConfig(db, config, { protocols });
        expect(again.sources[0]!.records).toBe(0);
        expect((await storedPings(db)).raw).toHaveLength(50_000);
      } finally {
        await close();
      }
    });
  });
});
