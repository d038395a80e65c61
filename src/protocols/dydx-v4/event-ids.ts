import { createHash } from 'node:crypto';

/**
 * The dYdX v4 indexer's ids (dydxprotocol/v4-chain@84d4664b):
 * - an event id is 12 bytes, `int4(height) || int4(transactionIndex + 2) || int4(eventIndex)`
 *   (ender's dydx_event_id_from_parts.sql); the trades endpoint answers it as the trade's `id`, in hex
 *   (comlink's fillToTradeResponseObject: `fill.eventId.toString('hex')`);
 * - a fill id is the UUID v5 of `<event id hex>-<liquidity>` in the namespace below (postgres
 *   package's FillTable.uuid and helpers/uuid.ts; ender's dydx_uuid_from_fill_event_parts.sql).
 * So a trade (the taker's fill of one event) names both fills of its event: the taker's fill id is
 * `fillId(trade.id, 'TAKER')` and the maker's `fillId(trade.id, 'MAKER')`. That is what lets a
 * liquidation read from the market's trades and from the liquidated subaccount's fills be one row.
 */
export const DYDX_UUID_NAMESPACE = '0f9da948-a6fb-4c45-9edc-4685c3f3317d';

/** 24 lower-case hex digits: the three big-endian int4 of an event id. */
export const EVENT_ID = /^[0-9a-f]{24}$/;

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1), as uuid's `v5` and Postgres' `uuid_generate_v5` make it. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`uuidV5: namespace ${JSON.stringify(namespace)} is not a UUID`);
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of the fill of one side (`TAKER` or `MAKER`) of an event. */
export function fillId(eventId: string, liquidity: 'TAKER' | 'MAKER'): string {
  return uuidV5(`${eventId}-${liquidity}`, DYDX_UUID_NAMESPACE);
}

/** The block height an event id starts with. */
export function eventIdHeight(eventId: string): number {
  return Number.parseInt(eventId.slice(0, 8), 16);
}

/** An event id from its parts (the local indexer server numbers the simulator's events with it). */
export function eventIdOf(height: number, transactionIndex: number, eventIndex: number): string {
  const int4 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${int4(height)}${int4(transactionIndex + 2)}${int4(eventIndex)}`;
}
