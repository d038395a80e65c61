import type { Address, Hex } from 'viem';
import { numberToHex } from 'viem';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import { logger } from '../../logger.ts';
import { backoffDelay, sleep } from '../../util/backoff.ts';
import { getHeaders } from './block-headers.ts';
import { checkLogsAgainstHeaders, RequestChecker } from './log-checks.ts';
import type { RangeSizer } from './range-sizer.ts';
import type { EvmRpcClient } from './rpc-client.ts';
import { RangeRefusalError } from './rpc-errors.ts';
import { parseLogsPage, type BlockHeader } from './rpc-types.ts';

/** The chain moved under us while a range was fetched (reorg in flight): refetch from the cursor. */
export class ChainMovedError extends Error {
  override name = 'ChainMovedError';
}

/**
 * An endpoint's answer contradicts its own request or the chain's headers while the chain did not move:
 * a lying or broken provider, not a reorg. The fetcher retries the range (failing over when it can) and
 * keeps nothing of the answer.
 */
export class InconsistentResponseError extends Error {
  override name = 'InconsistentResponseError';
  constructor(
    message: string,
    /** The endpoint that answered, as it may be printed (never its URL). */
    readonly endpoint: string,
  ) {
    super(message);
  }
}

/** Every attempt at a range got an inconsistent answer: the run stops rather than store a lie. */
export class LyingProviderError extends Error {
  override name = 'LyingProviderError';
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
  /** Attempts at a range whose answers are inconsistent before giving up (default: 3 + the number of endpoints). */
  inconsistentAttempts?: number;
  /** Backoff between those attempts (defaults 250 ms doubling, at most 5 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  signal?: AbortSignal;
}

/**
 * Streams a block range as ordered, consistent chunks. Chunks are fetched in parallel (up to
 * `concurrency`) and yielded in order; each chunk's span comes from the shared RangeSizer, and a
 * refusal splits the remainder of that chunk. Only `concurrency` chunks are ever held, so memory does
 * not grow with the length of the range.
 */
export class LogFetcher {
  private readonly checker: RequestChecker;

  constructor(
    private readonly client: EvmRpcClient,
    private readonly sizer: RangeSizer,
    private readonly options: LogFetcherOptions,
  ) {
    this.checker = new RequestChecker(options.addresses, options.filter);
  }

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

  /**
   * Fetches a range, retrying it while the answers are inconsistent: with backoff, and on the next
   * endpoint when there is one. Gives up with LyingProviderError naming the endpoints, the range and the
   * last inconsistency; a lie never reaches the runner's reorg path (ChainMovedError) nor the store.
   */
  private async fetchChunk(from: bigint, to: bigint): Promise<FetchedChunk> {
    const attempts = this.options.inconsistentAttempts ?? 3 + this.client.endpointCount;
    const endpoints: string[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fetchChunkOnce(from, to);
      } catch (error) {
        if (!(error instanceof InconsistentResponseError)) throw error;
        if (!endpoints.includes(error.endpoint)) endpoints.push(error.endpoint);
        if (attempt >= attempts) {
          throw new LyingProviderError(
            `the RPC provider is lying or broken: ${error.endpoint} answered for blocks ${from}–${to} inconsistently on ${attempt} attempts ` +
              `(endpoints that did: ${endpoints.join(', ')}); last: ${error.message}. Nothing of these blocks was stored.`,
          );
        }
        logger.warn({ endpoint: error.endpoint, from: from.toString(), to: to.toString(), attempt }, `rejected an inconsistent RPC answer, retrying: ${error.message}`);
        if (this.client.currentEndpoint === error.endpoint) this.client.failover(`its answer for blocks ${from}–${to} was inconsistent`);
        await sleep(backoffDelay(attempt - 1, this.options.backoffBaseMs ?? 250, this.options.backoffMaxMs ?? 5_000), this.options.signal);
      }
    }
  }

  private async fetchChunkOnce(from: bigint, to: bigint): Promise<FetchedChunk> {
    const before = await getHeaders(this.client, [from, to]);
    const lastBefore = before.get(to);
    if (!lastBefore) throw new ChainMovedError(`block ${to} is not on the chain (any more)`);

    const logs: RawLog[] = [];
    /** Which endpoint answered which part of the range, to name the liar. */
    const answeredBy: { end: bigint; endpoint: string }[] = [];
    let start = from;
    while (start <= to) {
      const span = BigInt(this.sizer.next());
      const end = start + span - 1n > to ? to : start + span - 1n;
      try {
        const page = await this.getLogs(start, end);
        const endpoint = this.client.currentEndpoint;
        this.sizer.onSuccess(Number(end - start + 1n), responseLoad(page));
        const problem = this.checker.check(start, end, page);
        if (problem) throw new InconsistentResponseError(`eth_getLogs [${start}, ${end}] ${problem}`, endpoint);
        answeredBy.push({ end, endpoint });
        for (const log of page) logs.push(log);
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
    const last = fetched.get(to);
    // Same hash at `to` before and after the logs were read: by the hash chain, every block of the
    // range belonged to one branch throughout, so the logs are consistent.
    if (!last) throw new ChainMovedError(`block ${to} disappeared while its range was fetched`);
    if (last.hash !== lastBefore.hash) throw new ChainMovedError(`block ${to} changed hash while its range was fetched`);
    // The chain did not move, so a log its block's header denies (another hash, absent from the bloom)
    // is the provider's fault.
    const denied = checkLogsAgainstHeaders(logs, fetched);
    if (denied) {
      const endpoint = answeredBy.find((page) => denied.log.blockNumber <= page.end)?.endpoint ?? this.client.currentEndpoint;
      throw new InconsistentResponseError(`eth_getLogs [${from}, ${to}] ${denied.problem} (the chain did not move: block ${to} kept hash ${last.hash})`, endpoint);
    }
    const headers = new Map<bigint, BlockHeader>();
    for (const [n, header] of fetched) {
      // Only `from` can still be null here (`to` and every log's block were checked above): a block
      // below one that kept its hash cannot vanish, so the node contradicts itself.
      if (!header) throw new InconsistentResponseError(`eth_getBlockByNumber says block ${n} does not exist, yet block ${to} after it kept hash ${last.hash}`, this.client.currentEndpoint);
      headers.set(n, header);
    }
    // One Date per block, shared by its logs (nothing mutates them): fewer objects for the GC to copy.
    const times = new Map<bigint, Date>();
    for (const log of logs) {
      const header = headers.get(log.blockNumber)!;
      let time = times.get(log.blockNumber);
      if (time === undefined) times.set(log.blockNumber, (time = new Date(header.timestamp * 1000)));
      log.blockTime = time;
    }
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    return { from, to, logs, headers, first: headers.get(from)!, last };
  }
}

/**
 * About what an eth_getLogs response weighed: its data travels as hex (two characters a byte) and each
 * log's other fields (hashes, topics, numbers) take about 600 bytes of JSON.
 */
function responseLoad(logs: readonly RawLog[]): { logs: number; bytes: number } {
  let bytes = 0;
  for (const log of logs) bytes += 600 + 2 * (log.dataBytes ? log.dataBytes.length : (log.data.length - 2) >> 1);
  return { logs: logs.length, bytes };
}
