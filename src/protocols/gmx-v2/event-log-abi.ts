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
 * logs/s, which caps indexing far below the 20,000 events/s target. This reads the hex string in place.
 * It is as strict as viem's strict mode and stricter on types: every offset and length is bounds-checked,
 * an address word must have zero padding and a bool word must be 0 or 1; any violation throws
 * `AbiLayoutError` naming the group and what was wrong. test/protocols/gmx-v2-event-log-abi.test.ts
 * checks it against viem's decoder on randomised payloads.
 */
export class AbiLayoutError extends Error {
  override name = 'AbiLayoutError';
}

export type ScalarOf = { address: string; uint: bigint; int: bigint; bool: boolean; bytes32: string; bytes: string; string: string };

export interface ItemGroup<T> {
  items: { key: string; value: T }[];
  arrayItems: { key: string; value: T[] }[];
}

export interface EventLogPayload {
  /** Lower-case address. */
  msgSender: string;
  eventName: string;
  /** Groups by kind; addresses, bytes32 and bytes values are lower-case hex. */
  groups: { [K in ItemKind]: ItemGroup<ScalarOf[K]> };
}

/** The seven groups in their ABI order. */
const GROUP_ORDER: readonly ItemKind[] = ['address', 'uint', 'int', 'bool', 'bytes32', 'bytes', 'string'];
const DYNAMIC_KINDS: ReadonlySet<ItemKind> = new Set(['bytes', 'string']);
const ZERO_PADDING_24 = '0'.repeat(24);
const ZERO_PADDING_56 = '0'.repeat(56);
const TWO_256 = 1n << 256n;
const TWO_255 = 1n << 255n;
/** No real payload comes near this; it bounds the work a hostile length word can cause. */
const MAX_ELEMENTS = 1_000_000;
const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Item keys ("sizeInUsd", "orderType", …) repeat on every log; decoding each from hex again was a
 * measurable share of the decoder's time and garbage. Bounded so hostile data cannot grow it.
 */
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 10_000;

function checkedHex(hex: string, what: string, position: number): string {
  if (!HEX_RE.test(hex)) throw new AbiLayoutError(`${what}: invalid hex at byte ${position}`);
  return hex;
}

/** Reads 32-byte words of a hex string by byte position, without copying the string. */
class WordReader {
  /** Data size in bytes. */
  readonly size: number;
  constructor(private readonly hex: string) {
    this.size = (hex.length - 2) / 2;
  }

  private at(position: number, what: string): number {
    if (position < 0 || position + 32 > this.size) {
      throw new AbiLayoutError(`${what}: word at byte ${position} is past the end of the ${this.size}-byte data`);
    }
    return 2 + position * 2;
  }

  wordHex(position: number, what: string): string {
    const start = this.at(position, what);
    return this.hex.slice(start, start + 64);
  }

  uint(position: number, what: string): bigint {
    const word = this.wordHex(position, what);
    try {
      return BigInt(`0x${word}`);
    } catch {
      throw new AbiLayoutError(`${what}: invalid hex at byte ${position}`);
    }
  }

  int(position: number, what: string): bigint {
    const value = this.uint(position, what);
    return value >= TWO_255 ? value - TWO_256 : value;
  }

  /** A small integer (offset or length) that must fit in 32 bits. Hot: read without slicing the word. */
  small(position: number, what: string): number {
    const start = this.at(position, what);
    if (!this.hex.startsWith(ZERO_PADDING_56, start)) {
      throw new AbiLayoutError(`${what}: value at byte ${position} is too large for an offset or length`);
    }
    const value = Number(`0x${this.hex.slice(start + 56, start + 64)}`);
    if (Number.isNaN(value)) throw new AbiLayoutError(`${what}: invalid hex at byte ${position}`);
    return value;
  }

  address(position: number, what: string): string {
    const word = this.wordHex(position, what);
    if (!word.startsWith(ZERO_PADDING_24)) throw new AbiLayoutError(`${what}: word at byte ${position} is not an address (non-zero padding)`);
    return `0x${checkedHex(word.slice(24), what, position).toLowerCase()}`;
  }

  bool(position: number, what: string): boolean {
    const value = this.small(position, what);
    if (value > 1) throw new AbiLayoutError(`${what}: word at byte ${position} is not a bool (value ${value})`);
    return value === 1;
  }

  bytes32(position: number, what: string): string {
    return `0x${checkedHex(this.wordHex(position, what), what, position).toLowerCase()}`;
  }

  /** `bytes` at `position`: a length word followed by the bytes, padded to a word. */
  bytes(position: number, what: string): string {
    const length = this.small(position, what);
    const start = position + 32;
    if (start + length > this.size) throw new AbiLayoutError(`${what}: ${length} bytes at byte ${start} run past the end of the data`);
    const from = 2 + start * 2;
    return `0x${checkedHex(this.hex.slice(from, from + length * 2), what, start).toLowerCase()}`;
  }

  string(position: number, what: string): string {
    const hex = this.bytes(position, what);
    return Buffer.from(hex.slice(2), 'hex').toString('utf8');
  }

  /** A string that is likely to repeat (an item key): decoded once per distinct value. */
  key(position: number, what: string): string {
    const length = this.small(position, what);
    const from = 2 + (position + 32) * 2;
    const raw = this.hex.slice(from, from + length * 2);
    const cached = keyCache.get(raw);
    if (cached !== undefined) return cached;
    const decoded = this.string(position, what);
    if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(raw, decoded);
    return decoded;
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

function readScalar<K extends ItemKind>(reader: WordReader, kind: K, position: number, base: number, what: string): ScalarOf[K] {
  switch (kind) {
    case 'address':
      return reader.address(position, what) as ScalarOf[K];
    case 'uint':
      return reader.uint(position, what) as ScalarOf[K];
    case 'int':
      return reader.int(position, what) as ScalarOf[K];
    case 'bool':
      return reader.bool(position, what) as ScalarOf[K];
    case 'bytes32':
      return reader.bytes32(position, what) as ScalarOf[K];
    case 'bytes':
      return reader.bytes(reader.follow(position, base, what), what).toLowerCase() as ScalarOf[K];
    case 'string':
      return reader.string(reader.follow(position, base, what), what) as ScalarOf[K];
  }
  throw new AbiLayoutError(`unknown item kind ${String(kind)}`);
}

function readGroup<K extends ItemKind>(reader: WordReader, kind: K, start: number): ItemGroup<ScalarOf[K]> {
  const what = `${kind}Items`;
  const dynamic = DYNAMIC_KINDS.has(kind);

  const itemsAt = reader.follow(start, start, `${what}.items`);
  const itemCount = reader.length(itemsAt, `${what}.items`);
  const itemsBase = itemsAt + 32;
  const items: ItemGroup<ScalarOf[K]>['items'] = new Array(itemCount);
  for (let i = 0; i < itemCount; i++) {
    const label = `${what}.items[${i}]`;
    const element = reader.follow(itemsBase + i * 32, itemsBase, label);
    const key = reader.key(reader.follow(element, element, `${label}.key`), `${label}.key`);
    items[i] = { key, value: readScalar(reader, kind, element + 32, element, `${label}.value`) };
  }

  const arraysAt = reader.follow(start + 32, start, `${what}.arrayItems`);
  const arrayCount = reader.length(arraysAt, `${what}.arrayItems`);
  const arraysBase = arraysAt + 32;
  const arrayItems: ItemGroup<ScalarOf[K]>['arrayItems'] = new Array(arrayCount);
  for (let i = 0; i < arrayCount; i++) {
    const label = `${what}.arrayItems[${i}]`;
    const element = reader.follow(arraysBase + i * 32, arraysBase, label);
    const key = reader.key(reader.follow(element, element, `${label}.key`), `${label}.key`);
    const valuesAt = reader.follow(element + 32, element, `${label}.value`);
    const n = reader.length(valuesAt, `${label}.value`);
    const valuesBase = valuesAt + 32;
    const values: ScalarOf[K][] = new Array(n);
    for (let j = 0; j < n; j++) {
      // Static values sit in place; dynamic ones (bytes, string) are offsets from the array's start.
      values[j] = readScalar(reader, kind, valuesBase + j * 32, valuesBase, `${label}.value[${j}]`);
    }
    arrayItems[i] = { key, value: values };
  }
  return { items, arrayItems };
}

/** Decodes the data of an EventLog / EventLog1 / EventLog2 log. Throws AbiLayoutError when malformed. */
export function decodeEventLogPayload(data: Hex): EventLogPayload {
  // Hex is checked where it is read (every word, address and byte string), not by scanning the whole
  // payload up front: that scan alone was a tenth of the decoder's time on 6 KB payloads.
  if (!data.startsWith('0x') || data.length % 2 !== 0) throw new AbiLayoutError('data is not an even-length 0x hex string');
  const reader = new WordReader(data);
  const msgSender = reader.address(0, 'msgSender');
  const eventName = reader.string(reader.follow(32, 0, 'eventName'), 'eventName');
  const eventData = reader.follow(64, 0, 'eventData');
  const groups = {} as EventLogPayload['groups'];
  GROUP_ORDER.forEach((kind, i) => {
    const groupStart = reader.follow(eventData + i * 32, eventData, `${kind}Items`);
    (groups as Record<ItemKind, ItemGroup<unknown>>)[kind] = readGroup(reader, kind, groupStart);
  });
  return { msgSender, eventName, groups };
}
