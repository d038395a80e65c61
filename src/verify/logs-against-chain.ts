import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { storeKind } from '../db/store-kind.ts';
import { readCursors } from '../indexer/cursors.ts';
import { builtinRegistry } from '../indexer/index-config.ts';
import { planSources } from '../indexer/plan-sources.ts';
import { loadRegistry, syncRegistry } from '../indexer/registry-store.ts';
import { acquireSourceLock } from '../indexer/source-lock.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import type { RawLog } from '../pipeline/records.ts';
import { LOG_STREAM } from '../sources/evm/evm-log-source.ts';
import { logger } from '../logger.ts';
import { checkChainId, ChainIdMismatchError, readChainId } from '../sources/evm/chain-id.ts';
import type { RpcClientOptions } from '../sources/evm/rpc-client.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';
import type { ChainLogs } from './chain-logs.ts';
import { compareLogs, type LogDiscrepancy } from './compare-logs.ts';
import { logsFromReceipts } from './logs-from-receipts.ts';
import { logsFromRpc } from './logs-from-rpc.ts';
import { repairLogs, type LogsRepair } from './repair-logs.ts';
import { readRawLogs } from '../sources/evm/raw-log-store.ts';

/** The second view to compare with: another provider, or the configured one's block receipts. */
export type LogsReference = { kind: 'rpc'; url: string } | { kind: 'receipts' };

/** The request cannot be verified as asked (unknown source, a range outside what was indexed). */
export class VerifyRequestError extends Error {
  override name = 'VerifyRequestError';
}

export interface VerifyLogsOptions {
  source: string;
  /** First block (default: the source's startBlock). */
  from?: bigint;
  /** Last block (default: the source's cursor, the last block it indexed). */
  to?: bigint;
  against: LogsReference;
  /** Store what is missing, delete what is extra, and rebuild the source's facts. */
  repair?: boolean;
  /** The protocols the configuration's sources may name (the composition root's list). */
  protocols: readonly Protocol[];
  dbKind?: 'postgres' | 'pglite';
  rpc?: Partial<Omit<RpcClientOptions, 'urls' | 'signal'>>;
  signal?: AbortSignal;
}

export interface LogsVerification {
  source: string;
  chain: string;
  chainId: number;
  from: bigint;
  to: bigint;
  /** What the store was compared with, printable (a host, never a URL). */
  against: string;
  /** Logs the second view has for the range, and logs stored for it. */
  chainLogs: number;
  storedLogs: number;
  /** In (block, logIndex) order. */
  discrepancies: LogDiscrepancy[];
  /** Calls made to the second view, by method. */
  calls: Record<string, number>;
  /** Set when `repair` was asked and there was something to repair. */
  repair?: LogsRepair;
}

/**
 * Compares a source's raw logs over a block range with a second view of the chain: another provider's
 * eth_getLogs (`rpc:URL`) or the configured provider's block receipts. Finds what no single answer can
 * reveal, a log a provider silently dropped, and reports per block the logs missing from the store, the
 * stored logs the chain lacks, and the logs whose fields differ. With `repair`, makes the store equal
 * the chain (repair-logs.ts) while holding the source's lock, so that no index run writes meanwhile.
 *
 * The range must lie within what the source indexed (startBlock … cursor): blocks above the cursor are
 * the indexer's to fetch, not missing.
 */
export async function verifyLogsAgainstChain(db: Kysely<Database>, config: LiqscopeConfig, opts: VerifyLogsOptions): Promise<LogsVerification> {
  const source = config.sources.find((s) => s.name === opts.source);
  if (!source) throw new VerifyRequestError(`unknown source "${opts.source}" (configured: ${config.sources.map((s) => s.name).join(', ') || 'none'})`);
  if (source.kind !== 'evm') throw new VerifyRequestError(`source "${source.name}" is a ${source.kind} source: --against compares chain logs only`);
  const [plan] = planSources(config, opts.protocols, { sources: [source.name] });
  const { info } = plan!;
  const chainId = info.chainId!;
  const chain = config.chains[source.chain]!;
  const filter = plan!.logFilter!;

  const startBlock = BigInt(source.startBlock);
  const cursorRow = (await readCursors(db, info.id)).get(LOG_STREAM);
  const cursor = { block: cursorRow ? BigInt(cursorRow.position) : startBlock - 1n };
  if (cursor.block < startBlock) throw new VerifyRequestError(`source "${info.id}" has indexed nothing yet: nothing to verify`);
  const from = opts.from ?? startBlock;
  const to = opts.to ?? cursor.block;
  if (from < startBlock) throw new VerifyRequestError(`--from ${from} is before source "${info.id}"'s startBlock ${startBlock}`);
  if (to > cursor.block) {
    throw new VerifyRequestError(`--to ${to} is past what source "${info.id}" has indexed (up to block ${cursor.block}): blocks not indexed yet cannot be verified`);
  }
  if (from > to) throw new VerifyRequestError(`--from ${from} is after --to ${to}`);

  const lock = opts.repair ? await acquireSourceLock(db, opts.dbKind ?? storeKind(db), info.id) : undefined;
  try {
    const rpcOptions = { ...(opts.rpc ? { rpc: opts.rpc } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    const timeouts = { ...(opts.rpc?.timeoutMs !== undefined ? { timeoutMs: opts.rpc.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    let reference: ChainLogs;
    if (opts.against.kind === 'rpc') {
      const host = new URL(opts.against.url).host;
      const actual = await readChainId(opts.against.url, timeouts);
      if (actual !== chainId) {
        throw new ChainIdMismatchError(`--against rpc: ${host} serves chain ${actual}, but source "${info.id}" is on chain "${source.chain}" (chainId ${chainId})`);
      }
      reference = logsFromRpc({ url: opts.against.url, chain, info: { ...info, chainId }, filter, ...rpcOptions });
    } else {
      await checkChainId({ name: source.chain, chainId: chain.chainId, rpc: chain.rpc }, timeouts);
      reference = logsFromReceipts({ chainName: source.chain, chain, info: { ...info, chainId }, filter, ...rpcOptions });
    }

    const discrepancies: LogDiscrepancy[] = [];
    let chainLogs = 0;
    let storedLogs = 0;
    /** The chain's versions of missing and changed logs, and their blocks' headers, for a repair. */
    const insert: RawLog[] = [];
    const headers = new Map<bigint, BlockHeader>();
    for await (const window of reference.windows(from, to)) {
      const stored = await readRawLogs(db, info.id, { from: window.from, to: window.to });
      const found = compareLogs(window.logs, stored);
      chainLogs += window.logs.length;
      storedLogs += stored.length;
      if (found.length === 0) continue;
      discrepancies.push(...found);
      if (!opts.repair) continue;
      const wanted = new Set(found.filter((d) => d.kind !== 'extra').map((d) => `${d.blockNumber}:${d.logIndex}`));
      for (const log of window.logs) {
        if (!wanted.has(`${log.blockNumber}:${log.logIndex}`)) continue;
        insert.push(log);
        const header = window.headers.get(log.blockNumber);
        if (header) headers.set(log.blockNumber, header);
      }
      logger.debug({ source: info.id, from: window.from.toString(), to: window.to.toString(), found: found.length }, 'verify: discrepancies in window');
    }

    const result: LogsVerification = {
      source: info.id,
      chain: source.chain,
      chainId,
      from,
      to,
      against: reference.label,
      chainLogs,
      storedLogs,
      discrepancies,
      calls: reference.calls(),
    };
    if (opts.repair && discrepancies.length > 0) {
      const remove = discrepancies.filter((d) => d.kind !== 'missing');
      await syncRegistry(db, builtinRegistry(opts.protocols), config);
      const registry = await loadRegistry(db, info.venue, info.chainId);
      result.repair = await repairLogs(lock ? lock.guard(db) : db, plan!, registry, { remove, insert, headers: [...headers.values()] });
    }
    return result;
  } finally {
    await lock?.release();
  }
}
