import type { Kysely } from 'kysely';
import type { ChainConfig, EvmSourceConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { logger } from '../logger.ts';
import { sleep } from '../sources/evm/backoff.ts';
import { getHeaders, getSafeHead } from '../sources/evm/block-headers.ts';
import { ChainMovedError, LogFetcher, type FetchedChunk } from '../sources/evm/log-fetcher.ts';
import { RangeSizer } from '../sources/evm/range-sizer.ts';
import { EvmRpcClient, type RpcClientOptions } from '../sources/evm/rpc-client.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';
import { readCursor, type LogCursor } from './cursor.ts';
import type { EvmDecoder, RawLog, SourceInfo } from './decoder.ts';
import { findCommonAncestor, rollbackTo } from './reorg.ts';
import { writeBatch } from './write-batch.ts';

/** What a progress callback receives after every written batch. */
export interface SourceProgress {
  sourceId: string;
  startBlock: bigint;
  /** Last block fully indexed. */
  cursor: bigint;
  /** Block being caught up to. */
  target: bigint;
  /** Logs written by this run. */
  events: number;
  /** Seconds since this run started. */
  elapsedSeconds: number;
  phase: 'catching-up' | 'following' | 'done';
}

export interface SourceSummary {
  sourceId: string;
  /** Cursor when the run started and when it ended. */
  fromBlock: string;
  toBlock: string;
  events: number;
  decodedRows: number;
  batches: number;
  reorgs: number;
  getLogsCalls: number;
  rpcRetries: number;
  seconds: number;
}

export interface RunSourceOptions {
  db: Kysely<Database>;
  source: EvmSourceConfig;
  chain: ChainConfig;
  info: SourceInfo;
  decoder: EvmDecoder;
  follow: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SourceProgress) => void;
  /** Overrides of RPC client settings (tests shorten timeouts and backoff). */
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  /** Logs per write transaction (default 10,000). */
  batchLogs?: number;
}

/** Hex characters of log data held before a write (~32 MB of text). */
const MAX_PENDING_CHARS = 32 * 1024 * 1024;

/**
 * Batches written at once per source (each its own transaction and connection): two lets the server
 * store one batch's raw logs while the previous batch is decoded and committed.
 */
const WRITES_IN_FLIGHT = 2;

/** Consecutive "chain moved" restarts tolerated before giving up (a node flapping between branches). */
const MAX_RESTARTS = 50;

/**
 * Indexes one source: catches up from its cursor to its end (endBlock, else the safe head), checking
 * on every poll that the cursor's block is still on the chain and rolling back to the fork if not.
 * With `follow`, keeps polling until the signal aborts; a batch being written is always finished.
 */
export async function runSource(opts: RunSourceOptions): Promise<SourceSummary> {
  const { db, source, chain, info, decoder, signal } = opts;
  const started = Date.now();
  const startBlock = BigInt(source.startBlock);
  const client = new EvmRpcClient({
    urls: chain.rpc,
    requestsPerSecond: chain.requestsPerSecond,
    ...opts.rpc,
    ...(signal ? { signal } : {}),
  });
  const sizer = new RangeSizer(chain.maxBlockRange);
  const filter = decoder.logFilter(info);
  const fetcher = new LogFetcher(client, sizer, {
    chainId: info.chainId,
    addresses: info.addresses,
    filter,
    concurrency: chain.concurrency,
  });
  const batchLogs = opts.batchLogs ?? 10_000;
  const initial = await readCursor(db, info.id, source.startBlock);
  const summary: SourceSummary = {
    sourceId: info.id,
    fromBlock: initial.block.toString(),
    toBlock: initial.block.toString(),
    events: 0,
    decodedRows: 0,
    batches: 0,
    reorgs: 0,
    getLogsCalls: 0,
    rpcRetries: 0,
    seconds: 0,
  };
  let target = initial.block;
  const report = (cursor: bigint, phase: SourceProgress['phase']) =>
    opts.onProgress?.({
      sourceId: info.id,
      startBlock,
      cursor,
      target,
      events: summary.events,
      elapsedSeconds: (Date.now() - started) / 1000,
      phase,
    });

  let restarts = 0;
  try {
    for (;;) {
      if (signal?.aborted) break;
      const cursor = await readCursor(db, info.id, source.startBlock);
      summary.toBlock = cursor.block.toString();

      // Reorg check: the last indexed block must still be on the chain with the same hash.
      if (cursor.hash !== null) {
        const header = (await getHeaders(client, [cursor.block])).get(cursor.block) ?? null;
        if (!header || header.hash !== cursor.hash) {
          await handleReorg(opts, client, cursor);
          summary.reorgs++;
          continue;
        }
      }

      const safeHead = await getSafeHead(client, chain.finality);
      const end = source.endBlock !== undefined ? BigInt(source.endBlock) : undefined;
      target = end !== undefined && end < safeHead ? end : safeHead;

      if (cursor.block < target) {
        const outcome = await catchUp(cursor, target);
        if (outcome === 'moved') {
          if (++restarts > MAX_RESTARTS) throw new Error(`source ${info.id}: the chain kept changing under the fetch ${restarts} times in a row`);
          continue;
        }
        restarts = 0;
        continue; // re-check the cursor and the head before deciding we are done
      }
      report(cursor.block, opts.follow ? 'following' : 'done');
      if (!opts.follow || (end !== undefined && cursor.block >= end)) break;
      try {
        await sleep(chain.pollInterval * 1000, signal);
      } catch {
        break; // aborted while idle
      }
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
    // Aborted mid-fetch: nothing half-written (batches are transactions); return what was done.
  } finally {
    summary.getLogsCalls = client.stats.calls.eth_getLogs ?? 0;
    summary.rpcRetries = client.stats.retries;
    summary.seconds = (Date.now() - started) / 1000;
  }
  const final = await readCursor(db, info.id, source.startBlock);
  summary.toBlock = final.block.toString();
  return summary;

  /**
   * Streams [cursor+1, target] and writes it in batches; 'moved' if the chain changed under us.
   * Writing is pipelined: while batches are written (mostly the database's work), the next is fetched
   * and parsed (mostly ours), and up to WRITES_IN_FLIGHT batches are written at once, each in its own
   * transaction: a batch's raw logs go in while the previous batch is still decoding, but it decodes
   * and moves the cursor only after the previous one committed (writeBatch's `after`). So cursors
   * commit in order, a failed batch rolls back every later one, and memory stays bounded.
   */
  async function catchUp(cursor: LogCursor, target: bigint): Promise<'done' | 'moved' | 'aborted'> {
    let prevHash = cursor.hash;
    let pending: FetchedChunk[] = [];
    let pendingLogs = 0;
    let pendingChars = 0;
    let lastWrite = Date.now();
    const inFlight: Promise<void>[] = [];
    const write = async (chunks: FetchedChunk[], after: Promise<unknown>) => {
      const logs: RawLog[] = [];
      const headers: BlockHeader[] = [];
      for (const chunk of chunks) {
        for (const log of chunk.logs) logs.push(log);
        for (const header of chunk.headers.values()) headers.push(header);
      }
      const last = chunks[chunks.length - 1]!.last;
      const rows = await writeBatch(db, decoder, info, { logs, headers, cursor: { block: last.number, hash: last.hash } }, after);
      summary.events += logs.length;
      summary.decodedRows += rows;
      summary.batches++;
      summary.toBlock = last.number.toString();
      logger.debug({ source: info.id, block: last.number.toString(), logs: logs.length }, 'batch written');
      report(last.number, 'catching-up');
    };
    /** Starts writing what is pending; first waits for room in the pipeline. A failure surfaces at the next await. */
    const flush = async () => {
      while (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
      if (pending.length === 0) return;
      const chunks = pending;
      pending = [];
      pendingLogs = 0;
      pendingChars = 0;
      lastWrite = Date.now();
      const previous = inFlight[inFlight.length - 1] ?? Promise.resolve();
      const writing = write(chunks, previous);
      writing.catch(() => {}); // awaited by a later flush or drain; avoid an unhandled rejection meanwhile
      inFlight.push(writing);
    };
    const drain = async () => {
      await flush();
      while (inFlight.length > 0) await inFlight.shift();
    };
    try {
      for await (const chunk of fetcher.stream(cursor.block + 1n, target)) {
        if (prevHash !== null && chunk.first.parentHash !== prevHash) {
          await drain(); // what came before is consistent; the loop re-checks the cursor
          return 'moved';
        }
        prevHash = chunk.last.hash;
        pending.push(chunk);
        pendingLogs += chunk.logs.length;
        // Sized from the bytes when the fetcher has them: reading `data` would build the hex string.
        for (const log of chunk.logs) pendingChars += log.dataBytes ? log.dataBytes.length * 2 : log.data.length;
        // Flush by count and by size: GMX EventEmitter logs carry ~14 KB of hex each, so a count alone
        // would let memory follow the events' size rather than stay bounded.
        if (pendingLogs >= batchLogs || pendingChars >= MAX_PENDING_CHARS || chunk.to === target || Date.now() - lastWrite > 2000) await flush();
        if (signal?.aborted) {
          await drain();
          return 'aborted';
        }
      }
      await drain();
      return 'done';
    } catch (error) {
      // Never leave a write running behind a failure (it would move the cursor after we gave up), and
      // never hide a failed write behind a restart.
      const outcomes = await Promise.allSettled(inFlight.splice(0));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      if (error instanceof ChainMovedError) {
        logger.info({ source: info.id }, `chain moved during fetch, restarting from the cursor: ${error.message}`);
        return 'moved';
      }
      throw error;
    }
  }
}

async function handleReorg(opts: RunSourceOptions, client: EvmRpcClient, cursor: LogCursor): Promise<void> {
  const { db, info, source } = opts;
  const ancestor = await findCommonAncestor(db, client, {
    sourceId: info.id,
    chainId: info.chainId,
    startBlock: source.startBlock,
    cursor,
  });
  const fork = ancestor.block + 1n;
  logger.warn(
    { source: info.id, cursor: cursor.block.toString(), fork: fork.toString() },
    `reorg: block ${cursor.block} is no longer on the chain; rolling back to ${ancestor.block}`,
  );
  await rollbackTo(db, { sourceId: info.id, chainId: info.chainId, fork, ancestorHash: ancestor.hash });
}
