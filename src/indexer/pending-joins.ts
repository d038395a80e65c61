import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { JoinOp, PendingReader } from '../pipeline/decode.ts';

/** Keys per `in (…)` list: well under Postgres' parameter limit, and small enough to plan well. */
const KEYS_PER_QUERY = 500;

/**
 * The halves of joins a source left waiting in `pending_joins`, read through the batch's transaction
 * (so a batch sees exactly what the batches before it committed).
 */
export function pendingReader(trx: Transaction<Database>, sourceId: string): PendingReader {
  return {
    async find(kind, keys) {
      const out = new Map<string, Record<string, unknown>>();
      const unique = [...new Set(keys)];
      for (let i = 0; i < unique.length; i += KEYS_PER_QUERY) {
        const rows = await trx
          .selectFrom('pending_joins')
          .select(['key', 'payload'])
          .where('source_id', '=', sourceId)
          .where('kind', '=', kind)
          .where('key', 'in', unique.slice(i, i + KEYS_PER_QUERY))
          .execute();
        for (const row of rows) {
          const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload;
          out.set(row.key, payload as Record<string, unknown>);
        }
      }
      return out;
    },
  };
}

/** Applies a decoder's join operations in the order it returned them. */
export async function applyJoins(trx: Transaction<Database>, sourceId: string, joins: readonly JoinOp[]): Promise<void> {
  for (const op of joins) {
    if (op.op === 'delete') {
      const unique = [...new Set(op.keys)];
      for (let i = 0; i < unique.length; i += KEYS_PER_QUERY) {
        await trx
          .deleteFrom('pending_joins')
          .where('source_id', '=', sourceId)
          .where('kind', '=', op.kind)
          .where('key', 'in', unique.slice(i, i + KEYS_PER_QUERY))
          .execute();
      }
      continue;
    }
    const payload = jsonText(op.payload);
    const blockNumber = op.blockNumber === null ? null : op.blockNumber.toString();
    await trx
      .insertInto('pending_joins')
      .values({ source_id: sourceId, kind: op.kind, key: op.key, block_number: blockNumber, payload })
      .onConflict((oc) => oc.columns(['source_id', 'kind', 'key']).doUpdateSet({ payload, block_number: blockNumber }))
      .execute();
  }
}

/** JSON with bigints as decimal strings (payloads carry exact on-chain integers). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
