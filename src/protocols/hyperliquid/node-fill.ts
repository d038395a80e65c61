import type { JsonLine } from '../../pipeline/records.ts';
import { NodeFillError } from './errors.ts';

/**
 * Hyperliquid node fill output (formats.md §6). A fill is in the API fills format; numbers that
 * carry value are decimal strings. The node writes, one JSON value per line:
 * - `node_fills`: a `[user, fill]` pair, or a fill object with a `user` field;
 * - `node_fills_by_block` (`--batch-by-block`, the public archive):
 *   `{local_time, block_time, block_number, events}` with `events` a list of either form.
 */
export interface NodeFillLiquidation {
  /** The liquidated user; on an ADL fill, the user whose liquidation caused it. */
  liquidatedUser?: string | null;
  markPx: string;
  /** `market` (sent to the book) or `backstop` (taken over by the liquidator vault); others are kept. */
  method: string;
}

export interface NodeFill {
  coin: string;
  px: string;
  sz: string;
  /** `B` bought, `A` sold (ask side). */
  side: 'A' | 'B';
  /** Unix milliseconds. */
  time: number;
  /** Signed position size before the fill. */
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  /** True for the taker side of the trade. */
  crossed: boolean;
  fee: string;
  /** Trade id: both sides of one trade carry the same. */
  tid: number;
  feeToken?: string;
  builderFee?: string | null;
  twapId?: number | null;
  cloid?: string | null;
  liquidation?: NodeFillLiquidation | null;
}

/** The block a `node_fills_by_block` line describes. */
export interface NodeBlock {
  localTime: string | null;
  blockTime: string | null;
  blockNumber: number | null;
}

/** The fills of one line, validated, with their users (lower-cased; null for a fill that makes no row). */
export interface NodeFillsLine {
  block: NodeBlock | null;
  users: (string | null)[];
  fills: NodeFill[];
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;
/** A decimal above zero, in one pass: a non-zero integer part, or zeros then a fraction with a non-zero digit. */
const POSITIVE_DECIMAL = /^(?:0*[1-9]\d*(?:\.\d+)?|0+\.\d*[1-9]\d*)$/;
/** 2001-09-09 to 2100-01-01 in milliseconds: a time in seconds or microseconds falls outside. */
const MIN_TIME_MS = 1e12;
const MAX_TIME_MS = 4_102_444_800_000;

/**
 * Where the value being checked sits in its line. One per line, updated as the check moves through
 * the events: the field's path (`events[3][1].px`) is only spelled out when something is wrong.
 */
interface Place {
  line: JsonLine;
  /** Index in `events`, or -1 when the line itself is the event (node_fills). */
  event: number;
  /** `[0]` (the user of a pair), `[1]` (its fill), or empty (a fill with a user field, or the line). */
  part: string;
  /** `liquidation` inside a fill, or empty. */
  sub: string;
}

function fail(place: Place, field: string, reason: string): never {
  let path = place.event >= 0 ? `events[${place.event}]` : '';
  path += place.part;
  if (place.sub) path += path ? `.${place.sub}` : place.sub;
  if (field) path += path ? `.${field}` : field;
  throw new NodeFillError(place.line.file, place.line.line, path || '(line)', reason);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(o: Record<string, unknown>, key: string, place: Place): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) fail(place, key, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function requireDecimal(o: Record<string, unknown>, key: string, place: Place): string {
  const v = o[key];
  if (typeof v !== 'string' || !DECIMAL.test(v)) fail(place, key, `expected a decimal string, got ${describe(v)}`);
  return v;
}

function requirePositive(o: Record<string, unknown>, key: string, place: Place): string {
  const v = o[key];
  if (typeof v !== 'string' || !POSITIVE_DECIMAL.test(v)) fail(place, key, `expected a positive decimal string, got ${describe(v)}`);
  return v;
}

function requireInteger(o: Record<string, unknown>, key: string, place: Place): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(place, key, `expected a non-negative integer below 2^53, got ${describe(v)}`);
  }
  return v;
}

/** An optional field: absent, null, or of the type named. */
function optionalOf(o: Record<string, unknown>, key: string, place: Place, type: 'string' | 'number' | 'decimal'): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (type === 'decimal' ? typeof v === 'string' && DECIMAL.test(v) : typeof v === type) return;
  fail(place, key, `expected ${type === 'decimal' ? 'a decimal string' : `a ${type}`}, got ${describe(v)}`);
}

/**
 * A 0x address in lower case, or null. A loop over the characters that lower-cases only when needed
 * measured about 25 % faster than a pattern test plus toLowerCase (two users per trade).
 */
function addressOrNull(value: string): string | null {
  if (value.length !== 42 || value.charCodeAt(0) !== 48 || value.charCodeAt(1) !== 120 /* 0x */) return null;
  let upper = false;
  for (let i = 2; i < 42; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) {
      upper = true;
      continue;
    }
    return null;
  }
  return upper ? value.toLowerCase() : value;
}

function readUser(value: unknown, place: Place, field: string): string {
  const address = typeof value === 'string' ? addressOrNull(value) : null;
  if (address === null) fail(place, field, `expected a 0x address, got ${describe(value)}`);
  return address;
}

/** Checks the fields every fill is read for (classification and bars), naming the first bad one. */
function checkFill(value: unknown, place: Place): NodeFill {
  if (!isObject(value)) fail(place, '', `expected a fill object, got ${describe(value)}`);
  const o = value;
  requireString(o, 'coin', place);
  requirePositive(o, 'px', place);
  requirePositive(o, 'sz', place);
  if (o.side !== 'A' && o.side !== 'B') fail(place, 'side', `expected "A" or "B", got ${describe(o.side)}`);
  const time = o.time;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < MIN_TIME_MS || time > MAX_TIME_MS) {
    fail(place, 'time', `expected unix milliseconds, got ${describe(time)}`);
  }
  requireString(o, 'dir', place);
  if (typeof o.crossed !== 'boolean') fail(place, 'crossed', `expected true or false, got ${describe(o.crossed)}`);
  requireInteger(o, 'tid', place);
  const liq = o.liquidation;
  if (liq !== undefined && liq !== null) {
    if (!isObject(liq)) fail(place, 'liquidation', `expected an object, got ${describe(liq)}`);
    place.sub = 'liquidation';
    requirePositive(liq, 'markPx', place);
    requireString(liq, 'method', place);
    if (liq.liquidatedUser !== undefined && liq.liquidatedUser !== null) readUser(liq.liquidatedUser, place, 'liquidatedUser');
    place.sub = '';
  }
  return o as unknown as NodeFill;
}

/**
 * Checks the fields only a stored row reads (PnL, fee, position, hash, order id, the optional ones).
 * Ordinary fills only feed bars unless `allFills` is set: checking these for the 97 % of fills that
 * are folded into bars cost about a third of the validation, and the brief is to validate what is used.
 */
function checkRowFields(o: Record<string, unknown>, place: Place): void {
  requireDecimal(o, 'startPosition', place);
  requireDecimal(o, 'closedPnl', place);
  requireString(o, 'hash', place);
  requireInteger(o, 'oid', place);
  requireDecimal(o, 'fee', place);
  optionalOf(o, 'feeToken', place, 'string');
  optionalOf(o, 'builderFee', place, 'decimal');
  optionalOf(o, 'twapId', place, 'number');
  optionalOf(o, 'cloid', place, 'string');
}

/** Says whether a fill (its reading fields checked) becomes a row, so its other fields are checked too. */
export type NeedsRow = (fill: NodeFill) => boolean;

/**
 * One event of a block (or a whole node_fills line): a `[user, fill]` pair or a fill with `user`.
 * The user, like the row fields, is checked only for a fill that becomes a row (bars do not read it):
 * two address checks per trade were a tenth of the decoder's time.
 */
function readEvent(value: unknown, place: Place, out: NodeFillsLine, needsRow: NeedsRow): void {
  let rawUser: unknown;
  let fill: NodeFill;
  if (Array.isArray(value)) {
    if (value.length !== 2) fail(place, '', `expected a [user, fill] pair, got an array of ${value.length}`);
    rawUser = value[0];
    place.part = '[1]';
    fill = checkFill(value[1], place);
  } else if (isObject(value)) {
    rawUser = value.user;
    fill = checkFill(value, place);
  } else {
    fail(place, '', `expected a [user, fill] pair or a fill with a user field, got ${describe(value)}`);
  }
  let user: string | null = null;
  if (needsRow(fill)) {
    checkRowFields(fill as unknown as Record<string, unknown>, place);
    if (place.part) {
      place.part = '[0]';
      user = readUser(rawUser, place, '');
    } else {
      user = readUser(rawUser, place, 'user');
    }
  }
  place.part = '';
  out.users.push(user);
  out.fills.push(fill);
}

const EVERY_FILL: NeedsRow = () => true;

/**
 * Validates one line of node fills output, in either layout, and returns its fills with their users
 * (and its block when the line is a block). Throws NodeFillError naming file:line and the field.
 * The fields only rows read are checked for the fills `needsRow` names (default: all).
 */
export function readNodeFillsLine(line: JsonLine, needsRow: NeedsRow = EVERY_FILL): NodeFillsLine {
  const value = line.value;
  const out: NodeFillsLine = { block: null, users: [], fills: [] };
  const place: Place = { line, event: -1, part: '', sub: '' };
  if (isObject(value) && 'events' in value) {
    const events = value.events;
    if (!Array.isArray(events)) fail(place, 'events', `expected a list of fills, got ${describe(events)}`);
    const blockNumber = value.block_number;
    if (blockNumber !== undefined && blockNumber !== null && (typeof blockNumber !== 'number' || !Number.isSafeInteger(blockNumber) || blockNumber < 0)) {
      fail(place, 'block_number', `expected a block height, got ${describe(blockNumber)}`);
    }
    optionalOf(value, 'block_time', place, 'string');
    optionalOf(value, 'local_time', place, 'string');
    out.block = {
      localTime: (value.local_time as string | undefined) ?? null,
      blockTime: (value.block_time as string | undefined) ?? null,
      blockNumber: (blockNumber as number | undefined) ?? null,
    };
    for (let i = 0; i < events.length; i++) {
      place.event = i;
      readEvent(events[i], place, out, needsRow);
    }
    return out;
  }
  if (Array.isArray(value) || (isObject(value) && 'coin' in value)) {
    readEvent(value, place, out, needsRow);
    return out;
  }
  fail(place, '', `expected a [user, fill] pair, a fill with a user field, or a block {block_number, events}, got ${describe(value)}`);
}
