import { ROW_COLUMNS, type ColumnPgType, type ColumnSpec, type RowTable } from '../db/row-columns.ts';

/**
 * Decoder rows turned into one Postgres array literal per column (`{"a",NULL,"b"}`), the parameters of
 * an `unnest()` insert. The literals are built here rather than by the driver so that `pg` and PGlite
 * receive the same text (both pass a string parameter through as is) and so that every value's JS type
 * is checked against its column: a JS number in a NUMERIC column would be a float, never exact.
 */
export function columnArrays(table: RowTable, rows: readonly object[]): ColumnArray[] {
  return arraysOf(table, ROW_COLUMNS[table], rows);
}

/**
 * The same for any table and column list (analytics results): `table` names it in errors. Derived
 * floats go to `float8` columns as JS numbers (their shortest round-trip spelling: exact), NaN refused.
 */
export function arraysOf(table: string, columns: readonly ColumnSpec[], rows: readonly object[]): ColumnArray[] {
  checkKeys(table, columns, rows);
  return columns.map((column) => (column.repeated ? dictionaryLiteral(table, column, rows) : arrayLiteral(table, column, rows)));
}

/**
 * A column's array literal, or for a `repeated` column the 1-based index of each row's value (NULL for
 * NULL) and the literal of the distinct values (`{"a","b"}`).
 */
export type ColumnArray = string | { readonly indexes: string; readonly dictionary: string };

/**
 * A repeated column as indexes into its distinct values. The server then parses each distinct value
 * once per insert instead of once per row: the oracle checks' parameters JSON (340 bytes) and verdict
 * explanation (107), sent per row, were 447 MB of the analyze bench's million checks to transfer, parse
 * and unnest. Sent once, the server's bind time of those inserts fell from 10.4 s to 6.4 s and the
 * oracle step from 52.0 s to 48.6 s.
 */
function dictionaryLiteral(table: string, column: ColumnSpec, rows: readonly object[]): ColumnArray {
  const encode = ELEMENT[column.type];
  const indexOf = new Map<unknown, number>();
  const values: string[] = [];
  const indexes: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (value == null) {
      indexes[i] = 'NULL';
      continue;
    }
    let index = indexOf.get(value);
    if (index === undefined) {
      const element = encode(value);
      if (element === undefined) throw new TypeError(`${table}.${column.name}: cannot write ${describe(value)} to a ${column.type} column`);
      values.push(element);
      index = values.length;
      indexOf.set(value, index);
    }
    indexes[i] = `${index}`;
  }
  return { indexes: `{${indexes.join(',')}}`, dictionary: `{${values.join(',')}}` };
}

/** A key no column takes would otherwise be dropped silently (the old per-row INSERT failed on it). */
function checkKeys(table: string, columns: readonly ColumnSpec[], rows: readonly object[]): void {
  const known = new Set(columns.map((c) => c.name));
  for (const row of rows) {
    for (const key in row) {
      if (!known.has(key)) throw new Error(`${table}: rows have no column "${key}" to write (src/db/row-columns.ts)`);
    }
  }
}

function arrayLiteral(table: string, column: ColumnSpec, rows: readonly object[]): string {
  const encode = ELEMENT[column.type];
  const elements: string[] = new Array(rows.length);
  // A value repeated across rows (a run id, a venue, the parameters JSON every oracle check carries) is
  // encoded once: escaping the checks' JSON columns on every quote, per row, took 5.6 s of the analyze
  // bench's million checks. Long strings are remembered by value (a few distinct ones at most, so that
  // unique values do not fill memory), anything else when it equals the previous row's.
  const seen = new Map<string, string>();
  let previous: unknown = undefined;
  let previousElement = '';
  for (let i = 0; i < rows.length; i++) {
    const value = (rows[i] as Record<string, unknown>)[column.name];
    if (i > 0 && value === previous) {
      elements[i] = previousElement;
      continue;
    }
    const long = typeof value === 'string' && value.length >= LONG_STRING;
    let element = long ? seen.get(value) : undefined;
    // undefined (an omitted optional column) and null are both SQL NULL.
    element ??= value == null ? 'NULL' : encode(value);
    if (element === undefined) {
      throw new TypeError(`${table}.${column.name}: cannot write ${describe(value)} to a ${column.type} column`);
    }
    if (long && seen.size < REMEMBERED_STRINGS) seen.set(value, element);
    elements[i] = element;
    previous = value;
    previousElement = element;
  }
  return `{${elements.join(',')}}`;
}

const LONG_STRING = 64;
const REMEMBERED_STRINGS = 32;

/** Array-literal element for a non-null value, or undefined when the JS type does not fit the column. */
const ELEMENT: Record<ColumnPgType, (value: unknown) => string | undefined> = {
  text: (v) => (typeof v === 'string' ? quote(v) : undefined),
  int4: (v) => (Number.isSafeInteger(v) ? `${v as number}` : undefined),
  int8: (v) => (Number.isSafeInteger(v) || typeof v === 'bigint' ? `${v as number | bigint}` : typeof v === 'string' ? quote(v) : undefined),
  numeric: (v) => (typeof v === 'bigint' ? `${v}` : typeof v === 'string' ? quote(v) : undefined),
  float8: (v) => (typeof v === 'number' && !Number.isNaN(v) ? `${v}` : undefined),
  bool: (v) => (typeof v === 'boolean' ? `${v}` : undefined),
  timestamptz: (v) => (v instanceof Date ? isoTime(v) : typeof v === 'string' ? quote(v) : undefined),
  // jsonb rows carry JSON text already (toJson in src/protocols/shared/rows.ts).
  jsonb: (v) => (typeof v === 'string' ? quote(v) : undefined),
  // A per-row array cannot be an unnest() argument: unnest flattens a 2-D array, and Postgres arrays
  // cannot be ragged anyway. Each row's flags travel as its own array-literal text, cast back with
  // ::text[] per row in the insert. The alternative, jsonb plus array(select jsonb_array_elements_text())
  // per row, costs the server a jsonb parse and a subquery per row where this costs one array_in call.
  'text[]': (v) => (Array.isArray(v) && v.every((f) => typeof f === 'string') ? quote(`{${v.map(quote).join(',')}}`) : undefined),
};

/**
 * toISOString() costs about 1 µs, a sixth of building all literals of an oracle price row. Consecutive
 * rows of a column mostly carry the same time (the logs of one block), so the last result is reused.
 */
export function isoTime(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastIso.ms) lastIso = { ms, iso: date.toISOString() };
  return lastIso.iso;
}
let lastIso = { ms: NaN, iso: '' };

/** Double-quoted array element: quotes and backslashes escaped, so any text (and "NULL") stays itself. */
function quote(value: string): string {
  // Testing first is several times faster than replace() on values with nothing to escape (nearly all).
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

function describe(value: unknown): string {
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : `${typeof value} ${String(value)}`;
}
