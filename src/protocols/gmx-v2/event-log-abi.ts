import type { Hex } from 'viem';
import type { ItemKind } from './event-names.ts';

/**
 * A decoder specialised for the one data layout every GMX v2 EventEmitter log shares:
 * `abi.encode(address msgSender, string eventName, EventLogData eventData)` (the indexed arguments are
 * in the topics). EventLogData is seven groups, in the order addressItems, uintItems, intItems,
 * boolItems, bytes32Items, bytesItems, stringItems; each is `{ items: {key, value}[], arrayItems:
 * {key, value[]}[] }` (shared/formats.md §1).
 *
 * Why not viem's generic decodeEventLog: on real 6 KB PositionDecrease payloads it decodes about 4,000
 * logs/s, which caps indexing far below the 20,000 events/s target.
 *
 * It works in two steps. `decodeEventLogPayload` checks the whole layout and decodes the item keys;
 * each value is only located and checked (in bounds, valid hex, zero address padding, bool 0 or 1,
 * bytes/string length), so `eventLogValue` can decode it later and cannot fail. That split is for
 * speed: a PositionFeesCollected log has about 40 items of which the decoder reads 4. The data may be
 * given as bytes (the fetcher's `dataBytes`), which saves decoding the hex. It is as strict as
 * viem's strict mode and stricter on types: every offset and length is bounds-checked, and any violation
 * throws `AbiLayoutError` naming the group and what was wrong. test/protocols/gmx-v2-event-log-abi.test.ts
 * checks it against viem's decoder on randomised payloads.
 */
export class AbiLayoutError extends Error {
  override name = 'AbiLayoutError';
}

export type ScalarOf = { address: string; uint: bigint; int: bigint; bool: boolean; bytes32: string; bytes: string; string: string };

/**
 * Where a value is: the byte position of its word for the static kinds, of its length word for bytes
 * and string (the offset already followed).
 */
export type ValueAt = number;

export interface ItemGroup {
  items: { key: string; at: ValueAt }[];
  arrayItems: { key: string; at: ValueAt[] }[];
}

export interface EventLogPayload {
  /** The data as bytes; `groups` positions point into it. */
  bytes: Buffer;
  /** Lower-case address. */
  msgSender: string;
  eventName: string;
  /** Keys and value positions by kind, in payload order; decode a value with `eventLogValue(bytes, …)`. */
  groups: Record<ItemKind, ItemGroup>;
}

/** The seven groups in their ABI order. */
const GROUP_ORDER: readonly ItemKind[] = ['address', 'uint', 'int', 'bool', 'bytes32', 'bytes', 'string'];
const TWO_256 = 1n << 256n;
const TWO_255 = 1n << 255n;
/** No real payload comes near this; it bounds the work a hostile length word can cause. */
const MAX_ELEMENTS = 1_000_000;
const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Item keys ("sizeInUsd", "orderType", …) repeat on every log; decoding each from its bytes again was a
 * measurable share of the decoder's time and garbage. Found by a hash of the bytes, so a hit allocates
 * nothing; bounded so hostile data cannot grow it.
 */
interface CachedKey {
  bytes: DataView;
  text: string;
  /** Another key in the same bucket. */
  next: CachedKey | undefined;
}
/** A plain array indexed by hash bits: a Map keyed by number was a third of the key lookup time. */
const KEY_BUCKETS = 4096;
const keyCache: (CachedKey | undefined)[] = new Array<CachedKey | undefined>(KEY_BUCKETS).fill(undefined);
let cachedKeys = 0;
const KEY_CACHE_LIMIT = 10_000;

/**
 * The bytes of hex data. Node's native decoding stops at the first non-hex digit; the rest is then decoded
 * leniently so that reads which do not touch a bad digit still see the right bytes (WordReader refuses
 * the reads that do, as a decoder reading the hex digit by digit would).
 */
function hexToBytes(hex: string): { bytes: Buffer; allHex: boolean } {
  const size = (hex.length - 2) / 2;
  const decoded = Buffer.from(hex.slice(2), 'hex');
  if (decoded.length === size) return { bytes: decoded, allHex: true };
  const bytes = Buffer.alloc(size);
  decoded.copy(bytes);
  for (let i = decoded.length; i < size; i++) bytes[i] = Number.parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16) & 0xff;
  return { bytes, allHex: false };
}

/**
 * Reads the 32-byte words of a payload by byte position. Checks read 4 bytes at a time through a
 * DataView, which the JIT turns into single loads: reading byte by byte was most of the decoder's time.
 */
class WordReader {
  /** Data size in bytes. */
  readonly size: number;
  private readonly view: DataView;

  /** `badHex`: the data as given, when it was hex with a non-hex digit somewhere; then each read checks its digits. */
  constructor(
    private readonly bytes: Buffer,
    private readonly badHex: string | null,
  ) {
    this.size = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private checkHex(position: number, length: number, what: string): void {
    if (this.badHex === null) return;
    const from = 2 + position * 2;
    if (!HEX_RE.test(this.badHex.slice(from, from + length * 2))) throw new AbiLayoutError(`${what}: invalid hex at byte ${position}`);
  }

  /** Checks that a whole word is in the data and is hex; returns its byte position. */
  word(position: number, what: string): number {
    if (position < 0 || position + 32 > this.size) {
      throw new AbiLayoutError(`${what}: word at byte ${position} is past the end of the ${this.size}-byte data`);
    }
    this.checkHex(position, 32, what);
    return position;
  }

  /** True when the `count` (a multiple of 4) bytes at `position` are all zero. */
  private zeros(position: number, count: number): boolean {
    let any = 0;
    for (let i = position; i < position + count; i += 4) any |= this.view.getUint32(i);
    return any === 0;
  }

  /** A small integer (offset or length) that must fit in 32 bits. */
  small(position: number, what: string): number {
    this.word(position, what);
    if (!this.zeros(position, 28)) throw new AbiLayoutError(`${what}: value at byte ${position} is too large for an offset or length`);
    return this.view.getUint32(position + 28);
  }

  address(position: number, what: string): void {
    this.word(position, what);
    if (!this.zeros(position, 12)) throw new AbiLayoutError(`${what}: word at byte ${position} is not an address (non-zero padding)`);
  }

  bool(position: number, what: string): void {
    const value = this.small(position, what);
    if (value > 1) throw new AbiLayoutError(`${what}: word at byte ${position} is not a bool (value ${value})`);
  }

  /** `bytes` at `position`: a length word followed by the bytes, padded to a word. Returns the length. */
  bytesAt(position: number, what: string): number {
    const length = this.small(position, what);
    const start = position + 32;
    if (start + length > this.size) throw new AbiLayoutError(`${what}: ${length} bytes at byte ${start} run past the end of the data`);
    this.checkHex(start, length, what);
    return length;
  }

  string(position: number, what: string): string {
    const length = this.bytesAt(position, what);
    return this.bytes.toString('utf8', position + 32, position + 32 + length);
  }

  /** A string that is likely to repeat (an item key): decoded once per distinct value. */
  key(position: number, what: string): string {
    const length = this.bytesAt(position, what);
    const start = position + 32;
    const bucket = this.hash(start, length) & (KEY_BUCKETS - 1);
    for (let entry = keyCache[bucket]; entry; entry = entry.next) {
      if (this.equals(start, length, entry.bytes)) return entry.text;
    }
    const text = this.bytes.toString('utf8', start, start + length);
    if (cachedKeys < KEY_CACHE_LIMIT) {
      const copy = new Uint8Array(this.bytes.subarray(start, start + length));
      keyCache[bucket] = { bytes: new DataView(copy.buffer), text, next: keyCache[bucket] };
      cachedKeys++;
    }
    return text;
  }

  /** FNV-1a-like hash over `length` bytes at `start`, four at a time. */
  private hash(start: number, length: number): number {
    const words = start + (length & ~3);
    let h = 0x811c9dc5 ^ length;
    for (let i = start; i < words; i += 4) h = Math.imul(h ^ this.view.getUint32(i), 0x01000193);
    for (let i = words; i < start + length; i++) h = Math.imul(h ^ this.view.getUint8(i), 0x01000193);
    return h;
  }

  private equals(start: number, length: number, other: DataView): boolean {
    if (other.byteLength !== length) return false;
    const words = length & ~3;
    for (let i = 0; i < words; i += 4) if (this.view.getUint32(start + i) !== other.getUint32(i)) return false;
    for (let i = words; i < length; i++) if (this.view.getUint8(start + i) !== other.getUint8(i)) return false;
    return true;
  }

  /** Follows an offset word found at `position`, relative to `base`. */
  follow(position: number, base: number, what: string): number {
    const target = base + this.small(position, what);
    if (target >= this.size) throw new AbiLayoutError(`${what}: offset at byte ${position} points past the end of the data`);
    return target;
  }

  length(position: number, what: string): number {
    const n = this.small(position, what);
    // Each element needs at least one word, so a length the data cannot hold is malformed.
    if (n > MAX_ELEMENTS || position + 32 + n * 32 > this.size) {
      throw new AbiLayoutError(`${what}: array length ${n} at byte ${position} does not fit in the data`);
    }
    return n;
  }
}

/**
 * Checks the value of `kind` at `position` (for bytes and string, the offset word there, relative to
 * `base`) and returns where `eventLogValue` will find it.
 */
function checkValue(reader: WordReader, kind: ItemKind, position: number, base: number, what: string): ValueAt {
  switch (kind) {
    case 'address':
      reader.address(position, what);
      return position;
    case 'uint':
    case 'int':
    case 'bytes32':
      return reader.word(position, what);
    case 'bool':
      reader.bool(position, what);
      return position;
    case 'bytes':
    case 'string': {
      const at = reader.follow(position, base, what);
      reader.bytesAt(at, what);
      return at;
    }
  }
  throw new AbiLayoutError(`unknown item kind ${String(kind)}`);
}

/**
 * Item-level labels ("uintItems.items[3]") are only built when something is wrong: the reads inside an
 * item name their part (".key", ".value") and this prefixes the item.
 */
function relabel(error: unknown, label: string): unknown {
  return error instanceof AbiLayoutError ? new AbiLayoutError(`${label}${error.message}`) : error;
}

/** An item: `(string key, T value)`. Returns its key and where its value is. */
function readItem(reader: WordReader, kind: ItemKind, element: number): { key: string; at: ValueAt } {
  const key = reader.key(reader.follow(element, element, '.key'), '.key');
  return { key, at: checkValue(reader, kind, element + 32, element, '.value') };
}

/** An array item: `(string key, T[] value)`; static values sit in place, dynamic ones are offsets from the array's start. */
function readArrayItem(reader: WordReader, kind: ItemKind, element: number): { key: string; at: ValueAt[] } {
  const key = reader.key(reader.follow(element, element, '.key'), '.key');
  const valuesAt = reader.follow(element + 32, element, '.value');
  const n = reader.length(valuesAt, '.value');
  const valuesBase = valuesAt + 32;
  const at: ValueAt[] = new Array(n);
  for (let j = 0; j < n; j++) {
    try {
      at[j] = checkValue(reader, kind, valuesBase + j * 32, valuesBase, '');
    } catch (error) {
      throw relabel(error, `.value[${j}]`);
    }
  }
  return { key, at };
}

/** The elements of the `items` or `arrayItems` array whose offset word is at `offsetAt`. */
function readElements<T>(reader: WordReader, offsetAt: number, base: number, what: string, read: (element: number) => T): T[] {
  const arrayAt = reader.follow(offsetAt, base, what);
  const count = reader.length(arrayAt, what);
  const elementsBase = arrayAt + 32;
  const out: T[] = new Array(count);
  for (let i = 0; i < count; i++) {
    try {
      out[i] = read(reader.follow(elementsBase + i * 32, elementsBase, ''));
    } catch (error) {
      throw relabel(error, `${what}[${i}]`);
    }
  }
  return out;
}

function readGroup(reader: WordReader, kind: ItemKind, start: number): ItemGroup {
  const what = `${kind}Items`;
  return {
    items: readElements(reader, start, start, `${what}.items`, (element) => readItem(reader, kind, element)),
    arrayItems: readElements(reader, start + 32, start, `${what}.arrayItems`, (element) => readArrayItem(reader, kind, element)),
  };
}

/**
 * Checks and indexes the data of an EventLog / EventLog1 / EventLog2 log, given as hex or, better (no
 * hex to decode), as bytes. Throws AbiLayoutError when malformed.
 */
export function decodeEventLogPayload(data: Hex | Uint8Array): EventLogPayload {
  let bytes: Buffer;
  let badHex: string | null = null;
  if (typeof data === 'string') {
    if (!data.startsWith('0x') || data.length % 2 !== 0) throw new AbiLayoutError('data is not an even-length 0x hex string');
    const decoded = hexToBytes(data);
    bytes = decoded.bytes;
    if (!decoded.allHex) badHex = data;
  } else {
    bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  const reader = new WordReader(bytes, badHex);
  reader.address(0, 'msgSender');
  const msgSender = eventLogValue(bytes, 'address', 0);
  const eventName = reader.string(reader.follow(32, 0, 'eventName'), 'eventName');
  const eventData = reader.follow(64, 0, 'eventData');
  const groups = {} as EventLogPayload['groups'];
  GROUP_ORDER.forEach((kind, i) => {
    const groupStart = reader.follow(eventData + i * 32, eventData, `${kind}Items`);
    groups[kind] = readGroup(reader, kind, groupStart);
  });
  return { bytes, msgSender, eventName, groups };
}

/**
 * The value of `kind` at `at` in `bytes` (a position and the bytes from `decodeEventLogPayload`, which has
 * checked the value). Addresses, bytes32 and bytes are lower-case hex.
 */
export function eventLogValue<K extends ItemKind>(bytes: Buffer, kind: K, at: ValueAt): ScalarOf[K] {
  switch (kind) {
    case 'address':
      return `0x${bytes.toString('hex', at + 12, at + 32)}` as ScalarOf[K];
    case 'uint':
      return uint256(bytes, at) as ScalarOf[K];
    case 'int': {
      const value = uint256(bytes, at);
      return (value >= TWO_255 ? value - TWO_256 : value) as ScalarOf[K];
    }
    case 'bool':
      return (bytes[at + 31] === 1) as ScalarOf[K];
    case 'bytes32':
      return `0x${bytes.toString('hex', at, at + 32)}` as ScalarOf[K];
    case 'bytes':
      return `0x${bytes.toString('hex', at + 32, at + 32 + bytes.readUInt32BE(at + 28))}` as ScalarOf[K];
    case 'string':
      return bytes.toString('utf8', at + 32, at + 32 + bytes.readUInt32BE(at + 28)) as ScalarOf[K];
  }
  throw new Error(`unknown item kind ${String(kind)}`);
}

/** The 32-byte big-endian word at `at`; most values fit in 48 bits, which skips the BigInt arithmetic. */
function uint256(bytes: Buffer, at: number): bigint {
  let high = 0;
  for (let i = at; i < at + 26; i++) high |= bytes[i]!;
  if (high === 0) return BigInt(bytes.readUIntBE(at + 26, 6));
  return (bytes.readBigUInt64BE(at) << 192n) | (bytes.readBigUInt64BE(at + 8) << 128n) | (bytes.readBigUInt64BE(at + 16) << 64n) | bytes.readBigUInt64BE(at + 24);
}
