import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Cell, Figure, FigureSpec, Row } from './figure.ts';

/** The database a report reads: one read-only snapshot for every figure of a report. */
export type ReportDb = Kysely<Database> | Transaction<Database>;

/**
 * A query of a figure failed. The message names the figure, so a schema drift (an analytics column
 * renamed) points at the figure to fix.
 */
export class FigureQueryError extends Error {
  override name = 'FigureQueryError';
  constructor(figureId: string, cause: unknown) {
    super(`report figure ${figureId}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Runs a figure's printed SQL as it is and keeps its rows as JSON-safe cells. */
export async function runFigure(db: ReportDb, spec: FigureSpec): Promise<Figure> {
  let result;
  try {
    result = await sql.raw<Record<string, unknown>>(spec.sql).execute(db);
  } catch (error) {
    throw new FigureQueryError(spec.id, error);
  }
  return { ...spec, rows: result.rows.map(toRow) };
}

/** One result row as cells; exported so the tests normalise their own runs of the printed SQL the same way. */
export function toRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = toCell(value);
  return out;
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  // float8 NaN / ±Infinity have no JSON form; Postgres spells them this way in text.
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  // arrays and JSON: the figures' SQL spells scalars (array_to_string, ->>); anything else is shown as JSON text
  return JSON.stringify(value);
}

/**
 * Runs `work` in one read-only REPEATABLE READ transaction, so every figure of a report sees the same
 * snapshot even while `liqscope analyze` or an indexer writes (the scheduler runs them side by side).
 */
export async function inReadOnlySnapshot<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await sql`set transaction read only`.execute(trx);
      return work(trx);
    });
}

/** Whether a table or view exists on the search path (analytics tables arrive with later migrations). */
export async function relationExists(db: ReportDb, name: string): Promise<boolean> {
  const result = await sql<{ present: boolean }>`select to_regclass(${name}) is not null as present`.execute(db);
  return result.rows[0]?.present === true;
}
