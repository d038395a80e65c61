import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { redecodeSource } from '../indexer/redecode.ts';
import type { SourcePlan } from '../indexer/plan-sources.ts';
import type { RawLog } from '../pipeline/records.ts';
import type { Registry } from '../pipeline/registry.ts';
import { insertRawLogs, upsertBlocks } from '../sources/evm/raw-log-store.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';

export interface LogsRepair {
  /** Raw logs stored that were missing (or replaced a changed one). */
  inserted: number;
  /** Raw logs deleted that the chain does not have (or that were replaced). */
  deleted: number;
  /** The source's raw logs decoded again, and the rows that gave. */
  redecodedLogs: number;
  rows: number;
}

/** Keys deleted per statement. */
const DELETE_CHUNK = 10_000;

/**
 * Makes a source's raw logs equal the chain's in ONE transaction: deletes the stored logs the chain
 * lacks (and the stored versions of changed ones), stores the chain's missing and changed logs with
 * their blocks' headers through the indexer's own write path (insertRawLogs, upsertBlocks), then
 * rebuilds all of the source's facts from raw_logs. A partial re-decode cannot be exact: decoders join
 * logs across batches through pending_joins (a GMX liquidation spans several logs), so a log inserted
 * in the middle of history can complete or change facts anywhere after it. The cursor is not moved.
 */
export async function repairLogs(
  db: Kysely<Database>,
  plan: Pick<SourcePlan, 'info' | 'decoder'>,
  registry: Registry,
  change: { remove: readonly { blockNumber: bigint; logIndex: number }[]; insert: readonly RawLog[]; headers: readonly BlockHeader[] },
): Promise<LogsRepair> {
  const { info } = plan;
  return db.transaction().execute(async (trx) => {
    let deleted = 0;
    for (let i = 0; i < change.remove.length; i += DELETE_CHUNK) {
      const part = change.remove.slice(i, i + DELETE_CHUNK);
      const result = await sql`delete from raw_logs where source_id = ${info.id} and (block_number, log_index) in
        (select * from unnest(${part.map((k) => k.blockNumber.toString())}::int8[], ${part.map((k) => k.logIndex)}::int4[])) returning 1`.execute(trx);
      deleted += result.rows.length;
    }
    await insertRawLogs(trx, info.id, change.insert);
    await upsertBlocks(trx, info.chainId!, change.headers);
    const redecoded = await redecodeSource(trx, plan, registry);
    return { inserted: change.insert.length, deleted, redecodedLogs: redecoded.logs, rows: redecoded.rows };
  });
}
