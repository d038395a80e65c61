/**
 * The report is a list of sections, each a list of figures. A figure is one SQL query and its result:
 * {id, title, sql, rows}. Every number a report shows is a cell of some figure's rows, and the SQL is
 * printed under it, so "every number equals its SQL" holds by construction (test/report checks it
 * again by running each printed query on its own).
 */

/** A result cell as JSON carries it: NUMERIC and bigint stay exact decimal strings; times are ISO 8601 UTC. */
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/**
 * How a column is shown. `usd`, `count`, `price`, `pct`, `bps`, `ratio`, `seconds`, `number` are
 * numbers (exact strings or floats); `time` an ISO instant; `text` anything else.
 */
export type ColumnUnit = 'usd' | 'count' | 'price' | 'pct' | 'bps' | 'ratio' | 'seconds' | 'number' | 'time' | 'text';

export interface ColumnSpec {
  /** The result column's name, as the SQL spells it. */
  name: string;
  /** Header shown to readers (default: the name). */
  label?: string;
  unit: ColumnUnit;
}

/** Drawing instructions; the data always comes from the figure's own rows. */
export type ChartSpec = TimeLinesChart | TimeScatterChart | TimeStackedBarsChart;

interface ChartBase {
  /** Column holding the time (ISO instant). */
  x: string;
  /** Column holding the value. */
  y: string;
  /** Columns whose values name a series (joined with a space): one line or stack per distinct value. */
  seriesBy: readonly string[];
  yLabel: string;
  /** Y axis unit, for tick labels. */
  yUnit: ColumnUnit;
  /** Shaded time ranges (stages, ADL waves), from another figure's rows. */
  bands?: readonly { from: string; to: string; label: string }[];
}

export interface TimeLinesChart extends ChartBase {
  type: 'time-lines';
  /** Step lines (prices and cumulative sums hold their value until the next row). */
  step?: boolean;
}

/** One dot per row (values at irregular instants, such as each liquidation's deviation). */
export interface TimeScatterChart extends ChartBase {
  type: 'time-scatter';
}

export interface TimeStackedBarsChart extends ChartBase {
  type: 'time-stacked-bars';
  /** Width of one bar in the data, in seconds (1 for per-second figures). */
  bucketSeconds: number;
}

export interface FigureSpec {
  /** Stable id (`liquidations.by-venue`), used as an anchor and in the JSON. */
  id: string;
  title: string;
  /** The query, with its parameters written in as literals: what is printed is what runs. */
  sql: string;
  columns: readonly ColumnSpec[];
  /**
   * `table`: every row is shown; `record`: one row shown as label/value pairs (key figures);
   * `series`: a long series, drawn in full but listed in its first rows only in md/html.
   */
  shape: 'table' | 'record' | 'series';
  chart?: ChartSpec;
  /** One or two sentences under the title: what the figure answers, and how to read it. */
  caption?: string;
}

export interface Figure extends FigureSpec {
  rows: Row[];
}

export interface Section {
  id: string;
  title: string;
  /** Prose shown before the figures (no numbers that are not in a figure). */
  paragraphs: string[];
  figures: Figure[];
  /** Why the section has no figures (empty range, analytics tables missing, …). */
  unavailable?: string;
}

export interface Report {
  format: typeof REPORT_FORMAT;
  title: string;
  generatedAt: string;
  generator: { name: 'liqscope'; version: string };
  scope: ReportScopeJson;
  /** True when the scope holds no liquidation and no ADL: the report is the short form. */
  empty: boolean;
  sections: Section[];
}

export interface ReportScopeJson {
  cascadeId: string | null;
  from: string;
  to: string;
  /** The time window drawn around the scope (context before and after). */
  windowFrom: string;
  windowTo: string;
  venues: string[];
  assets: string[];
}

export const REPORT_FORMAT = 'liqscope-report/1';
