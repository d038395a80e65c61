import { keccak256, toHex, type Hex } from 'viem';
import { gmxEventEmitterAbi } from '../../../abis/gmx-v2-event-emitter.ts';
import type { RawLog } from '../../pipeline/records.ts';
import { DecodeFailure } from '../shared/rows.ts';
import { ITEM_KINDS, type ItemKind } from './event-names.ts';
import type { GmxEmitter } from './encode.ts';
import { decodeEventLogPayload, eventLogValue, type ItemGroup, type ScalarOf } from './event-log-abi.ts';

/**
 * Flattening of a GMX v2 EventEmitter log: EventLog / EventLog1 / EventLog2 → eventName, topics and
 * the seven EventLogData item groups (items and arrayItems apart). Decoders read items with `req`,
 * `opt` and `unknownItems`, which accept alternative historical spellings and report a missing
 * required key with the event name and, when the key exists under another kind, where it was found.
 * Values are decoded from the log's data only when read (parseGmxLog has checked all of them).
 */

export interface GmxEvent {
  emitter: GmxEmitter;
  msgSender: string;
  eventName: string;
  topic1: Hex | undefined;
  topic2: Hex | undefined;
  /** The log's data as bytes, which the positions below point into. */
  bytes: Buffer;
  /**
   * Item keys and value positions by kind, in payload order. Searched linearly: a group has at most a
   * few dozen items, and building a Map per group and log cost more than the searches.
   */
  groups: Record<ItemKind, ItemGroup>;
}

const EMITTER_TOPICS = new Map<string, GmxEmitter>(
  gmxEventEmitterAbi.map((e) => [keccak256(toHex(`${e.name}(${abiSignatureArgs(e.inputs)})`)).toLowerCase(), e.name]),
);

function abiSignatureArgs(inputs: readonly { type: string; components?: readonly unknown[] }[]): string {
  return inputs
    .map((i) => {
      if (!i.type.startsWith('tuple')) return i.type;
      const suffix = i.type.slice('tuple'.length);
      return `(${abiSignatureArgs(i.components as never)})${suffix}`;
    })
    .join(',');
}

export const GMX_EMITTER_TOPIC0: Record<GmxEmitter, Hex> = Object.fromEntries(
  [...EMITTER_TOPICS.entries()].map(([topic, name]) => [name, topic]),
) as Record<GmxEmitter, Hex>;

/** topic0 + eventNameHash (+ topic1 (+ topic2)). */
const TOPIC_COUNT: Record<GmxEmitter, number> = { EventLog: 2, EventLog1: 3, EventLog2: 4 };

const nameHashes = new Map<string, Hex>();

/** keccak256 of an event name, cached: a handful of names repeat on every log and hashing is costly. */
export function eventNameHash(eventName: string): Hex {
  let hash = nameHashes.get(eventName);
  if (hash === undefined) {
    hash = keccak256(toHex(eventName));
    if (nameHashes.size < 1_000) nameHashes.set(eventName, hash);
  }
  return hash;
}

/** Decodes and flattens one EventEmitter log; throws DecodeFailure with a reason on anything malformed. */
export function parseGmxLog(log: RawLog): GmxEvent {
  const topic0 = log.topics[0];
  // Topics normally arrive lower-case; toLowerCase only on a miss saves its cost on every log.
  const emitter = topic0 ? (EMITTER_TOPICS.get(topic0) ?? EMITTER_TOPICS.get(topic0.toLowerCase())) : undefined;
  if (!emitter) throw new DecodeFailure(null, `unknown topic0 ${topic0?.toLowerCase() ?? '(none)'}: not an EventEmitter EventLog/EventLog1/EventLog2`);
  const expectedTopics = TOPIC_COUNT[emitter];
  if (log.topics.length !== expectedTopics) {
    throw new DecodeFailure(null, `${emitter}: expected ${expectedTopics} topics, got ${log.topics.length}`);
  }
  let payload;
  try {
    // Bytes when the fetcher has them: reading `data` would make the hex string it avoids.
    payload = decodeEventLogPayload(log.dataBytes ?? log.data);
  } catch (error) {
    const size = log.dataBytes ? log.dataBytes.length : log.data.length / 2 - 1;
    throw new DecodeFailure(null, `${emitter}: cannot decode ABI data (${size} bytes): ${(error as Error).message}`);
  }
  const eventName = payload.eventName;
  const nameHash = log.topics[1]!;
  const expectedHash = eventNameHash(eventName);
  if (expectedHash !== nameHash && expectedHash !== nameHash.toLowerCase()) {
    throw new DecodeFailure(eventName, `${eventName}: topic1 ${nameHash} is not keccak256("${eventName}")`);
  }
  const topic1 = log.topics[2]?.toLowerCase() as Hex | undefined;
  const topic2 = log.topics[3]?.toLowerCase() as Hex | undefined;
  return { emitter, msgSender: payload.msgSender, eventName, topic1, topic2, bytes: payload.bytes, groups: payload.groups };
}

/** Where the item `key` is; the first occurrence of a repeated key wins, as it does on chain for readers of EventLogData. */
function find<T>(entries: readonly { key: string; at: T }[], key: string): T | undefined {
  for (const entry of entries) if (entry.key === key) return entry.at;
  return undefined;
}

/** True unless `key` already occurs before `index` (repeats are skipped, the first occurrence wins). */
function isFirst(entries: readonly { key: string }[], key: string, index: number): boolean {
  for (let i = 0; i < index; i++) if (entries[i]!.key === key) return false;
  return true;
}

/** A required item: the first present of `keys` (historical spellings); DecodeFailure if none is. */
export function req<K extends ItemKind>(event: GmxEvent, kind: K, ...keys: string[]): ScalarOf[K] {
  const value = opt(event, kind, ...keys);
  if (value !== undefined) return value;
  const elsewhere = ITEM_KINDS.filter(
    (k) => k !== kind && keys.some((key) => find(event.groups[k].items, key) !== undefined || find(event.groups[k].arrayItems, key) !== undefined),
  );
  const where = elsewhere.length ? ` (found under ${elsewhere.map((k) => `${k} items`).join(', ')}: wrong type)` : '';
  throw new DecodeFailure(event.eventName, `${event.eventName}: missing required ${kind} item "${keys.join('" / "')}"${where}`);
}

/** An optional item: the first present of `keys`, else undefined. */
export function opt<K extends ItemKind>(event: GmxEvent, kind: K, ...keys: string[]): ScalarOf[K] | undefined {
  for (const key of keys) {
    const at = find(event.groups[kind].items, key);
    if (at !== undefined) return eventLogValue(event.bytes, kind, at);
  }
  return undefined;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Items not in `known` (and every array item), as JSON-ready values, so that keys GMX adds later are
 * kept in `extra` instead of being lost.
 */
export function unknownItems(event: GmxEvent, known: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const kind of ITEM_KINDS) {
    const { items, arrayItems } = event.groups[kind];
    items.forEach(({ key, at }, i) => {
      if (!known.has(key) && isFirst(items, key, i)) out[key] = jsonReady(eventLogValue(event.bytes, kind, at));
    });
    arrayItems.forEach(({ key, at }, i) => {
      if (isFirst(arrayItems, key, i)) out[key] = at.map((a) => jsonReady(eventLogValue(event.bytes, kind, a)));
    });
  }
  return out;
}

function jsonReady(value: string | bigint | boolean): JsonValue {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** bytes32 topic → address (`Cast.toBytes32(address)` reversed). */
export function topicToAddress(topic: Hex): string {
  return `0x${topic.slice(-40)}`.toLowerCase();
}
