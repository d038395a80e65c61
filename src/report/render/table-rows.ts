import type { ColumnSpec, Figure, Row } from '../figure.ts';

/**
 * Rows listed under a series figure in Markdown and HTML: a long series (per-second counts over a
 * day) is drawn in full and kept in full in report.json, but only its first rows are listed.
 */
export const SERIES_ROWS_LISTED = 15;

export function listedRows(figure: Figure): { rows: Row[]; omitted: number } {
  if (figure.shape === 'table' || figure.rows.length <= SERIES_ROWS_LISTED) return { rows: figure.rows, omitted: 0 };
  return { rows: figure.rows.slice(0, SERIES_ROWS_LISTED), omitted: figure.rows.length - SERIES_ROWS_LISTED };
}

/** The columns a figure shows: its declared ones, then any other the SQL returned (as text). */
export function shownColumns(figure: Figure): ColumnSpec[] {
  const declared = new Set(figure.columns.map((c) => c.name));
  const extra = figure.rows[0] ? Object.keys(figure.rows[0]).filter((k) => !declared.has(k)) : [];
  return [...figure.columns, ...extra.map((name): ColumnSpec => ({ name, unit: 'text' }))];
}
