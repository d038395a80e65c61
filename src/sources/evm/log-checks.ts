import type { Address, Hex } from 'viem';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import { bloomBytes, isInBloom } from './logs-bloom.ts';
import type { BlockHeader } from './rpc-types.ts';

/**
 * Checks of what a provider returned against what was asked and against the chain's own headers. A
 * violation can only come from a lying or broken provider (a log outside the range, from a contract or
 * with an event not asked for, twice, or absent from its block's bloom): the caller treats it as a fault
 * of that endpoint, never as a reorg, and stores nothing of the response. Pure functions: each returns
 * the first violation it finds as a sentence naming the log, or undefined.
 */

/** What an eth_getLogs call asked for. */
export interface LogRequest {
  fromBlock: bigint;
  toBlock: bigint;
  /** Lower-case; empty means any address. */
  addresses: readonly Address[];
  filter: LogFilter;
}

/** raw_logs stores log and transaction indexes as int4. */
const MAX_INDEX = 2 ** 31 - 1;

/** `block 123, logIndex 4` — how messages name a log. */
export function describeLog(log: Pick<RawLog, 'blockNumber' | 'logIndex'>): string {
  return `block ${log.blockNumber}, logIndex ${log.logIndex}`;
}

/** A reusable checker for one request shape (sets built once, not per page). */
export class RequestChecker {
  private readonly addresses: ReadonlySet<string> | undefined;
  private readonly topic0: ReadonlySet<string> | undefined;
  private readonly topic1: ReadonlySet<string> | undefined;

  constructor(addresses: readonly Address[], private readonly filter: LogFilter) {
    this.addresses = addresses.length > 0 ? new Set(addresses.map((a) => a.toLowerCase())) : undefined;
    this.topic0 = filter.topic0.length > 0 ? new Set(filter.topic0.map((t) => t.toLowerCase())) : undefined;
    this.topic1 = filter.topic1 && filter.topic1.length > 0 ? new Set(filter.topic1.map((t) => t.toLowerCase())) : undefined;
  }

  /** Whether eth_getLogs with this request would return `log` (its address and topics match; the range aside). */
  matches(log: Pick<RawLog, 'address' | 'topics'>): boolean {
    if (this.addresses && !this.addresses.has(log.address.toLowerCase())) return false;
    const [t0, t1] = log.topics;
    if (this.topic0 && (t0 === undefined || !this.topic0.has(t0.toLowerCase()))) return false;
    return !this.topic1 || (t1 !== undefined && this.topic1.has(t1.toLowerCase()));
  }

  /** Whether a block whose logsBloom is `bloom` may hold a log this request matches (false: surely not). */
  mayMatchBloom(bloom: Uint8Array): boolean {
    const any = (values: ReadonlySet<string> | undefined) => !values || [...values].some((value) => isInBloom(bloom, value as Hex));
    return any(this.addresses) && any(this.topic0) && any(this.topic1);
  }

  /** The first way `logs` contradict an eth_getLogs request for [fromBlock, toBlock], or undefined. */
  check(fromBlock: bigint, toBlock: bigint, logs: readonly RawLog[]): string | undefined {
    let ordered = true;
    let previous: RawLog | undefined;
    for (const log of logs) {
      if (log.blockNumber < fromBlock || log.blockNumber > toBlock) return `returned a log of block ${log.blockNumber} (${describeLog(log)}), outside the requested range`;
      if (!Number.isSafeInteger(log.logIndex) || log.logIndex < 0 || log.logIndex > MAX_INDEX) {
        return `returned a log of block ${log.blockNumber} with logIndex ${log.logIndex}, beyond any real block (at most ${MAX_INDEX})`;
      }
      if (!Number.isSafeInteger(log.txIndex) || log.txIndex < 0 || log.txIndex > MAX_INDEX) {
        return `returned a log (${describeLog(log)}) with transactionIndex ${log.txIndex}, beyond any real block (at most ${MAX_INDEX})`;
      }
      if (this.addresses && !this.addresses.has(log.address)) {
        return `returned a log (${describeLog(log)}) of contract ${log.address}, which the request did not ask for (${[...this.addresses].join(', ')})`;
      }
      const t0 = log.topics[0];
      if (this.topic0 && (t0 === undefined || !this.topic0.has(t0))) {
        return `returned a log (${describeLog(log)}) with topic0 ${t0 ?? '(none)'}, which is not in the request's topic filter`;
      }
      const t1 = log.topics[1];
      if (this.topic1 && (t1 === undefined || !this.topic1.has(t1))) {
        return `returned a log (${describeLog(log)}) with topic1 ${t1 ?? '(none)'}, which is not in the request's topic filter`;
      }
      if (previous) {
        if (previous.blockNumber === log.blockNumber && previous.blockHash !== log.blockHash) {
          return `returned logs of block ${log.blockNumber} with two block hashes (${previous.blockHash}, ${log.blockHash})`;
        }
        if (previous.blockNumber > log.blockNumber || (previous.blockNumber === log.blockNumber && previous.logIndex >= log.logIndex)) ordered = false;
      }
      previous = log;
    }
    // Providers return logs in (block, logIndex) order, so a duplicate is normally found by the ordered
    // scan above for free; only an unordered page pays for a sort.
    return ordered ? undefined : firstDuplicateOrMixedBlock(logs);
  }
}

function firstDuplicateOrMixedBlock(logs: readonly RawLog[]): string | undefined {
  const sorted = [...logs].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.blockNumber !== b.blockNumber) continue;
    if (a.logIndex === b.logIndex) return `returned ${describeLog(b)} twice`;
    if (a.blockHash !== b.blockHash) return `returned logs of block ${b.blockNumber} with two block hashes (${a.blockHash}, ${b.blockHash})`;
  }
  return undefined;
}

/** The first way `logs` contradict an eth_getLogs request, or undefined (one-shot form of RequestChecker). */
export function checkLogsAgainstRequest(request: LogRequest, logs: readonly RawLog[]): string | undefined {
  return new RequestChecker(request.addresses, request.filter).check(request.fromBlock, request.toBlock, logs);
}

/**
 * The first log that its block's header denies, or undefined: a log of a block the node says does not
 * exist, a block hash other than the header's, or an address or topic missing from the header's
 * logsBloom (a bloom has no false negatives, so such a log cannot be in the block). Call it only when
 * the chain did not move while the logs were read, since then a hash mismatch is a reorg. A header
 * without logsBloom skips the bloom test.
 */
export function checkLogsAgainstHeaders(
  logs: readonly RawLog[],
  headers: ReadonlyMap<bigint, BlockHeader | null>,
): { log: RawLog; problem: string } | undefined {
  let bloomBlock: bigint | undefined;
  let bloom: Uint8Array | undefined;
  for (const log of logs) {
    const header = headers.get(log.blockNumber);
    if (!header) return { log, problem: `returned a log (${describeLog(log)}) of a block that eth_getBlockByNumber says does not exist` };
    if (log.blockHash !== header.hash) {
      return { log, problem: `returned a log (${describeLog(log)}) with blockHash ${log.blockHash}, but the block's header has ${header.hash}` };
    }
    if (!header.logsBloom) continue;
    if (bloomBlock !== log.blockNumber) {
      bloom = bloomBytes(header.logsBloom);
      bloomBlock = log.blockNumber;
    }
    if (!isInBloom(bloom!, log.address)) {
      return { log, problem: `returned a log (${describeLog(log)}) of contract ${log.address}, which is not in the block's logsBloom: the block holds no log of that contract` };
    }
    for (let i = 0; i < log.topics.length; i++) {
      const topic = log.topics[i] as Hex;
      if (!isInBloom(bloom!, topic)) {
        return { log, problem: `returned a log (${describeLog(log)}) whose topic${i} ${topic} is not in the block's logsBloom: the block holds no such log` };
      }
    }
  }
  return undefined;
}
