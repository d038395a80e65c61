import { MalformedResponseError } from './rpc-errors.ts';

/**
 * Reads an eth_getLogs response body without running JSON.parse over the logs' `data`.
 *
 * Why: GMX v2 EventEmitter logs carry 1–6 KB of ABI data each, so a page of logs is mostly hex text.
 * JSON.parse copies and scans every character of it (about 1.5 s of CPU per 236 MB, the indexer's
 * largest single cost), and the hex then had to be checked and converted to bytes again for raw_logs.
 * Here each log's data value is located in the raw bytes, cut out of the JSON, checked and converted
 * to bytes in one native pass, and replaced by a numeric placeholder; only the small remainder (hashes,
 * numbers, topics) goes through JSON.parse. No hex string is made: RawLog makes one if a decoder asks.
 *
 * The scan tracks string boundaries (escaped quotes included) and nesting depth, so only the `data`
 * key of an object directly inside the top-level `result` array is cut (depth 3: response → result
 * array → log). Every such `data` must be a string without escapes (no node escapes hex): anything
 * else is a malformed response. Since every depth-3 `data` string is replaced, a number found there
 * after parsing can only be a placeholder. Error responses are parsed whole by the caller.
 */
export interface SplitLogsBody {
  /** The response JSON with every log's data replaced by its index (0, 1, …). */
  json: string;
  /**
   * Every log's data as bytes, end to end, in a buffer of its own (never a slice of Node's shared pool),
   * so that the fetch worker can hand it to the main thread without copying (logs-worker.ts).
   */
  payload: Buffer;
  /** Where each log's data ends in `payload`: log i's data is payload[ends[i - 1] ?? 0, ends[i]). */
  ends: Uint32Array;
}

/** Each log's data as a view into the split body's payload, by index. */
export function payloadViews(split: Pick<SplitLogsBody, 'payload' | 'ends'>): Buffer[] {
  const { payload, ends } = split;
  const views: Buffer[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    if (end < start || end > payload.length) throw new MalformedResponseError(`eth_getLogs: payload bounds out of order at log ${i}`);
    views[i] = payload.subarray(start, end);
    start = end;
  }
  return views;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DATA_KEY = Buffer.from('data', 'latin1');
/** response object → result array → log object. */
const LOG_DEPTH = 3;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Index of the quote closing a string whose content starts at `from`, or -1. */
function closingQuote(body: Buffer, from: number): number {
  let quote = body.indexOf(QUOTE, from);
  while (quote > 0) {
    let backslashes = 0;
    for (let i = quote - 1; i >= from && body[i] === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = body.indexOf(QUOTE, quote + 1);
  }
  return -1;
}

/** Applies the nesting changes of a stretch of JSON that holds no strings. */
function depthAfter(body: Buffer, from: number, to: number, depth: number): number {
  for (let i = from; i < to; i++) {
    const byte = body[i];
    if (byte === 0x7b || byte === 0x5b) depth++;
    else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return depth;
}

function nextNonSpace(body: Buffer, from: number): number {
  let i = from;
  while (isSpace(body[i])) i++;
  return i;
}

export function splitLogsBody(body: Buffer): SplitLogsBody {
  const values: { start: number; end: number }[] = [];
  const skeleton: Buffer[] = [];
  let copiedUpTo = 0;
  let depth = 0;
  let scanned = 0;
  for (;;) {
    const open = body.indexOf(QUOTE, scanned);
    if (open < 0) break;
    depth = depthAfter(body, scanned, open, depth);
    const close = closingQuote(body, open + 1);
    if (close < 0) break; // unterminated string: JSON.parse will say so
    scanned = close + 1;
    if (depth !== LOG_DEPTH || close - open - 1 !== DATA_KEY.length || body.compare(DATA_KEY, 0, DATA_KEY.length, open + 1, close) !== 0) continue;
    const colon = nextNonSpace(body, close + 1);
    if (body[colon] !== COLON) continue; // the string "data" as a value, not a key
    const valueOpen = nextNonSpace(body, colon + 1);
    if (body[valueOpen] !== QUOTE) throw new MalformedResponseError('eth_getLogs: a log\'s data is not a string');
    const valueClose = closingQuote(body, valueOpen + 1);
    if (valueClose < 0) break;
    if (body.subarray(valueOpen + 1, valueClose).indexOf(BACKSLASH) >= 0) {
      throw new MalformedResponseError('eth_getLogs: a log\'s data contains escapes, not plain hex');
    }
    skeleton.push(body.subarray(copiedUpTo, valueOpen), Buffer.from(String(values.length), 'latin1'));
    values.push({ start: valueOpen + 1, end: valueClose });
    copiedUpTo = valueClose + 1;
    scanned = valueClose + 1;
  }
  skeleton.push(body.subarray(copiedUpTo));
  return { json: Buffer.concat(skeleton).toString('utf8'), ...payloadsOf(body, values) };
}

/** Each cut value, checked to be whole hex bytes, as bytes end to end in one unpooled buffer. */
function payloadsOf(body: Buffer, values: { start: number; end: number }[]): { payload: Buffer; ends: Uint32Array } {
  let total = 0;
  for (const { start, end } of values) total += Math.max(0, (end - start - 2) >> 1);
  const all = Buffer.allocUnsafeSlow(total);
  const ends = new Uint32Array(values.length);
  let offset = 0;
  for (let i = 0; i < values.length; i++) {
    const { start, end } = values[i]!;
    const length = end - start;
    if (length < 2 || body[start] !== 0x30 || body[start + 1] !== 0x78 || length % 2 !== 0) {
      throw new MalformedResponseError(`eth_getLogs: a log's data is not 0x-prefixed whole hex bytes: ${body.toString('latin1', start, Math.min(end, start + 40))}`);
    }
    const size = (length - 2) >> 1;
    // Buffer#write stops at the first pair that is not hex: a short count means the data is not hex.
    if (all.write(body.toString('latin1', start + 2, end), offset, size, 'hex') !== size) {
      throw new MalformedResponseError('eth_getLogs: a log\'s data is not valid hex');
    }
    offset += size;
    ends[i] = offset;
  }
  return { payload: all, ends };
}
