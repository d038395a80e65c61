import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';
import { insertRawLogs, insertRows, upsertBlocks } from './bulk-insert.ts';
import { writeCursor, type LogCursor } from './cursor.ts';
import type { DecodedRows, EvmDecoder, RawLog, SourceInfo } from './decoder.ts';

/** Which table each list of DecodedRows goes to, in write order. */
export const DECODED_TABLES = [
  ['liquidations', 'liquidations'],
  ['adlEvents', 'adl_events'],
  ['oraclePrices', 'oracle_prices'],
  ['trades', 'trades'],
  ['venueEvents', 'venue_events'],
  ['decodeErrors', 'decode_errors'],
] as const satisfies readonly (readonly [keyof DecodedRows, string])[];

/** Runs the decoder in `trx` and writes its rows (idempotently). Returns the number of rows written. */
export async function decodeAndWrite(trx: Transaction<Database>, decoder: EvmDecoder, source: SourceInfo, logs: readonly RawLog[]): Promise<number> {
  if (logs.length === 0) return 0;
  return writeDecodedRows(trx, source, await decoder.decode(logs, { source, trx }));
}

/** Writes a decoder's rows, each list into its table (ON CONFLICT DO NOTHING). Returns the row count. */
export async function writeDecodedRows(trx: Transaction<Database>, source: SourceInfo, rows: DecodedRows): Promise<number> {
  let count = 0;
  for (const [key, table] of DECODED_TABLES) {
    // Rows are deleted by source_id on a reorg or redecode: make sure every row carries it.
    const list = (rows[key] as object[]).map((row) =>
      (row as { source_id?: unknown }).source_id == null ? { ...row, source_id: source.id } : row,
    );
    await insertRows(trx, table, list);
    count += list.length;
  }
  return count;
}

export interface Batch {
  logs: RawLog[];
  headers: BlockHeader[];
  /** The cursor after this batch: its last block and that block's hash. */
  cursor: LogCursor;
}

/**
 * Writes one batch in ONE transaction: raw logs, headers, decoded rows and the cursor. A crash at any
 * point leaves either all of it or none of it; writing it twice changes nothing (natural keys).
 *
 * `after` lets batches overlap: the raw logs go in at once, but decoding waits for `after` (the previous
 * batch's commit), because decoders join across batches through pending_joins and must see what the
 * previous batch left there; the cursor is written after that, so cursors still commit in order. If
 * `after` rejects, this transaction rolls back. With PGlite (one connection) transactions simply queue.
 */
export async function writeBatch(
  db: Kysely<Database>,
  decoder: EvmDecoder,
  source: SourceInfo,
  batch: Batch,
  after: Promise<unknown> = Promise.resolve(),
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // The raw-log insert is mostly the server's work and decoding is mostly ours: run them at the same
    // time on the transaction's one connection (queries queue on it in order). allSettled, so that no
    // query of either is still running when a failure rolls the transaction back.
    const [raw, decoded] = await Promise.allSettled([
      insertRawLogs(trx, source.id, batch.logs).then(() => upsertBlocks(trx, source.chainId, batch.headers)),
      after.then(() => (batch.logs.length === 0 ? null : decoder.decode(batch.logs, { source, trx }))),
    ]);
    if (raw.status === 'rejected') throw raw.reason;
    if (decoded.status === 'rejected') throw decoded.reason;
    const rows = decoded.value ? await writeDecodedRows(trx, source, decoded.value) : 0;
    await writeCursor(trx, source.id, batch.cursor);
    return rows;
  });
}
