import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import {
  RestartFromCursor,
  type CursorRow,
  type Progress,
  type PullEnd,
  type PullOptions,
  type Source,
  type SourceBatch,
  type SourceItem,
  type SourceLag,
  type SourceStats,
} from '../../pipeline/source.ts';
import { getHeaderByTag, getHeaders, getSafeHead } from './block-headers.ts';
import { LaggingNodeWait } from './lagging-node.ts';
import { explainLogFailure } from './log-batch-failure.ts';
import { ChainMovedError, LogFetcher, type FetchedChunk } from './log-fetcher.ts';
import { RangeSizer } from './range-sizer.ts';
import { insertRawLogs, upsertBlocks } from './raw-log-store.ts';
import { findCommonAncestor, type LogCursor } from './reorg.ts';
import { EvmRpcClient, type RpcClientOptions } from './rpc-client.ts';
import type { BlockHeader } from './rpc-types.ts';

/** The stream name of the EVM log cursor in `cursors`. */
export const LOG_STREAM = 'logs';

/** The chain settings an EVM source needs (the configuration's `chains.<name>`). */
export interface EvmChainSettings {
  chainId: number;
  rpc: string[];
  finality: 'finalized' | number;
  maxBlockRange: number;
  concurrency: number;
  requestsPerSecond: number;
  /** Seconds per request attempt, and for a request with all its retries. */
  requestTimeout: number;
  requestBudget: number;
  /** Seconds to wait for a node behind the indexed data before failing. */
  laggingNodeTimeout: number;
}

/** Overrides of the waits behind a lagging node (tests shorten them). */
export interface EvmWaits {
  lagBaseMs?: number;
  lagMaxMs?: number;
}

export interface EvmLogSourceOptions {
  /** The store, read to find a fork point (stored block hashes) and written through batches. */
  db: Kysely<Database>;
  info: SourceInfo & { chainId: number };
  /** The chain's key in the config (endpoints print as `arbitrum#0 (host)`). */
  chainName: string;
  chain: EvmChainSettings;
  filter: LogFilter;
  startBlock: number;
  endBlock?: number;
  signal?: AbortSignal;
  /** Overrides of RPC client settings (tests shorten timeouts and backoff). */
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  /** Logs per write transaction (default 10,000). */
  batchLogs?: number;
  waits?: EvmWaits;
}

/** Log data held before a batch is yielded (bytes of data; GMX v2 logs carry 1–8 KB each). */
const MAX_BATCH_DATA_BYTES = 16 * 1024 * 1024;
/** First eth_getLogs span (blocks); the sizer doubles it while responses stay light. */
const INITIAL_SPAN = 500;
/** A batch is yielded at least this often, so progress and cursors move on a slow provider. */
const MAX_BATCH_MS = 2_000;

/**
 * Chain logs as a pipeline source: eth_getLogs over block ranges from the cursor to the source's end
 * (its endBlock, else the chain's safe head), as ordered, consistent batches with their raw logs and
 * block headers. Before each pull it checks that the cursor's block is still on the chain and yields a
 * rewind to the fork point if not; a chain moving while a range is fetched restarts the pull.
 */
export class EvmLogSource implements Source<RawLog> {
  readonly reorgable = true;
  readonly info: SourceInfo & { chainId: number };
  private readonly client: EvmRpcClient;
  private readonly fetcher: LogFetcher;
  private readonly lagging: LaggingNodeWait;
  private rewinds = 0;

  constructor(private readonly options: EvmLogSourceOptions) {
    this.info = options.info;
    this.client = new EvmRpcClient({
      urls: options.chain.rpc,
      name: options.chainName,
      requestsPerSecond: options.chain.requestsPerSecond,
      timeoutMs: options.chain.requestTimeout * 1000,
      budgetMs: options.chain.requestBudget * 1000,
      ...options.rpc,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const waits = options.waits ?? {};
    this.lagging = new LaggingNodeWait(this.client, {
      sourceId: options.info.id,
      timeoutMs: options.chain.laggingNodeTimeout * 1000,
      ...(waits.lagBaseMs !== undefined ? { baseMs: waits.lagBaseMs } : {}),
      ...(waits.lagMaxMs !== undefined ? { maxMs: waits.lagMaxMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Start small and let the sizer grow the span while responses stay within their budget: the first
    // response of a dense contract at the full range could otherwise be hundreds of megabytes.
    const max = options.chain.maxBlockRange;
    this.fetcher = new LogFetcher(this.client, new RangeSizer(max, Math.min(max, INITIAL_SPAN)), {
      chainId: options.info.chainId,
      addresses: options.info.addresses,
      filter: options.filter,
      concurrency: options.chain.concurrency,
    });
  }

  stats(): SourceStats {
    const errors = Object.entries(this.client.stats.errors).flatMap(([endpoint, kinds]) => Object.entries(kinds).map(([kind, count]) => ({ endpoint, kind, count })));
    return { requests: this.client.stats.calls.eth_getLogs ?? 0, retries: this.client.stats.retries, rewinds: this.rewinds, errors };
  }

  /** Blocks between the cursor and the safe head (or endBlock), and the chain time between their blocks. */
  async lag(cursors: ReadonlyMap<string, CursorRow>): Promise<SourceLag> {
    const cursor = logCursor(cursors.get(LOG_STREAM), BigInt(this.options.startBlock));
    const safeHead = await getSafeHead(this.client, this.options.chain.finality);
    const end = this.options.endBlock !== undefined && BigInt(this.options.endBlock) < safeHead ? BigInt(this.options.endBlock) : safeHead;
    if (cursor.block >= end) return { unit: 'blocks', behind: 0n, seconds: 0 };
    // Nothing indexed yet: the data waiting starts at the start block.
    const from = cursor.block < BigInt(this.options.startBlock) ? BigInt(this.options.startBlock) : cursor.block;
    const headers = await getHeaders(this.client, [from, end]);
    const first = headers.get(from);
    const last = headers.get(end);
    const seconds = first && last ? Math.max(0, last.timestamp - first.timestamp) : 0;
    return { unit: 'blocks', behind: end - cursor.block, seconds };
  }

  position(cursors: ReadonlyMap<string, CursorRow>): Progress {
    const start = BigInt(this.options.startBlock);
    const cursor = logCursor(cursors.get(LOG_STREAM), start);
    return { unit: 'blocks', start, position: cursor.block, target: cursor.block };
  }

  async *pull({ cursors, signal }: PullOptions): AsyncGenerator<SourceItem<RawLog>, PullEnd, undefined> {
    const { info, startBlock, endBlock } = { info: this.info, startBlock: BigInt(this.options.startBlock), endBlock: this.options.endBlock };
    const cursor = logCursor(cursors.get(LOG_STREAM), startBlock);
    const progress = (position: bigint, target: bigint): Progress => ({ unit: 'blocks', start: startBlock, position, target });

    // Reorg check: the last indexed block must still be on the chain with the same hash. A node that
    // merely lacks it is behind, not on another branch: wait for it (or fail over), never roll back.
    while (cursor.hash !== null) {
      const header = (await getHeaders(this.client, [cursor.block])).get(cursor.block) ?? null;
      if (header && header.hash === cursor.hash) break;
      // A node that lacks the cursor's block: where its chain ends tells how far the walk need not look.
      const head = header === null ? await getHeaderByTag(this.client, 'latest') : null;
      const ancestor = await findCommonAncestor(this.options.db, this.client, {
        sourceId: info.id,
        chainId: info.chainId,
        startBlock: this.options.startBlock,
        cursor,
        ...(head ? { nodeHead: head.number } : {}),
      });
      if (ancestor.nodeBehind) {
        await this.lagging.onBehind(`it has no block ${cursor.block}, the last indexed; its latest block is ${head?.number ?? 'unknown'}`);
        continue;
      }
      const fork = ancestor.block + 1n;
      this.rewinds++;
      yield {
        type: 'rewind',
        fromBlock: fork,
        cursors: [{ stream: LOG_STREAM, position: ancestor.block.toString(), blockNumber: ancestor.block, blockHash: ancestor.hash }],
        reason: `reorg: block ${cursor.block} is no longer on the chain; rolling back to ${ancestor.block}`,
        deleteRaw: (trx) => deleteRawFrom(trx, info.id, info.chainId, fork),
      };
      return { state: 'caught-up', progress: null };
    }

    const safeHead = await getSafeHead(this.client, this.options.chain.finality);
    const end = endBlock !== undefined ? BigInt(endBlock) : undefined;
    const target = end !== undefined && end < safeHead ? end : safeHead;
    const state = (position: bigint): PullEnd['state'] => (end !== undefined && position >= end ? 'finished' : 'caught-up');
    if (cursor.block >= target) {
      this.lagging.reset();
      return { state: state(cursor.block), progress: progress(cursor.block, target) };
    }
    const where = `blocks [${cursor.block + 1n}, ${target}]`;

    let prevHash = cursor.hash;
    let chunks: FetchedChunk[] = [];
    let logCount = 0;
    let dataBytes = 0;
    let since = Date.now();
    const batch = () => {
      const taken = chunks;
      chunks = [];
      logCount = 0;
      dataBytes = 0;
      since = Date.now();
      return this.batchOf(taken, progress, target);
    };
    try {
      for await (const chunk of this.fetcher.stream(cursor.block + 1n, target)) {
        if (prevHash !== null && chunk.first.parentHash !== prevHash) {
          // What came before is consistent: write it, then start again from the cursor.
          if (chunks.length > 0) yield batch();
          throw new RestartFromCursor(`block ${chunk.first.number}'s parent is not block ${chunk.first.number - 1n} as indexed (hash ${prevHash})`, where);
        }
        prevHash = chunk.last.hash;
        chunks.push(chunk);
        logCount += chunk.logs.length;
        // Sized from the bytes when the fetcher has them: reading `data` would build the hex string.
        for (const log of chunk.logs) dataBytes += log.dataBytes ? log.dataBytes.length : (log.data.length - 2) >> 1;
        // By count and by size: GMX EventEmitter logs carry ~7 KB each, so a count alone would let
        // memory follow the events' size rather than stay bounded.
        if (logCount >= (this.options.batchLogs ?? 10_000) || dataBytes >= MAX_BATCH_DATA_BYTES || chunk.to === target || Date.now() - since > MAX_BATCH_MS) {
          yield batch();
        }
        if (signal.aborted) break;
      }
      if (chunks.length > 0) yield batch();
    } catch (error) {
      if (!(error instanceof ChainMovedError)) throw error;
      // The node (or the endpoint failed over to) lacks a block at or below what it called safe: it
      // is behind, not reorganizing; restarting at once would only ask it again.
      if ((await getHeaders(this.client, [target])).get(target) == null) {
        await this.lagging.onBehind(`it has no block ${target}, at or below the safe head`);
        throw new RestartFromCursor(error.message, where, true);
      }
      throw new RestartFromCursor(error.message, where);
    }
    this.lagging.reset();
    return { state: state(target), progress: progress(target, target) };
  }

  private batchOf(chunks: FetchedChunk[], progress: (position: bigint, target: bigint) => Progress, target: bigint): SourceItem<RawLog> {
    const logs: RawLog[] = [];
    const headers: BlockHeader[] = [];
    for (const chunk of chunks) {
      for (const log of chunk.logs) logs.push(log);
      for (const header of chunk.headers.values()) headers.push(header);
    }
    const last = chunks[chunks.length - 1]!.last;
    return logsBatch(this.info, { logs, headers, from: chunks[0]!.from, last, progress: progress(last.number, target) });
  }
}

/**
 * One batch of chain logs as the runner writes it: the logs (decoded), their raw copies and the blocks'
 * headers (the batch's raw material), and the log cursor at the batch's last block.
 */
export function logsBatch(
  info: Pick<SourceInfo, 'id'> & { chainId: number },
  batch: { logs: RawLog[]; headers: BlockHeader[]; from: bigint; last: { number: bigint; hash: string }; progress: Progress },
): SourceBatch<RawLog> {
  const { logs, headers, from, last } = batch;
  return {
    type: 'batch',
    records: logs,
    cursors: [{ stream: LOG_STREAM, position: last.number.toString(), blockNumber: last.number, blockHash: last.hash }],
    label: `blocks ${from}–${last.number} (${logs.length} log${logs.length === 1 ? '' : 's'})`,
    writeRaw: async (trx) => {
      await insertRawLogs(trx, info.id, logs);
      await upsertBlocks(trx, info.chainId, headers);
    },
    explainFailure: (error) => explainLogFailure(error, logs),
    progress: batch.progress,
  };
}

function logCursor(row: CursorRow | undefined, startBlock: bigint): LogCursor {
  if (!row) return { block: startBlock - 1n, hash: null };
  return { block: BigInt(row.position), hash: row.blockHash };
}

/** A rewind's deletion of the source's raw material at and above the fork (the runner deletes its rows). */
async function deleteRawFrom(trx: Transaction<Database>, sourceId: string, chainId: number, fork: bigint): Promise<void> {
  await trx.deleteFrom('raw_logs').where('source_id', '=', sourceId).where('block_number', '>=', fork.toString()).execute();
  await trx.deleteFrom('blocks').where('chain_id', '=', chainId).where('number', '>=', fork.toString()).execute();
}
