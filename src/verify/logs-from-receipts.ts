import pLimit from 'p-limit';
import { numberToHex } from 'viem';
import type { ChainConfig } from '../config/schema.ts';
import type { LogFilter } from '../pipeline/protocol.ts';
import type { RawLog } from '../pipeline/records.ts';
import type { SourceInfo } from '../pipeline/source-info.ts';
import { getHeaders } from '../sources/evm/block-headers.ts';
import { checkLogsAgainstRequest, RequestChecker } from '../sources/evm/log-checks.ts';
import { bloomBytes } from '../sources/evm/logs-bloom.ts';
import { EvmRpcClient, type RpcClientOptions } from '../sources/evm/rpc-client.ts';
import { MalformedResponseError } from '../sources/evm/rpc-errors.ts';
import { parseLogObject, type BlockHeader } from '../sources/evm/rpc-types.ts';
import type { ChainLogs, ChainLogsWindow } from './chain-logs.ts';

/** Blocks per window: their headers are read in batches of 50. */
const WINDOW_BLOCKS = 500n;
/** Blocks per eth_getBlockReceipts batch: a busy block's receipts run to megabytes. */
const RECEIPT_BATCH = 10;
const PARALLEL_BATCHES = 4;

/** The logs of every receipt of a block, validated. */
function parseBlockReceipts(value: unknown, block: bigint, chainId: number): RawLog[] {
  const what = `eth_getBlockReceipts(${block})`;
  if (value === null) throw new MalformedResponseError(`${what} returned null: the node does not have the block`);
  if (!Array.isArray(value)) throw new MalformedResponseError(`${what}: result is not a list of receipts`);
  const logs: RawLog[] = [];
  for (const receipt of value) {
    const entries = (receipt as { logs?: unknown } | null)?.logs;
    if (!Array.isArray(entries)) throw new MalformedResponseError(`${what}: a receipt has no list of logs`);
    for (const entry of entries) {
      const log = parseLogObject(entry, chainId, what);
      if (log.blockNumber !== block) throw new MalformedResponseError(`${what} returned a log of block ${log.blockNumber}`);
      logs.push(log);
    }
  }
  // Indexes within int4, no (block, logIndex) twice, one block hash.
  const problem = checkLogsAgainstRequest({ fromBlock: block, toBlock: block, addresses: [], filter: { topic0: [] } }, logs);
  if (problem) throw new MalformedResponseError(`${what} ${problem}`);
  return logs;
}

/**
 * The source's logs read from block receipts (eth_getBlockReceipts) of the configured RPC: the node's
 * receipts, not its log index, which is what drops logs. Only blocks whose header bloom may hold a log
 * of the source are read (a bloom has no false negatives, so the others surely hold none); every
 * block's header is read for that, in batches. Each log must belong to the block asked for, with the
 * header's hash.
 */
export function logsFromReceipts(opts: {
  chainName: string;
  chain: ChainConfig;
  info: SourceInfo & { chainId: number };
  filter: LogFilter;
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  signal?: AbortSignal;
}): ChainLogs & { blocksRead(): number } {
  const client = new EvmRpcClient({
    urls: opts.chain.rpc,
    name: opts.chainName,
    requestsPerSecond: opts.chain.requestsPerSecond,
    ...opts.rpc,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const checker = new RequestChecker(opts.info.addresses, opts.filter);
  let blocksRead = 0;

  async function window(from: bigint, to: bigint): Promise<ChainLogsWindow> {
    const numbers: bigint[] = [];
    for (let n = from; n <= to; n++) numbers.push(n);
    const headers = await getHeaders(client, numbers);
    const toRead = numbers.filter((n) => {
      const header = headers.get(n);
      if (!header) throw new Error(`receipts from ${client.currentEndpoint}: block ${n} is not on its chain (is the node behind?)`);
      return !header.logsBloom || checker.mayMatchBloom(bloomBytes(header.logsBloom));
    });
    const batches: bigint[][] = [];
    for (let i = 0; i < toRead.length; i += RECEIPT_BATCH) batches.push(toRead.slice(i, i + RECEIPT_BATCH));
    const limit = pLimit(PARALLEL_BATCHES);
    const perBlock = await Promise.all(
      batches.map((batch) =>
        limit(() =>
          client.batch(
            batch.map((n) => ({ method: 'eth_getBlockReceipts', params: [numberToHex(n)] })),
            (value, i) => parseBlockReceipts(value, batch[i]!, opts.info.chainId),
          ),
        ),
      ),
    );
    blocksRead += toRead.length;
    const logs: RawLog[] = [];
    const withLogs = new Map<bigint, BlockHeader>();
    for (const blockLogs of perBlock.flat()) {
      for (const log of blockLogs) {
        if (!checker.matches(log)) continue;
        const header = headers.get(log.blockNumber);
        if (!header || log.blockHash !== header.hash) {
          throw new Error(
            `receipts from ${client.currentEndpoint}: a receipt log of block ${log.blockNumber} (logIndex ${log.logIndex}) has block hash ${log.blockHash}, ` +
              `but the block's header has ${header?.hash ?? 'none'}: the node contradicts itself`,
          );
        }
        log.blockTime = new Date(header.timestamp * 1000);
        withLogs.set(log.blockNumber, header);
        logs.push(log);
      }
    }
    return { from, to, logs, headers: withLogs };
  }

  return {
    get label() {
      return `receipts from ${client.currentEndpoint}`;
    },
    async *windows(from, to) {
      for (let start = from; start <= to; start += WINDOW_BLOCKS) {
        const end = start + WINDOW_BLOCKS - 1n < to ? start + WINDOW_BLOCKS - 1n : to;
        yield await window(start, end);
      }
    },
    calls: () => ({ ...client.stats.calls }),
    blocksRead: () => blocksRead,
  };
}
