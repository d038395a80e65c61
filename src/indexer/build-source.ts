import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { Registry } from '../pipeline/registry.ts';
import type { Source } from '../pipeline/source.ts';
import { checkChainId } from '../sources/evm/chain-id.ts';
import { EvmLogSource, type EvmWaits } from '../sources/evm/evm-log-source.ts';
import type { RpcClientOptions } from '../sources/evm/rpc-client.ts';
import { FilesSource } from '../sources/files/files-source.ts';
import { HttpSource } from '../sources/http/http-source.ts';
import { SubgraphSource } from '../sources/subgraph/subgraph-source.ts';
import type { SourcePlan } from './plan-sources.ts';
import type { RestartWaits } from './restart-budget.ts';

/** Settings tests shorten (timeouts, backoff, batch sizes); production uses the config's. */
export interface SourceTuning {
  /** RPC client overrides (timeouts, backoff). */
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  /** Records per write transaction (EVM logs; file lines). */
  batchLogs?: number;
  /** Waits after a restart or behind a lagging node. */
  waits?: RestartWaits & EvmWaits;
  /** Files source: unread bytes from which a file is decoded in worker threads (tests force it with 0). */
  filesWorkerMinBytes?: number;
  /** Files source: how many decode workers (default: the source's). */
  filesDecodeWorkers?: number;
}

/** The source object of a planned source, by kind: the one place that knows every kind of source. */
export function buildSource(
  plan: SourcePlan,
  config: LiqscopeConfig,
  deps: SourceTuning & { db: Kysely<Database>; signal: AbortSignal; registry?: Registry },
): Source<unknown> {
  const source = plan.config;
  switch (source.kind) {
    case 'evm': {
      const chain = config.chains[source.chain]!;
      return new EvmLogSource({
        db: deps.db,
        info: { ...plan.info, chainId: chain.chainId },
        chainName: source.chain,
        chain,
        filter: plan.logFilter!,
        startBlock: source.startBlock,
        ...(source.endBlock !== undefined ? { endBlock: source.endBlock } : {}),
        signal: deps.signal,
        ...(deps.rpc ? { rpc: deps.rpc } : {}),
        ...(deps.batchLogs ? { batchLogs: deps.batchLogs } : {}),
        ...(deps.waits ? { waits: deps.waits } : {}),
      }) as Source<unknown>;
    }
    case 'files': {
      const reading = plan.protocol.files!;
      // A decoder that can be imported by module and joins nothing across batches parses and decodes in a
      // worker thread beside this one: the main thread's CPU over the Oct-10 hour fell from 20.2 s to about 6 s.
      const decoder = reading.decoder;
      const inWorker = decoder.workerModule !== undefined && decoder.usesPending === false && deps.registry !== undefined;
      return new FilesSource({
        info: plan.info,
        paths: source.paths,
        ...(reading.compareFiles ? { compareFiles: reading.compareFiles } : {}),
        ...((source.batchLines ?? deps.batchLogs) ? { batchLines: source.batchLines ?? deps.batchLogs } : {}),
        ...(inWorker
          ? {
              decodeInWorker: {
                decoder,
                registry: deps.registry!.lists(),
                ...(deps.filesWorkerMinBytes !== undefined ? { minBytes: deps.filesWorkerMinBytes } : {}),
                ...(deps.filesDecodeWorkers !== undefined ? { workers: deps.filesDecodeWorkers } : {}),
              },
            }
          : {}),
      }) as Source<unknown>;
    }
    case 'http':
      return new HttpSource({
        info: plan.info,
        reading: plan.protocol.http!,
        client: {
          baseUrl: source.url,
          label: source.name,
          weightPerMinute: source.weightPerMinute,
          timeoutMs: deps.rpc?.timeoutMs ?? source.requestTimeout * 1000,
          budgetMs: deps.rpc?.budgetMs ?? source.requestBudget * 1000,
          ...(deps.rpc?.backoffBaseMs !== undefined ? { backoffBaseMs: deps.rpc.backoffBaseMs } : {}),
          ...(deps.rpc?.backoffMaxMs !== undefined ? { backoffMaxMs: deps.rpc.backoffMaxMs } : {}),
        },
        signal: deps.signal,
      }) as Source<unknown>;
    case 'subgraph':
      return new SubgraphSource({
        info: plan.info,
        reading: plan.protocol.subgraph!,
        client: {
          url: source.url,
          label: source.name,
          requestsPerMinute: source.requestsPerMinute,
          timeoutMs: deps.rpc?.timeoutMs ?? source.requestTimeout * 1000,
          budgetMs: deps.rpc?.budgetMs ?? source.requestBudget * 1000,
          ...(deps.rpc?.backoffBaseMs !== undefined ? { backoffBaseMs: deps.rpc.backoffBaseMs } : {}),
          ...(deps.rpc?.backoffMaxMs !== undefined ? { backoffMaxMs: deps.rpc.backoffMaxMs } : {}),
        },
        startBlock: source.startBlock,
        confirmations: source.confirmations,
        pageSize: source.pageSize,
        signal: deps.signal,
      }) as Source<unknown>;
  }
}

/**
 * What each kind checks before anything is written: an EVM chain's endpoints must all serve the
 * configured chain id (a 42161 node configured as chain 1 would have its logs stored as chain 1).
 */
export async function preflight(plans: readonly SourcePlan[], config: LiqscopeConfig, deps: SourceTuning & { signal?: AbortSignal }): Promise<void> {
  const chains = new Set<string>();
  for (const plan of plans) if (plan.config.kind === 'evm') chains.add(plan.config.chain);
  for (const name of chains) {
    const chain = config.chains[name]!;
    await checkChainId({ name, chainId: chain.chainId, rpc: chain.rpc }, {
      timeoutMs: deps.rpc?.timeoutMs ?? chain.requestTimeout * 1000,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  }
}
