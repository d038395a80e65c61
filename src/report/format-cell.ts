import type { Cell, ColumnUnit } from './figure.ts';

/**
 * How a cell is written in Markdown and HTML. The JSON keeps the exact value; here numbers are rounded
 * for reading, with a stated precision per unit (test/report checks every shown number against its
 * SQL within that rounding):
 * - usd: whole dollars (cents below $1,000); count: integer; price: 7 significant digits;
 * - pct: 2 decimals and `%`; bps: 1 decimal; ratio and number: 4 significant digits; seconds: 3 decimals;
 * - time: `YYYY-MM-DD HH:MM:SS.mmm` UTC.
 */
export function formatCell(value: Cell, unit: ColumnUnit): string {
  if (value === null) return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (unit === 'text') return String(value);
  if (unit === 'time') return formatTime(String(value));
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  switch (unit) {
    case 'usd':
      return `${n < 0 ? '-' : ''}$${group(Math.abs(n), Math.abs(n) >= 1000 ? 0 : 2)}`;
    case 'count':
      return group(n, 0);
    case 'price':
      return significant(n, 7);
    case 'pct':
      return `${group(n, 2)}%`;
    case 'bps':
      return group(n, 1);
    case 'seconds':
      return group(n, 3);
    case 'ratio':
    case 'number':
      return significant(n, 4);
  }
}

/** ISO instant → `2025-10-10 21:15:03.127` (UTC, as every time in a report). */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Fixed decimals with thousands separators. */
function group(n: number, decimals: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: true });
}

/** `digits` significant digits, never in exponent form, thousands grouped. */
function significant(n: number, digits: number): string {
  if (n === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(n)));
  const decimals = Math.max(0, Math.min(12, digits - 1 - magnitude));
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: decimals, useGrouping: true });
}
