import type { Address, Hex } from 'viem';
import { numberToHex } from 'viem';
import type { LogFilter, RawLog } from '../../indexer/decoder.ts';
import { getHeaders } from './block-headers.ts';
import type { RangeSizer } from './range-sizer.ts';
import type { EvmRpcClient } from './rpc-client.ts';
import { RangeRefusalError } from './rpc-errors.ts';
import { parseLogsPage, type BlockHeader } from './rpc-types.ts';

/** The chain moved under us while a range was fetched (reorg in flight): refetch from the cursor. */
export class ChainMovedError extends Error {
  override name = 'ChainMovedError';
}

/** A contiguous block range, fully fetched and checked for consistency. */
export interface FetchedChunk {
  from: bigint;
  to: bigint;
  /** Ordered by (blockNumber, logIndex), with blockTime filled from the headers. */
  logs: RawLog[];
  /** Headers of every block with a log, plus the first and last block of the range. */
  headers: Map<bigint, BlockHeader>;
  first: BlockHeader;
  last: BlockHeader;
}

export interface LogFetcherOptions {
  chainId: number;
  addresses: Address[];
  filter: LogFilter;
  /** Parallel eth_getLogs requests. */
  concurrency: number;
}

/**
 * Streams a block range as ordered, consistent chunks. Chunks are fetched in parallel (up to
 * `concurrency`) and yielded in order; each chunk's span comes from the shared RangeSizer, and a
 * refusal splits the remainder of that chunk. Only `concurrency` chunks are ever held, so memory does
 * not grow with the length of the range.
 */
export class LogFetcher {
  constructor(
    private readonly client: EvmRpcClient,
    private readonly sizer: RangeSizer,
    private readonly options: LogFetcherOptions,
  ) {}

  async *stream(from: bigint, to: bigint): AsyncGenerator<FetchedChunk> {
    const queue: { promise: Promise<FetchedChunk> }[] = [];
    let next = from;
    try {
      while (next <= to || queue.length > 0) {
        // While the sizer is probing a new span, keep a single request in flight.
        while (next <= to && queue.length < this.options.concurrency && !(this.sizer.probing && queue.length > 0)) {
          const span = BigInt(this.sizer.next());
          const end = next + span - 1n > to ? to : next + span - 1n;
          const promise = this.fetchChunk(next, end);
          promise.catch(() => {}); // awaited below in order; avoid an unhandled rejection meanwhile
          queue.push({ promise });
          next = end + 1n;
        }
        const head = queue.shift()!;
        yield await head.promise;
      }
    } finally {
      // Abandoned chunks still settle; their results are dropped.
      for (const item of queue) item.promise.catch(() => {});
    }
  }

  private async getLogs(from: bigint, to: bigint): Promise<RawLog[]> {
    const { addresses, filter, chainId } = this.options;
    const topics: (Hex[] | null)[] = [filter.topic0.length > 0 ? filter.topic0 : null];
    if (filter.topic1 && filter.topic1.length > 0) topics.push(filter.topic1);
    return this.client.requestLogsPage(
      {
        method: 'eth_getLogs',
        params: [{ address: addresses, topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) }],
      },
      (page) => parseLogsPage(page, chainId),
    );
  }

  private async fetchChunk(from: bigint, to: bigint): Promise<FetchedChunk> {
    const before = await getHeaders(this.client, [from, to]);
    const lastBefore = before.get(to);
    if (!lastBefore) throw new ChainMovedError(`block ${to} is not on the chain (any more)`);

    const logs: RawLog[] = [];
    let start = from;
    while (start <= to) {
      const span = BigInt(this.sizer.next());
      const end = start + span - 1n > to ? to : start + span - 1n;
      try {
        const page = await this.getLogs(start, end);
        this.sizer.onSuccess(Number(end - start + 1n));
        for (const log of page) {
          if (log.blockNumber < start || log.blockNumber > end) {
            throw new ChainMovedError(`eth_getLogs [${start}, ${end}] returned a log of block ${log.blockNumber}`);
          }
          logs.push(log);
        }
        start = end + 1n;
      } catch (error) {
        if (!(error instanceof RangeRefusalError)) throw error;
        if (end === start) throw new Error(`the provider refuses eth_getLogs even for the single block ${start}: ${error.message}`);
        this.sizer.onRefusal(Number(end - start + 1n), error.refusal.suggestedBlocks);
      }
    }

    const numbers = new Set<bigint>([from, to]);
    for (const log of logs) numbers.add(log.blockNumber);
    const fetched = await getHeaders(this.client, numbers);
    const headers = new Map<bigint, BlockHeader>();
    for (const [n, header] of fetched) {
      if (!header) throw new ChainMovedError(`block ${n} disappeared while its range was fetched`);
      headers.set(n, header);
    }
    const last = headers.get(to)!;
    // Same hash at `to` before and after the logs were read: by the hash chain, every block of the
    // range belonged to one branch throughout, so the logs are consistent.
    if (last.hash !== lastBefore.hash) throw new ChainMovedError(`block ${to} changed hash while its range was fetched`);
    // One Date per block, shared by its logs (nothing mutates them): fewer objects for the GC to copy.
    const times = new Map<bigint, Date>();
    for (const log of logs) {
      const header = headers.get(log.blockNumber)!;
      if (header.hash !== log.blockHash) throw new ChainMovedError(`log in block ${log.blockNumber} has hash ${log.blockHash}, header has ${header.hash}`);
      let time = times.get(log.blockNumber);
      if (time === undefined) times.set(log.blockNumber, (time = new Date(header.timestamp * 1000)));
      log.blockTime = time;
    }
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    return { from, to, logs, headers, first: headers.get(from)!, last };
  }
}
