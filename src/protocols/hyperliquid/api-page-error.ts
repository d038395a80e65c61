/**
 * An info API answer that does not have the shape its request promises (formats.md §6): a missing or
 * mistyped field, an item outside the range asked for, items out of order. The page is refused whole;
 * the HTTP source adds the source, the request and the endpoint (never its key) to the message.
 */
export class ApiPageError extends Error {
  override name = 'ApiPageError';

  constructor(
    /** Path of the field in the answer: `[17].px`, `[1][3].oraclePx`, `(answer)`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** How a value is named in a reason: its type and, when short, its text. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const NON_NEGATIVE = /^\d+(?:\.\d+)?$/;
const POSITIVE = /^(?:0*[1-9]\d*(?:\.\d+)?|0+\.\d*[1-9]\d*)$/;

/** Field readers that throw ApiPageError naming `path.key`. */
export function decimalAt(o: Record<string, unknown>, key: string, path: string, form: DecimalForm): string {
  return decimalValue(o[key], `${path}.${key}`, form);
}

export type DecimalForm = 'any' | 'non-negative' | 'positive';

/** A decimal string of the form named, or ApiPageError naming `path`. */
export function decimalValue(v: unknown, path: string, form: DecimalForm): string {
  const pattern = form === 'positive' ? POSITIVE : form === 'non-negative' ? NON_NEGATIVE : DECIMAL;
  if (typeof v !== 'string' || !pattern.test(v)) {
    throw new ApiPageError(path, `expected a ${form === 'any' ? '' : `${form} `}decimal string, got ${describeValue(v)}`);
  }
  return v;
}

export function nullableDecimalAt(o: Record<string, unknown>, key: string, path: string, form: 'any' | 'positive'): string | null {
  return o[key] === null ? null : decimalAt(o, key, path, form);
}

/** A unix time in milliseconds between 2001 and 2100 (seconds or microseconds fall outside). */
export function timeMsAt(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1e12 || v > 4_102_444_800_000) {
    throw new ApiPageError(`${path}.${key}`, `expected unix milliseconds, got ${describeValue(v)}`);
  }
  return v;
}

export function countAt(o: Record<string, unknown>, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ApiPageError(`${path}.${key}`, `expected a non-negative integer, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * Compares two non-negative decimal strings exactly (no float rounding: two prices that differ past the
 * 16th digit still compare right).
 */
export function compareDecimals(a: string, b: string): number {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  const aInt = ai.replace(/^0+(?=\d)/, '');
  const bInt = bi.replace(/^0+(?=\d)/, '');
  if (aInt.length !== bInt.length) return aInt.length < bInt.length ? -1 : 1;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const aFrac = af.padEnd(width, '0');
  const bFrac = bf.padEnd(width, '0');
  return aFrac === bFrac ? 0 : aFrac < bFrac ? -1 : 1;
}
