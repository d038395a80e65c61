import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { toJson } from './rows.ts';

/**
 * The `pending_joins` table: one half of a join (e.g. an ADL's OrderExecuted) waiting for the other
 * half that may arrive in a later batch or after a restart. Rows carry the block number so that a
 * reorg can delete what it invalidated.
 */
export async function findPending(
  trx: Transaction<Database>,
  sourceId: string,
  kind: string,
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (keys.length === 0) return out;
  const unique = [...new Set(keys)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await trx
      .selectFrom('pending_joins')
      .select(['key', 'payload'])
      .where('source_id', '=', sourceId)
      .where('kind', '=', kind)
      .where('key', 'in', unique.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload;
      out.set(row.key, payload as Record<string, unknown>);
    }
  }
  return out;
}

export async function deletePending(trx: Transaction<Database>, sourceId: string, kind: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await trx.deleteFrom('pending_joins').where('source_id', '=', sourceId).where('kind', '=', kind).where('key', 'in', [...new Set(keys)]).execute();
}

export async function putPending(
  trx: Transaction<Database>,
  sourceId: string,
  kind: string,
  key: string,
  blockNumber: bigint,
  payload: unknown,
): Promise<void> {
  const json = toJson(payload);
  await trx
    .insertInto('pending_joins')
    .values({ source_id: sourceId, kind, key, block_number: blockNumber.toString(), payload: json })
    .onConflict((oc) => oc.columns(['source_id', 'kind', 'key']).doUpdateSet({ payload: json, block_number: blockNumber.toString() }))
    .execute();
}
