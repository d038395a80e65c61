import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, FactTable } from '../db/schema.ts';
import type { RawLog } from './decoder.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Postgres accepts at most 65,535 bind parameters per statement; stay well under it. */
const MAX_PARAMS = 60_000;
/** Rows per unnest() statement: parameters are one array per column, so only memory bounds this. */
const UNNEST_ROWS = 20_000;

/**
 * Inserts raw logs with one `insert … select from unnest(arrays)` per 20,000 rows: a multi-row insert
 * whose parameter count does not grow with the row count, and much cheaper to parse than 14 binds per
 * row. Idempotent on (source_id, block_number, log_index).
 *
 * The log data travels as ONE binary bytea parameter (all payloads concatenated) plus offsets and
 * lengths that cut it back into rows on the server. Sent as a text array of hex strings instead, the
 * server spent most of the insert parsing the array literal and decoding hex: measured on 30,000 GMX
 * logs (118 MB), 4.7 s of server CPU against 0.8 s this way.
 */
export async function insertRawLogs(db: Db, sourceId: string, logs: readonly RawLog[]): Promise<void> {
  for (let i = 0; i < logs.length; i += UNNEST_ROWS) {
    const part = logs.slice(i, i + UNNEST_ROWS);
    const col = <T>(f: (log: RawLog) => T): T[] => part.map(f);
    const { blob, offsets, lengths } = concatData(part);
    await sql`
      insert into raw_logs (source_id, chain_id, block_number, block_hash, block_time, tx_hash, tx_index, log_index,
                            address, topic0, topic1, topic2, topic3, data)
      select ${sourceId}, chain_id, block_number, block_hash, block_time, tx_hash, tx_index, log_index, address,
             topic0, topic1, topic2, topic3, substring(${blob}::bytea from data_offset for data_length) from unnest(
        ${col((l) => l.chainId)}::int[], ${col((l) => l.blockNumber.toString())}::int8[], ${col((l) => l.blockHash)}::text[],
        ${col((l) => (l.blockTime ? l.blockTime.toISOString() : null))}::timestamptz[], ${col((l) => l.txHash)}::text[],
        ${col((l) => l.txIndex)}::int[], ${col((l) => l.logIndex)}::int[], ${col((l) => l.address)}::text[],
        ${col((l) => l.topics[0] ?? null)}::text[], ${col((l) => l.topics[1] ?? null)}::text[],
        ${col((l) => l.topics[2] ?? null)}::text[], ${col((l) => l.topics[3] ?? null)}::text[], ${offsets}::int[], ${lengths}::int[])
        as u(chain_id, block_number, block_hash, block_time, tx_hash, tx_index, log_index, address, topic0, topic1, topic2, topic3,
             data_offset, data_length)
      on conflict (source_id, block_number, log_index) do nothing`.execute(db);
  }
}

/** The logs' data as bytes, end to end, with each log's 1-based offset (SQL substring) and length. */
function concatData(logs: readonly RawLog[]): { blob: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = new Array(logs.length);
  const lengths: number[] = new Array(logs.length);
  let total = 0;
  for (let i = 0; i < logs.length; i++) {
    lengths[i] = (logs[i]!.data.length - 2) >> 1;
    offsets[i] = total + 1;
    total += lengths[i]!;
  }
  // Hex is written straight into one buffer: no per-log buffers, no second copy.
  const blob = Buffer.allocUnsafe(total);
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i]!;
    const written = blob.write(log.data.slice(2), offsets[i]! - 1, lengths[i]!, 'hex');
    // Buffer#write stops at the first non-hex pair; the fetcher has validated the data, so this is a bug guard.
    if (written !== lengths[i] || log.data.length % 2 !== 0) {
      throw new Error(`log ${log.txHash}:${log.logIndex} in block ${log.blockNumber}: data is not whole hex bytes`);
    }
  }
  return { blob, offsets, lengths };
}

/** Stores headers; the newest knowledge of a block number wins (a rolled-back branch was deleted first). */
export async function upsertBlocks(db: Db, chainId: number, headers: readonly BlockHeader[]): Promise<void> {
  for (let i = 0; i < headers.length; i += UNNEST_ROWS) {
    const part = headers.slice(i, i + UNNEST_ROWS);
    await sql`
      insert into blocks (chain_id, number, hash, parent_hash, timestamp)
      select ${chainId}::int, * from unnest(${part.map((h) => h.number.toString())}::int8[], ${part.map((h) => h.hash)}::text[],
        ${part.map((h) => h.parentHash)}::text[], ${part.map((h) => new Date(h.timestamp * 1000).toISOString())}::timestamptz[])
      on conflict (chain_id, number) do update set hash = excluded.hash, parent_hash = excluded.parent_hash, timestamp = excluded.timestamp`.execute(db);
  }
}

/**
 * Multi-row INSERT … ON CONFLICT DO NOTHING of decoder rows, chunked under the bind-parameter limit.
 * The conflict target is each table's natural key, so re-writing a batch stores nothing twice.
 */
export async function insertRows(db: Db, table: FactTable | 'decode_errors', rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  // Columns vary by row (optional fields); use the widest row to size chunks.
  let columns = 1;
  for (const row of rows) columns = Math.max(columns, Object.keys(row).length);
  const perChunk = Math.max(1, Math.floor(MAX_PARAMS / columns));
  for (let i = 0; i < rows.length; i += perChunk) {
    const part = rows.slice(i, i + perChunk);
    await (db as Kysely<Database>)
      .insertInto(table as 'liquidations')
      .values(part as never)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
