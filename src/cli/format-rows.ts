import Table from 'cli-table3';

export type OutputFormat = 'table' | 'csv' | 'json';

/** One cell as text: exact NUMERIC strings stay as they are; dates in ISO 8601 UTC; objects as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return value;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Renders query rows for a terminal (table), a spreadsheet (RFC 4180 CSV) or a program (JSON array). */
export function formatRows(rows: readonly Record<string, unknown>[], columns: readonly string[], format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(rows, jsonReplacer, 2)}\n`;
  if (format === 'csv') {
    const lines = [columns.map(csvField).join(',')];
    for (const row of rows) lines.push(columns.map((c) => csvField(cellText(row[c]))).join(','));
    return `${lines.join('\r\n')}\r\n`;
  }
  if (columns.length === 1 && rows.length === 1) return `${cellText(rows[0]![columns[0]!])}\n`;
  const table = new Table({ head: [...columns], style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map((c) => cellText(row[c])));
  return `${table.toString()}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
