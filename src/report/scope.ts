import { sql } from 'kysely';
import type { ReportDb } from './run-figure.ts';
import { relationExists } from './run-figure.ts';

/** What a report is asked for: one cascade, or a time range; optionally narrowed to venues and assets. */
export interface ReportRequest {
  cascadeId?: string;
  /** Half-open range [from, to), UTC. */
  from?: Date;
  to?: Date;
  venues?: readonly string[];
  assets?: readonly string[];
}

/** The resolved scope every figure's SQL is written for. */
export interface ReportScope {
  cascadeId: string | null;
  /** The events reported on: [from, to). For a cascade: its first to its last event. */
  from: Date;
  to: Date;
  /** The window drawn and listed around them (prices before and after a cascade). */
  windowFrom: Date;
  windowTo: Date;
  venues: string[];
  assets: string[];
}

/** A request the report cannot serve (unknown cascade, empty or inverted range): the CLI exits 2. */
export class ReportRequestError extends Error {
  override name = 'ReportRequestError';
}

/**
 * Context around a cascade in the charts and price figures: a quarter of its duration before and
 * after, at least 2 minutes (the pre-cascade baseline and the first rebound are visible) and at most
 * an hour (a long episode's context does not swamp it).
 */
export function contextPaddingMs(durationMs: number): number {
  return Math.min(3_600_000, Math.max(120_000, Math.round(durationMs / 4)));
}

export async function resolveScope(db: ReportDb, request: ReportRequest): Promise<ReportScope> {
  const venues = normaliseList(request.venues, 'venue');
  const assets = normaliseList(request.assets, 'asset').map((a) => a.toUpperCase());
  if (request.cascadeId !== undefined) {
    if (request.from || request.to) throw new ReportRequestError('report: give either --cascade or --from/--to, not both');
    return cascadeScope(db, request.cascadeId, venues, assets);
  }
  const { from, to } = request;
  if (!from || !to) throw new ReportRequestError('report: give --cascade ID, or both --from and --to');
  if (!(from.getTime() < to.getTime())) throw new ReportRequestError(`report: --from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  return { cascadeId: null, from, to, windowFrom: from, windowTo: to, venues, assets };
}

async function cascadeScope(db: ReportDb, cascadeId: string, venues: string[], assets: string[]): Promise<ReportScope> {
  if (!(await relationExists(db, 'cascades'))) {
    throw new ReportRequestError(`report: cascade ${cascadeId} cannot be found: this database has no cascades yet (run \`liqscope analyze\` first)`);
  }
  const found = await sql<{ start_time: Date; end_time: Date }>`select start_time, end_time from cascades where cascade_id = ${cascadeId}`.execute(db);
  const row = found.rows[0];
  if (!row) {
    const known = await sql<{ id: string }>`select cascade_id as id from cascades order by start_time desc limit 5`.execute(db);
    const hint = known.rows.length ? `; the latest are ${known.rows.map((r) => r.id).join(', ')}` : '; the database has none (run `liqscope analyze`)';
    throw new ReportRequestError(`report: unknown cascade id "${cascadeId}"${hint}`);
  }
  const from = new Date(row.start_time);
  // the last event is part of the cascade: the half-open range ends one millisecond (the stores' resolution) after it
  const to = new Date(new Date(row.end_time).getTime() + 1);
  const pad = contextPaddingMs(to.getTime() - from.getTime());
  return { cascadeId, from, to, windowFrom: new Date(from.getTime() - pad), windowTo: new Date(to.getTime() + pad), venues, assets };
}

function normaliseList(values: readonly string[] | undefined, what: string): string[] {
  const out: string[] = [];
  for (const value of values ?? []) {
    const v = value.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/.test(v)) throw new ReportRequestError(`report: --${what} "${value}" is not a ${what} name`);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}
