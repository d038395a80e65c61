import { decodeEventLog, keccak256, toHex, type Hex } from 'viem';
import { gmxEventEmitterAbi } from '../../../abis/gmx-v2-event-emitter.ts';
import type { RawLog } from '../../indexer/decoder.ts';
import { DecodeFailure } from '../shared/rows.ts';
import { ITEM_KINDS, type ItemKind } from './event-names.ts';
import type { GmxEmitter } from './encode.ts';

/**
 * Flattening of a GMX v2 EventEmitter log: EventLog / EventLog1 / EventLog2 → eventName, topics and
 * the seven EventLogData item groups as key → value maps (items and arrayItems apart). Decoders read
 * keys through `GmxEvent`, which accepts alternative historical spellings and reports a missing
 * required key with the event name and, when the key exists under another kind, where it was found.
 */

type ScalarOf = { address: string; uint: bigint; int: bigint; bool: boolean; bytes32: string; bytes: string; string: string };

export interface GmxEvent {
  emitter: GmxEmitter;
  msgSender: string;
  eventName: string;
  topic1?: Hex;
  topic2?: Hex;
  items: { [K in ItemKind]: Map<string, ScalarOf[K]> };
  arrays: { [K in ItemKind]: Map<string, ScalarOf[K][]> };
}

const GROUP_NAMES: Record<ItemKind, string> = {
  address: 'addressItems',
  uint: 'uintItems',
  int: 'intItems',
  bool: 'boolItems',
  bytes32: 'bytes32Items',
  bytes: 'bytesItems',
  string: 'stringItems',
};

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

export function eventNameHash(eventName: string): Hex {
  return keccak256(toHex(eventName));
}

function lowerIfHex(kind: ItemKind, value: unknown): unknown {
  return kind === 'address' || kind === 'bytes32' || kind === 'bytes' ? (value as string).toLowerCase() : value;
}

/** Decodes and flattens one EventEmitter log; throws DecodeFailure with a reason on anything malformed. */
export function parseGmxLog(log: RawLog): GmxEvent {
  const topic0 = log.topics[0]?.toLowerCase();
  const emitter = topic0 ? EMITTER_TOPICS.get(topic0) : undefined;
  if (!emitter) throw new DecodeFailure(null, `unknown topic0 ${topic0 ?? '(none)'}: not an EventEmitter EventLog/EventLog1/EventLog2`);
  let decoded;
  try {
    decoded = decodeEventLog({ abi: gmxEventEmitterAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  } catch (error) {
    const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
    throw new DecodeFailure(null, `${emitter}: cannot decode ABI data (${log.data.length / 2 - 1} bytes): ${message.split('\n')[0]}`);
  }
  const args = decoded.args as unknown as {
    msgSender: string;
    eventName: string;
    eventNameHash: Hex;
    topic1?: Hex;
    topic2?: Hex;
    eventData: Record<string, { items: { key: string; value: unknown }[]; arrayItems: { key: string; value: unknown[] }[] }>;
  };
  const eventName = args.eventName;
  if (eventNameHash(eventName).toLowerCase() !== args.eventNameHash.toLowerCase()) {
    throw new DecodeFailure(eventName, `${eventName}: topic1 ${args.eventNameHash} is not keccak256("${eventName}")`);
  }
  const items = {} as GmxEvent['items'];
  const arrays = {} as GmxEvent['arrays'];
  for (const kind of ITEM_KINDS) {
    const group = args.eventData[GROUP_NAMES[kind]]!;
    const itemMap = new Map<string, unknown>();
    for (const { key, value } of group.items) if (!itemMap.has(key)) itemMap.set(key, lowerIfHex(kind, value));
    const arrayMap = new Map<string, unknown[]>();
    for (const { key, value } of group.arrayItems) if (!arrayMap.has(key)) arrayMap.set(key, value.map((v) => lowerIfHex(kind, v)));
    (items as Record<string, unknown>)[kind] = itemMap;
    (arrays as Record<string, unknown>)[kind] = arrayMap;
  }
  return {
    emitter,
    msgSender: args.msgSender.toLowerCase(),
    eventName,
    ...(args.topic1 ? { topic1: args.topic1.toLowerCase() as Hex } : {}),
    ...(args.topic2 ? { topic2: args.topic2.toLowerCase() as Hex } : {}),
    items,
    arrays,
  };
}

/** A required item: the first present of `keys` (historical spellings); DecodeFailure if none is. */
export function req<K extends ItemKind>(event: GmxEvent, kind: K, ...keys: string[]): ScalarOf[K] {
  for (const key of keys) {
    const value = event.items[kind].get(key);
    if (value !== undefined) return value as ScalarOf[K];
  }
  const elsewhere = ITEM_KINDS.filter((k) => k !== kind && keys.some((key) => event.items[k].has(key) || event.arrays[k].has(key)));
  const where = elsewhere.length ? ` (found under ${elsewhere.map((k) => `${k} items`).join(', ')}: wrong type)` : '';
  throw new DecodeFailure(event.eventName, `${event.eventName}: missing required ${kind} item "${keys.join('" / "')}"${where}`);
}

/** An optional item: the first present of `keys`, else undefined. */
export function opt<K extends ItemKind>(event: GmxEvent, kind: K, ...keys: string[]): ScalarOf[K] | undefined {
  for (const key of keys) {
    const value = event.items[kind].get(key);
    if (value !== undefined) return value as ScalarOf[K];
  }
  return undefined;
}

/**
 * Items not in `known` (and every array item), as JSON-ready values, so that keys GMX adds later are
 * kept in `extra` instead of being lost.
 */
export function unknownItems(event: GmxEvent, known: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of ITEM_KINDS) {
    for (const [key, value] of event.items[kind]) {
      if (!known.has(key)) out[key] = typeof value === 'bigint' ? value.toString() : value;
    }
    for (const [key, values] of event.arrays[kind]) {
      out[key] = values.map((v) => (typeof v === 'bigint' ? v.toString() : v));
    }
  }
  return out;
}

/** bytes32 topic → address (`Cast.toBytes32(address)` reversed). */
export function topicToAddress(topic: Hex): string {
  return `0x${topic.slice(-40)}`.toLowerCase();
}
