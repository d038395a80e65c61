import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { sql, type Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/schema.ts';
import type { Report } from '../../src/report/index.ts';

/**
 * Independent checks of a written report: the Markdown is parsed back into figures (anchor, table,
 * SQL block), each printed SQL is run on its own, and every number shown is compared with the value
 * the SQL returns, within the rounding the report states for its unit.
 */
export interface MarkdownFigure {
  id: string;
  title: string;
  /** Table as shown: header cells and rows of cells (record figures: label/value rows). */
  header: string[];
  rows: string[][];
  sql: string;
}

export function parseMarkdownFigures(md: string): MarkdownFigure[] {
  const out: MarkdownFigure[] = [];
  const blocks = md.split(/\n<a id="/).slice(1);
  for (const block of blocks) {
    const id = block.slice(0, block.indexOf('"'));
    const title = /\n### (.+)\n/.exec(block)?.[1];
    if (!title) continue; // a section anchor
    const sqlMatch = /```sql\n([\s\S]*?)\n```/.exec(block);
    if (!sqlMatch) throw new Error(`figure ${id} has no SQL block under it`);
    const tableLines = block.slice(0, sqlMatch.index).split('\n').filter((l) => l.startsWith('| '));
    const cells = (line: string) => line.slice(2, -2).split(/ (?<!\\)\| /).map((c) => c.replaceAll('\\|', '|'));
    out.push({ id, title, header: tableLines[0] ? cells(tableLines[0]) : [], rows: tableLines.slice(1).map(cells), sql: sqlMatch[1]! });
  }
  return out;
}

/** Runs a printed query and returns its rows with times as ISO strings, bigints and NUMERIC as strings. */
export async function runPrinted(db: Kysely<Database>, text: string): Promise<Record<string, unknown>[]> {
  const result = await sql.raw<Record<string, unknown>>(text).execute(db);
  return result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v])));
}

/**
 * Whether a shown cell is the value, rounded as shown. Numbers: the displayed digits, parsed back, are
 * within half a unit of the last digit shown. Times: `YYYY-MM-DD HH:MM:SS.mmm` of the same instant.
 */
export function shownEquals(shown: string, value: unknown): boolean {
  if (value === null || value === undefined) return shown === '–';
  if (typeof value === 'boolean') return shown === (value ? 'yes' : 'no');
  const asTime = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (asTime) return shown === asTime.toISOString().replace('T', ' ').replace('Z', '');
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : null;
  if (n === null) return shown === String(value);
  const digits = shown.replace(/[$,%\s]/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(digits)) return false;
  const decimals = digits.includes('.') ? digits.split('.')[1]!.length : 0;
  const tolerance = 0.5 * 10 ** -decimals + Math.abs(n) * 1e-12;
  return Math.abs(Number(digits) - n) <= tolerance;
}

/** docs/report.schema.json, compiled strictly (draft 2020-12, formats checked). */
export const REPORT_SCHEMA = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8')) as {
  $defs: { figure: { allOf: { if: { properties: { id: { const?: string; pattern?: string } } }; then: { properties: { columns: { prefixItems: { properties: { name: { const: string } } }[] }; rows: { items: { required: string[] } } } } }[] } };
};
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
export const validateReport = ajv.compile(REPORT_SCHEMA);

/**
 * The central check of a written report (report.md and report.json in `dir`): every figure's printed
 * SQL, run on its own on the same database, gives the rows report.json holds, and every number the
 * Markdown shows equals its cell within the rounding stated for its unit. Returns the cells compared.
 */
export async function expectEveryNumberEqualsItsSql(db: Kysely<Database>, dir: string): Promise<number> {
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  const shown = parseMarkdownFigures(md);
  const figures = json.sections.flatMap((s) => s.figures);
  expect(shown.map((f) => f.id)).toEqual(figures.map((f) => f.id));
  let cellsChecked = 0;
  for (const [i, figure] of figures.entries()) {
    const printed = shown[i]!;
    expect(printed.sql, figure.id).toBe(figure.sql.trim());
    // the SQL printed in the Markdown, run on its own on the same database
    const rows = await runPrinted(db, printed.sql);
    expect(rows, `${figure.id}: report.json rows`).toEqual(figure.rows);
    const columnOf = new Map(figure.columns.map((c) => [c.label ?? c.name, c.name]));
    if (figure.shape === 'record' && rows.length === 1) {
      for (const [label, value] of printed.rows) {
        const name = columnOf.get(label!)!;
        expect(shownEquals(value!, rows[0]![name]), `${figure.id} ${label}: shown ${value}, SQL ${String(rows[0]![name])}`).toBe(true);
        cellsChecked++;
      }
      continue;
    }
    expect(printed.rows.length, figure.id).toBe(figure.shape === 'series' ? Math.min(rows.length, 15) : rows.length);
    printed.rows.forEach((cells, r) => {
      cells.forEach((cell, c) => {
        const name = columnOf.get(printed.header[c]!) ?? printed.header[c]!;
        expect(shownEquals(cell, rows[r]![name]), `${figure.id} row ${r} ${name}: shown ${cell}, SQL ${String(rows[r]![name])}`).toBe(true);
        cellsChecked++;
      });
    });
  }
  return cellsChecked;
}

/** A figure of a report by id (the test fails naming it when it is missing). */
export function figureOf(report: Report, id: string): Report['sections'][number]['figures'][number] {
  const figure = report.sections.flatMap((s) => s.figures).find((f) => f.id === id);
  expect(figure, `figure ${id} in the report`).toBeDefined();
  return figure!;
}
