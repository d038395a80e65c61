import { describe, expect, it } from 'vitest';
import { emptyOutput, type Decoder } from '../../src/pipeline/decode.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { redecode } from '../../src/indexer/redecode.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { emitPings, pingConfig, pingProtocol, protocols, storedPings } from './support.ts';

const chain = withAnvil(42161);

/** A "buggy" first version of the decoder: it turns every log into a decode error. */
const buggyDecoder: Decoder<RawLog> = {
  async decode(logs, ctx) {
    const rows = emptyOutput();
    for (const log of logs) {
      rows.decodeErrors.push({ source_id: ctx.source.id, protocol: 'ping', chain_id: log.chainId, block_number: log.blockNumber, log_index: log.logIndex, tx_hash: log.txHash, reason: 'bug' });
    }
    return rows;
  },
};

forEachDatabase((dbName, open) => {
  describe(`redecode on ${dbName}`, () => {
    it('re-derives rows from raw_logs with the fixed decoder and no RPC at all', async () => {
      const { emitted, firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 30, perBlock: 7, gap: 1 });
      const { db, close } = await open();
      try {
        const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock) });
        await indexConfig(db, config, { protocols: [pingProtocol(buggyDecoder)], batchLogs: 50 });
        expect((await storedPings(db)).decoded).toEqual([]);
        const errorsBefore = await db.selectFrom('decode_errors').select('id').execute();
        expect(errorsBefore).toHaveLength(emitted.length);

        // The RPC URL is now unreachable: redecode must not need it.
        const offline = pingConfig(['http://127.0.0.1:9'], { chainId: 42161, startBlock: Number(firstBlock) });
        const [summary] = await redecode(db, offline, { protocols });
        expect(summary).toEqual({ sourceId: 'pings', logs: emitted.length, rows: emitted.length });
        const stored = await storedPings(db);
        expect(stored.decoded).toEqual(emitted);
        expect(await db.selectFrom('decode_errors').select('id').execute()).toEqual([]);
        // Running it again changes nothing.
        await redecode(db, offline, { protocols });
        expect((await storedPings(db)).decoded).toEqual(emitted);
      } finally {
        await close();
      }
    });
  });
});
