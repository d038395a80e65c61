import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { CursorRow, CursorUpdate } from '../pipeline/source.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A source's committed cursor rows, by stream. */
export async function readCursors(db: Db, sourceId: string): Promise<Map<string, CursorRow>> {
  const rows = await db.selectFrom('cursors').select(['stream', 'position', 'block_number', 'block_hash']).where('source_id', '=', sourceId).execute();
  return new Map(
    rows.map((r) => [
      r.stream,
      { stream: r.stream, position: r.position, blockNumber: r.block_number === null ? null : BigInt(r.block_number), blockHash: r.block_hash },
    ]),
  );
}

/** Writes cursor rows (in the transaction of the batch that moved them). */
export async function writeCursors(db: Db, sourceId: string, updates: readonly CursorUpdate[]): Promise<void> {
  for (const update of updates) {
    const values = {
      position: update.position,
      block_number: update.blockNumber ?? null,
      block_hash: update.blockHash ?? null,
      updated_at: new Date(),
    };
    await db
      .insertInto('cursors')
      .values({ source_id: sourceId, stream: update.stream, ...values })
      .onConflict((oc) => oc.columns(['source_id', 'stream']).doUpdateSet(values))
      .execute();
  }
}
