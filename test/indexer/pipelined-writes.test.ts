import { beforeAll, describe, expect, it } from 'vitest';
import { indexConfig } from '../../src/indexer/index-config.ts';
import type { Decoder } from '../../src/pipeline/decode.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { emitPings, pingConfig, pingDecoder, pingProtocol, protocols, storedPings, type Emitted } from './support.ts';

/**
 * Batches are written two at a time (a batch's raw logs go in while the previous one decodes). These
 * tests check what that must not change: batches decode in order, each seeing what the previous one
 * committed, and a failed batch leaves the store exactly at the last batch before it.
 */
const chain = withAnvil(42161);
let emitted: Emitted[] = [];
let firstBlock = 0n;
let lastBlock = 0n;
const BATCH_LOGS = 100;

beforeAll(async () => {
  // 60 blocks of 20 Pings: 1,200 events, 12 batches of 100.
  ({ emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 60, perBlock: 20, gap: 0 }));
}, 120_000);

/** The ping decoder, recording the first block of every batch it is given and failing on the `failAt`-th. */
function recordingDecoder(failAt?: number): { decoder: Decoder<RawLog>; batches: bigint[] } {
  const batches: bigint[] = [];
  const decoder: Decoder<RawLog> = {
    async decode(logs, ctx) {
      batches.push(logs[0]!.blockNumber);
      // A database-like failure (not a DecodeFailure): it must abort the batch, not become a decode error.
      if (batches.length === failAt) throw new Error('simulated database failure while decoding');
      // Slow enough that the next batch's raw insert really runs while this one decodes.
      await new Promise((r) => setTimeout(r, 20));
      return pingDecoder.decode(logs, ctx);
    },
  };
  return { decoder, batches };
}

forEachDatabase((dbName, open) => {
  describe(`pipelined batch writes on ${dbName}`, () => {
    it('decode batches in block order, one after another', async () => {
      const { db, close } = await open();
      try {
        const { decoder, batches } = recordingDecoder();
        const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock), endBlock: Number(lastBlock), maxBlockRange: 5 });
        await indexConfig(db, config, { protocols: [pingProtocol(decoder)], batchLogs: BATCH_LOGS });
        expect(batches.length).toBeGreaterThanOrEqual(emitted.length / BATCH_LOGS);
        expect([...batches].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(batches);
        const stored = await storedPings(db);
        expect(stored.raw).toEqual(emitted);
        expect(stored.decoded).toEqual(emitted);
      } finally {
        await close();
      }
    });

    it('a batch that fails leaves exactly the batches before it: no later raw log, row or cursor', async () => {
      const { db, close } = await open();
      try {
        const { decoder, batches } = recordingDecoder(4);
        const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock), endBlock: Number(lastBlock), maxBlockRange: 5 });
        await expect(indexConfig(db, config, { protocols: [pingProtocol(decoder)], batchLogs: BATCH_LOGS })).rejects.toThrow(/simulated database failure/);
        // Batches 1–3 committed; the 4th failed, so everything from its first block on is absent.
        const failedFrom = batches[3]!;
        const expected = emitted.filter((e) => e.block < failedFrom);
        expect(expected.length).toBeGreaterThan(0);
        const stored = await storedPings(db);
        expect(stored.raw).toEqual(expected);
        expect(stored.decoded).toEqual(expected);
        const cursor = await db.selectFrom('cursors').selectAll().where('source_id', '=', 'pings').executeTakeFirstOrThrow();
        expect(BigInt(cursor.position)).toBe(failedFrom - 1n);

        // A rerun picks up from there and ends exact.
        await indexConfig(db, config, { protocols, batchLogs: BATCH_LOGS });
        const after = await storedPings(db);
        expect(after.raw).toEqual(emitted);
        expect(after.decoded).toEqual(emitted);
      } finally {
        await close();
      }
    });
  });
});
