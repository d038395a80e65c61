import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

/** The stream name of the EVM log cursor in `cursors`. */
export const LOG_STREAM = 'logs';

export interface LogCursor {
  /** Last block fully indexed (startBlock − 1 before anything was indexed). */
  block: bigint;
  /** Its hash; null before anything was indexed. */
  hash: string | null;
}

export async function readCursor(db: Kysely<Database> | Transaction<Database>, sourceId: string, startBlock: number): Promise<LogCursor> {
  const row = await db
    .selectFrom('cursors')
    .select(['position', 'block_hash'])
    .where('source_id', '=', sourceId)
    .where('stream', '=', LOG_STREAM)
    .executeTakeFirst();
  if (!row) return { block: BigInt(startBlock) - 1n, hash: null };
  return { block: BigInt(row.position), hash: row.block_hash };
}

export async function writeCursor(db: Kysely<Database> | Transaction<Database>, sourceId: string, cursor: LogCursor): Promise<void> {
  const values = {
    position: cursor.block.toString(),
    block_number: cursor.block,
    block_hash: cursor.hash,
    updated_at: new Date(),
  };
  await db
    .insertInto('cursors')
    .values({ source_id: sourceId, stream: LOG_STREAM, ...values })
    .onConflict((oc) => oc.columns(['source_id', 'stream']).doUpdateSet(values))
    .execute();
}
