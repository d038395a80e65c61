import type { ChainConfig } from '../config/schema.ts';
import type { LogFilter } from '../pipeline/protocol.ts';
import type { SourceInfo } from '../pipeline/source-info.ts';
import { LogFetcher } from '../sources/evm/log-fetcher.ts';
import { RangeSizer } from '../sources/evm/range-sizer.ts';
import { EvmRpcClient, type RpcClientOptions } from '../sources/evm/rpc-client.ts';
import type { ChainLogs } from './chain-logs.ts';

/**
 * A second provider's eth_getLogs with the source's filter, fetched and checked exactly as the indexer
 * fetches (range sizing, refusals, the request and header checks of log-checks.ts), so that a second
 * provider that lies is refused too rather than trusted.
 */
export function logsFromRpc(opts: {
  url: string;
  chain: ChainConfig;
  info: SourceInfo & { chainId: number };
  filter: LogFilter;
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  signal?: AbortSignal;
}): ChainLogs {
  const client = new EvmRpcClient({
    urls: [opts.url],
    name: 'against',
    requestsPerSecond: opts.chain.requestsPerSecond,
    ...opts.rpc,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const fetcher = new LogFetcher(client, new RangeSizer(opts.chain.maxBlockRange), {
    chainId: opts.info.chainId,
    addresses: opts.info.addresses,
    filter: opts.filter,
    concurrency: opts.chain.concurrency,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    label: `rpc ${new URL(opts.url).host}`,
    async *windows(from, to) {
      for await (const chunk of fetcher.stream(from, to)) yield { from: chunk.from, to: chunk.to, logs: chunk.logs, headers: chunk.headers };
    },
    calls: () => ({ ...client.stats.calls }),
  };
}
