import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { FACT_TABLES } from '../db/schema.ts';
import { getHeaders } from '../sources/evm/block-headers.ts';
import type { EvmRpcClient } from '../sources/evm/rpc-client.ts';
import { writeCursor, type LogCursor } from './cursor.ts';

/** Stored (number, hash) pairs examined per round trip while walking back to the fork. */
const PAGE = 100;

/**
 * Finds the newest block at or below `cursor.block` whose stored hashes (the chain's `blocks` rows and
 * this source's raw_logs) all equal the chain's current hashes. Everything above it is on a dropped
 * branch. Returns startBlock − 1 when nothing stored matches.
 */
export async function findCommonAncestor(
  db: Kysely<Database>,
  client: EvmRpcClient,
  opts: { sourceId: string; chainId: number; startBlock: number; cursor: LogCursor },
): Promise<{ block: bigint; hash: string | null }> {
  const floor = BigInt(opts.startBlock);
  let upper = opts.cursor.block;
  while (upper >= floor) {
    const rows = await sql<{ number: string; hash: string }>`
      select number::text as number, hash from (
        select number, hash from blocks where chain_id = ${opts.chainId} and number <= ${upper.toString()} and number >= ${floor.toString()}
        union
        select distinct block_number as number, block_hash as hash from raw_logs
          where source_id = ${opts.sourceId} and block_number <= ${upper.toString()} and block_number >= ${floor.toString()}
      ) stored order by number desc limit ${PAGE}`.execute(db);
    if (rows.rows.length === 0) break;
    const stored = new Map<bigint, string[]>();
    for (const row of rows.rows) {
      const n = BigInt(row.number);
      stored.set(n, [...(stored.get(n) ?? []), row.hash]);
    }
    const chain = await getHeaders(client, stored.keys());
    for (const [n, hashes] of [...stored].sort((a, b) => (a[0] > b[0] ? -1 : 1))) {
      const header = chain.get(n);
      if (header && hashes.every((h) => h === header.hash)) return { block: n, hash: header.hash };
    }
    const lowest = [...stored.keys()].reduce((a, b) => (a < b ? a : b));
    upper = lowest - 1n;
  }
  return { block: floor - 1n, hash: null };
}

/**
 * Deletes everything of the source at and above `fork` (raw logs, the chain's headers, fact rows,
 * decode errors, pending joins) and moves the cursor to fork − 1, in one transaction.
 */
export async function rollbackTo(
  db: Kysely<Database>,
  opts: { sourceId: string; chainId: number; fork: bigint; ancestorHash: string | null },
): Promise<void> {
  const fork = opts.fork.toString();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('raw_logs').where('source_id', '=', opts.sourceId).where('block_number', '>=', fork).execute();
    await trx.deleteFrom('blocks').where('chain_id', '=', opts.chainId).where('number', '>=', fork).execute();
    for (const table of FACT_TABLES) {
      await trx.deleteFrom(table).where('source_id', '=', opts.sourceId).where('block_number', '>=', fork).execute();
    }
    await trx.deleteFrom('decode_errors').where('source_id', '=', opts.sourceId).where('block_number', '>=', fork).execute();
    await trx.deleteFrom('pending_joins').where('source_id', '=', opts.sourceId).where('block_number', '>=', fork).execute();
    await writeCursor(trx, opts.sourceId, { block: opts.fork - 1n, hash: opts.ancestorHash });
  });
}
