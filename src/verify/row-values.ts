import type { ColumnPgType } from '../db/row-columns.ts';

/**
 * One spelling per value, so that a fact row read back from Postgres and the same row kept as JSON in
 * `fact_provenance` compare equal exactly when they are equal: NUMERIC as a canonical decimal (no
 * trailing fractional zeros, no `-0`; Postgres keeps the scale it was given, JSON the decoder's text),
 * times as epoch milliseconds, integers as decimal text. Never through a float.
 */
export function canonicalValue(type: ColumnPgType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'numeric':
      return canonicalDecimal(String(value));
    case 'int4':
    case 'int8':
      return /^-?\d+$/.test(String(value)) ? BigInt(String(value)).toString() : String(value);
    case 'timestamptz': {
      const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
      return Number.isNaN(ms) ? String(value) : new Date(ms).toISOString();
    }
    case 'text[]':
      return JSON.stringify(value);
    case 'jsonb':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return String(value);
  }
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * `0001.2300` → `1.23`, `-0.0` → `0`, `+5` → `5`. Text that is not a plain decimal (an exponent, NaN) is
 * returned as it is, so that it compares unequal to any number rather than being guessed at.
 */
export function canonicalDecimal(text: string): string {
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return text;
  const whole = m[2]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return m[1] === '-' && body !== '0' ? `-${body}` : body;
}
