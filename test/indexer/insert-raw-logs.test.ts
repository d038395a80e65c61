import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Hex } from 'viem';
import { forEachDatabase } from '../helpers/db.ts';
import { insertRawLogs } from '../../src/sources/evm/raw-log-store.ts';
import type { RawLog } from '../../src/pipeline/records.ts';

const h = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
/** Deterministic bytes, different for every log. */
const bytesOf = (i: number, length: number) => Buffer.from(Array.from({ length }, (_, k) => (k * 97 + i * 13 + 5) % 256));

function rawLog(i: number, data: { bytes: Uint8Array } | { hex: Hex }): RawLog {
  return {
    chainId: 42161,
    blockNumber: BigInt(1000 + Math.floor(i / 3)),
    blockHash: h(0xb000 + Math.floor(i / 3)),
    blockTime: new Date(Date.UTC(2025, 9, 10, 21, 15) + i * 1000),
    txHash: h(0x7000 + i),
    txIndex: i % 3,
    logIndex: i,
    address: '0xc8ee91a54287db53897056e12d9819156d3822fb',
    topics: i % 2 === 0 ? [h(0xaa), h(i)] : [h(0xbb)],
    ...('bytes' in data ? { dataBytes: data.bytes, data: `0x${Buffer.from(data.bytes).toString('hex')}` as Hex } : { data: data.hex }),
  };
}

/** Logs as the fetcher makes them: each page's data end to end in one buffer of its own, logs holding views. */
function page(first: number, lengths: number[]): RawLog[] {
  const all = Buffer.allocUnsafeSlow(lengths.reduce((a, b) => a + b, 0));
  let offset = 0;
  return lengths.map((length, k) => {
    const view = all.subarray(offset, offset + length);
    bytesOf(first + k, length).copy(view);
    offset += length;
    return rawLog(first + k, { bytes: view });
  });
}

forEachDatabase((dbName, open) => {
  describe(`raw log insert on ${dbName}`, () => {
    it('stores every log\'s data exactly, whether it comes as views into page buffers, as hex, or as a view into a large unrelated buffer', async () => {
      const { db, close } = await open();
      try {
        await sql`insert into sources (id, kind, protocol, venue) values ('s', 'evm', 'gmx-v2', 'gmx-v2')`.execute(db);
        // A big buffer of which a log uses 10 bytes: copied rather than sent whole.
        const big = Buffer.alloc(1_000_000, 0xee);
        bytesOf(9, 10).copy(big, 500_000);
        const logs = [
          ...page(0, [0, 1, 300, 7000]),
          ...page(4, [64, 0, 32]),
          rawLog(7, { hex: `0x${bytesOf(7, 40).toString('hex')}` as Hex }),
          rawLog(8, { hex: '0x' }),
          rawLog(9, { bytes: big.subarray(500_000, 500_010) }),
          ...page(10, [5, 6]),
        ];
        const expected = [0, 1, 300, 7000, 64, 0, 32, 40, 0, 10, 5, 6].map((length, i) => bytesOf(i, length).toString('hex'));
        await db.transaction().execute((trx) => insertRawLogs(trx, 's', logs));
        // Written twice: nothing changes.
        await db.transaction().execute((trx) => insertRawLogs(trx, 's', logs));
        const rows = await sql<{ log_index: number; data_hex: string; topic0: string; topic1: string | null; block_number: string; block_time: Date }>`
          select log_index, encode(data, 'hex') as data_hex, topic0, topic1, block_number::text, block_time
          from raw_logs where source_id = 's' order by log_index`.execute(db);
        expect(rows.rows.map((r) => r.data_hex)).toEqual(expected);
        rows.rows.forEach((r, i) => {
          expect(r.log_index).toBe(i);
          expect(r.block_number).toBe(String(1000 + Math.floor(i / 3)));
          expect(new Date(r.block_time).getTime()).toBe(Date.UTC(2025, 9, 10, 21, 15) + i * 1000);
          expect(r.topic0).toBe(i % 2 === 0 ? h(0xaa) : h(0xbb));
          expect(r.topic1).toBe(i % 2 === 0 ? h(i) : null);
        });
      } finally {
        await close();
      }
    });

    it('a batch that overlaps stored logs adds only the new ones, each once', async () => {
      const { db, close } = await open();
      try {
        await sql`insert into sources (id, kind, protocol, venue) values ('s', 'evm', 'gmx-v2', 'gmx-v2')`.execute(db);
        const lengths = [10, 20, 30, 40, 50, 60, 70, 80, 90];
        const all = page(0, lengths);
        await db.transaction().execute((trx) => insertRawLogs(trx, 's', all.slice(0, 6)));
        await db.transaction().execute((trx) => insertRawLogs(trx, 's', all.slice(3)));
        const rows = await sql<{ log_index: number; data_hex: string }>`
          select log_index, encode(data, 'hex') as data_hex from raw_logs where source_id = 's' order by log_index, data`.execute(db);
        expect(rows.rows).toEqual(lengths.map((length, i) => ({ log_index: i, data_hex: bytesOf(i, length).toString('hex') })));
      } finally {
        await close();
      }
    });
  });
});
