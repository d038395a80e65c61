import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { getHeaders } from './block-headers.ts';
import type { EvmRpcClient } from './rpc-client.ts';

/** The log cursor: last block fully indexed (startBlock − 1 before anything) and its hash. */
export interface LogCursor {
  block: bigint;
  hash: string | null;
}

/** Stored block numbers examined per round trip while walking back to the fork. */
const PAGE = 100;

export interface CommonAncestor {
  /** Newest stored block the node has with the same hash (startBlock − 1 when none). */
  block: bigint;
  hash: string | null;
  /**
   * True when every stored block above `block` is simply unknown to the node (null header) and none
   * disagrees with it: the node is behind the indexed data, not on another branch. Nothing may be
   * rolled back then; the caller waits for the node or fails over.
   */
  nodeBehind: boolean;
  /** Highest stored block whose hash the node contradicts, if any (for messages). */
  firstMismatch: bigint | null;
}

/**
 * Walks the stored (number, hash) pairs — the chain's `blocks` rows and this source's raw_logs — down
 * from `cursor.block`, newest first, and returns the newest block whose stored hashes all equal the
 * node's. Everything above it is on a dropped branch, unless the node merely does not have those
 * blocks yet (`nodeBehind`).
 *
 * Block numbers are compared as numbers everywhere: ordered by the bigint column in SQL (not by its
 * text, where "999" > "1005" sent rollbacks far below the fork) and as bigint here. Each page holds
 * every stored hash of its blocks, so a block is never judged on part of its hashes.
 */
export async function findCommonAncestor(
  db: Kysely<Database>,
  client: EvmRpcClient,
  opts: {
    sourceId: string;
    chainId: number;
    startBlock: number;
    cursor: LogCursor;
    /** The node's latest block, when known: stored blocks above it are unknown to it without asking. */
    nodeHead?: bigint;
  },
): Promise<CommonAncestor> {
  const floor = BigInt(opts.startBlock);
  let upper = opts.cursor.block;
  let sawUnknown = false;
  if (opts.nodeHead !== undefined && opts.nodeHead < upper) {
    // A node thousands of blocks behind would otherwise cost a header request per stored block.
    upper = opts.nodeHead;
    sawUnknown = true;
  }
  let firstMismatch: bigint | null = null;
  const verdict = () => ({ nodeBehind: sawUnknown && firstMismatch === null, firstMismatch });
  while (upper >= floor) {
    const rows = await sql<{ number: string; hash: string }>`
      with stored as (
        select number, hash from blocks where chain_id = ${opts.chainId} and number between ${floor.toString()}::int8 and ${upper.toString()}::int8
        union
        select block_number, block_hash from raw_logs
          where source_id = ${opts.sourceId} and block_number between ${floor.toString()}::int8 and ${upper.toString()}::int8
      ), page as (
        select distinct number from stored order by number desc limit ${PAGE}
      )
      select stored.number::text as number, stored.hash from stored join page using (number)`.execute(db);
    if (rows.rows.length === 0) break;
    const stored = new Map<bigint, string[]>();
    for (const row of rows.rows) {
      const n = BigInt(row.number);
      stored.set(n, [...(stored.get(n) ?? []), row.hash]);
    }
    const newestFirst = [...stored.keys()].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    const chain = await getHeaders(client, newestFirst);
    for (const n of newestFirst) {
      const header = chain.get(n) ?? null;
      if (!header) {
        sawUnknown = true; // the node has no block n (yet): not evidence of another branch
        continue;
      }
      if (stored.get(n)!.every((h) => h === header.hash)) return { block: n, hash: header.hash, ...verdict() };
      firstMismatch ??= n;
    }
    upper = newestFirst[newestFirst.length - 1]! - 1n;
  }
  return { block: floor - 1n, hash: null, ...verdict() };
}
