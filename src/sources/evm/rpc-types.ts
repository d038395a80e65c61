import type { Address, Hex } from 'viem';
import type { RawLog } from '../../pipeline/records.ts';
import { parseJson, unwrap } from './json-rpc.ts';
import { payloadViews, type SplitLogsBody } from './logs-body.ts';
import { MalformedResponseError } from './rpc-errors.ts';

/** A block header as the indexer keeps it (`blocks` table). */
export interface BlockHeader {
  number: bigint;
  hash: Hex;
  parentHash: Hex;
  timestamp: number;
  /**
   * The block's 2048-bit logs bloom, when the node sent one (every Ethereum-style node does): the log
   * fetcher checks each returned log against it (log-checks.ts). Not stored.
   */
  logsBloom?: Hex;
}

const HEX = /^0x[0-9a-fA-F]*$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BLOOM = /^0x[0-9a-fA-F]{512}$/;

function field(obj: Record<string, unknown>, key: string, re: RegExp, what: string): Hex {
  const value = obj[key];
  if (typeof value !== 'string' || !re.test(value)) {
    throw new MalformedResponseError(`${what}: field ${key} is ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return value.toLowerCase() as Hex;
}

function quantity(obj: Record<string, unknown>, key: string, what: string): bigint {
  const hex = field(obj, key, HEX, what);
  if (hex.length < 3) throw new MalformedResponseError(`${what}: field ${key} is an empty quantity`);
  return BigInt(hex);
}

/** The previous entry of the same response and what it became: neighbours share most fields. */
interface PreviousLog {
  entry: Record<string, unknown>;
  log: RawLog;
}

/**
 * Validates one eth_getLogs entry and turns it into a RawLog (lower-case hex, exact integers). Its `data`
 * is an index into `payloads`: the logs' data as bytes, cut out of the response by logs-body.ts.
 *
 * Logs of one block or transaction repeat the block hash, transaction hash, address, timestamp and
 * usually topic0/topic1. A value equal to the previous entry's is taken from the previous log, already
 * validated: less checking, and one string kept per distinct value instead of one per log, which is
 * what the young-generation GC had to copy while a batch waited to be written.
 */
function parseRpcLog(
  value: unknown,
  chainId: number,
  payloads: readonly Uint8Array[],
  previous: PreviousLog | undefined,
): { log: RawLog; removed: boolean } {
  if (typeof value !== 'object' || value === null) throw new MalformedResponseError('eth_getLogs: a log is not an object');
  const obj = value as Record<string, unknown>;
  const what = 'eth_getLogs log';
  const prev = previous?.entry;
  const same = (key: string) => prev !== undefined && obj[key] === prev[key];
  const ts = obj.blockTimestamp;
  const blockNumber = same('blockNumber') ? previous!.log.blockNumber : quantity(obj, 'blockNumber', what);
  const blockHash = same('blockHash') ? previous!.log.blockHash : field(obj, 'blockHash', HASH, what);
  // Some nodes (anvil, reth, newer geth) include the block time in each log; we still fetch headers.
  const blockTime = same('blockTimestamp') ? previous!.log.blockTime : typeof ts === 'string' && HEX.test(ts) && ts.length > 2 ? new Date(Number(BigInt(ts)) * 1000) : null;
  const txHash = same('transactionHash') ? previous!.log.txHash : field(obj, 'transactionHash', HASH, what);
  const txIndex = Number(quantity(obj, 'transactionIndex', what));
  const logIndex = Number(quantity(obj, 'logIndex', what));
  const address = same('address') ? previous!.log.address : (field(obj, 'address', ADDRESS, what) as Address);
  const topics = parseTopics(obj.topics, prev?.topics, previous?.log.topics, what);
  const log = new FetchedLog(chainId, blockNumber, blockHash, blockTime, txHash, txIndex, logIndex, address, topics, payloadOf(obj.data, payloads));
  return { log, removed: obj.removed === true };
}

function parseTopics(topics: unknown, previousRaw: unknown, previous: readonly Hex[] | undefined, what: string): Hex[] {
  if (!Array.isArray(topics) || topics.length > 4) throw new MalformedResponseError(`${what}: topics is not a list of up to 4 32-byte hashes`);
  const raw = Array.isArray(previousRaw) ? previousRaw : [];
  const out: Hex[] = new Array(topics.length);
  for (let i = 0; i < topics.length; i++) {
    const topic: unknown = topics[i];
    if (previous !== undefined && topic === raw[i]) {
      out[i] = previous[i]!;
    } else {
      if (typeof topic !== 'string' || !HASH.test(topic)) throw new MalformedResponseError(`${what}: topics is not a list of up to 4 32-byte hashes`);
      out[i] = topic.toLowerCase() as Hex;
    }
  }
  return out;
}

function payloadOf(index: unknown, payloads: readonly Uint8Array[]): Uint8Array {
  // splitLogsBody replaced every log's data string by a number, so anything else was not a hex string.
  const payload = typeof index === 'number' ? payloads[index] : undefined;
  if (!payload) throw new MalformedResponseError('eth_getLogs log: field data is missing or not a string');
  return payload;
}

/**
 * A fetched log that holds its data as bytes and makes the hex only when something reads `data`. Most
 * of an indexing run's garbage was these hex strings (≈8 KB per GMX log, copied by every
 * young-generation GC they survived) although the raw_logs insert and byte-reading decoders never need
 * them. A class, not a getter defined on each object: that would put every log in V8's slow
 * dictionary mode, and decoders read logs' fields constantly. (Spread and JSON.stringify skip a
 * prototype getter; nothing does either to a RawLog.)
 */
class FetchedLog implements RawLog {
  #hex: Hex | undefined;
  constructor(
    readonly chainId: number,
    public blockNumber: bigint,
    public blockHash: Hex,
    public blockTime: Date | null,
    public txHash: Hex,
    public txIndex: number,
    public logIndex: number,
    public address: Address,
    public topics: Hex[],
    public dataBytes: Uint8Array,
  ) {}

  get data(): Hex {
    this.#hex ??= `0x${Buffer.from(this.dataBytes.buffer, this.dataBytes.byteOffset, this.dataBytes.byteLength).toString('hex')}` as Hex;
    return this.#hex;
  }
}

/**
 * An eth_getLogs response, split (logs-body.ts): the JSON without the logs' data, and the data as bytes.
 * `body`, when kept, is the untouched response, from which an error object is read as the server sent it
 * (the split would have cut a `data` string nested in it).
 */
export interface LogsPage extends SplitLogsBody {
  body?: Buffer;
}

/**
 * Validates a split eth_getLogs response. Throws the JSON-RPC error of an error response, so that range
 * refusals are seen, and MalformedResponseError for garbage.
 */
export function parseLogsPage(page: LogsPage, chainId: number): RawLog[] {
  let response: unknown;
  try {
    response = JSON.parse(page.json);
  } catch (error) {
    throw new MalformedResponseError(`eth_getLogs: response is not JSON (${page.json.length} characters without the logs' data): ${(error as Error).message}`);
  }
  if (typeof response === 'object' && response !== null && 'error' in response && (response as { error: unknown }).error != null) {
    unwrap(page.body ? parseJson(page.body) : response);
  }
  return parseLogs(unwrap(response), chainId, payloadViews(page));
}

function parseLogs(value: unknown, chainId: number, payloads: readonly Uint8Array[]): RawLog[] {
  if (!Array.isArray(value)) throw new MalformedResponseError(`eth_getLogs: result is not a list (${typeof value})`);
  const logs: RawLog[] = [];
  let previous: PreviousLog | undefined;
  for (const entry of value) {
    const { log, removed } = parseRpcLog(entry, chainId, payloads, previous);
    // A log flagged removed belongs to a dropped branch; the reorg check decides what to do.
    if (removed) throw new MalformedResponseError('eth_getLogs returned a removed log (reorg in progress)');
    logs.push(log);
    previous = { entry: entry as Record<string, unknown>, log };
  }
  return logs;
}

/** Validates an eth_getBlockByNumber result; null stays null (block not there, e.g. after a reorg). */
export function parseHeader(value: unknown): BlockHeader | null {
  if (value === null) return null;
  if (typeof value !== 'object') throw new MalformedResponseError('eth_getBlockByNumber: result is not an object');
  const obj = value as Record<string, unknown>;
  const what = 'eth_getBlockByNumber';
  const header: BlockHeader = {
    number: quantity(obj, 'number', what),
    hash: field(obj, 'hash', HASH, what),
    parentHash: field(obj, 'parentHash', HASH, what),
    timestamp: Number(quantity(obj, 'timestamp', what)),
  };
  // Absent is tolerated (the bloom check is then skipped); present but not 256 bytes is garbage.
  if (obj.logsBloom !== undefined) header.logsBloom = field(obj, 'logsBloom', BLOOM, what);
  return header;
}

/**
 * Validates a log object as JSON.parse gives it (a receipt's `logs` entry, eth_getBlockReceipts): the same
 * checks as an eth_getLogs entry, with `data` read from its hex. Not on the indexing path, which reads
 * eth_getLogs pages without parsing their data as JSON (logs-body.ts).
 */
export function parseLogObject(value: unknown, chainId: number, what: string): RawLog {
  if (typeof value !== 'object' || value === null) throw new MalformedResponseError(`${what}: a log is not an object`);
  const obj = value as Record<string, unknown>;
  const data = field(obj, 'data', HEX, what);
  if (data.length % 2 !== 0) throw new MalformedResponseError(`${what}: field data is not whole hex bytes`);
  if (obj.removed === true) throw new MalformedResponseError(`${what}: a log is flagged removed (reorg in progress)`);
  const dataBytes = Buffer.from(data.slice(2), 'hex');
  return {
    chainId,
    blockNumber: quantity(obj, 'blockNumber', what),
    blockHash: field(obj, 'blockHash', HASH, what),
    blockTime: null,
    txHash: field(obj, 'transactionHash', HASH, what),
    txIndex: Number(quantity(obj, 'transactionIndex', what)),
    logIndex: Number(quantity(obj, 'logIndex', what)),
    address: field(obj, 'address', ADDRESS, what) as Address,
    topics: parseTopics(obj.topics, undefined, undefined, what),
    data,
    dataBytes,
  };
}
