import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Amendment, RowKey } from '../pipeline/decode.ts';
import { jsonText } from './pending-joins.ts';

/**
 * Applies amendments to rows written by earlier batches, in the order the decoder returned them. They
 * are rare (a GMX v2 fee log arriving a batch after its liquidation), so one statement each is fine.
 */
export async function applyAmendments(trx: Transaction<Database>, amendments: readonly Amendment[]): Promise<void> {
  for (const amendment of amendments) {
    if (amendment.op === 'delete') {
      await whereKey(trx.deleteFrom(amendment.table), amendment.key).execute();
      continue;
    }
    const set: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(amendment.set)) set[column] = typeof value === 'bigint' ? value.toString() : value;
    if (amendment.mergeExtra) set.extra = sql`extra || ${jsonText(amendment.mergeExtra)}::jsonb`;
    await whereKey(trx.updateTable(amendment.table).set(set as never), amendment.key).execute();
  }
}

/** Narrows a statement to the row with natural key (venue, chain_id, uid); chain_id NULL off chain. */
function whereKey<Q extends { where: (...args: any[]) => Q }>(query: Q, key: RowKey): Q {
  let q = query.where('venue', '=', key.venue).where('uid', '=', key.uid);
  q = key.chainId === null ? q.where('chain_id', 'is', null) : q.where('chain_id', '=', key.chainId);
  return q;
}
