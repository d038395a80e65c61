import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** What `analyze` was asked to look at, before it is checked against the store. */
export interface AnalyzeRequest {
  /** Half-open range [from, to); by default all data in the store (in the selected venues and assets). */
  from?: Date;
  to?: Date;
  /** Only these venues / assets (all when absent or empty). */
  venues?: readonly string[];
  assets?: readonly string[];
}

/** The checked request: the range is known, venues and assets exist. */
export interface ResolvedScope {
  from: Date;
  to: Date;
  venues: string[];
  assets: string[];
  /** 'all', or the venues/assets the results are limited to: results of different scopes coexist. */
  key: string;
}

/** A request that cannot be analysed as asked (an unknown venue, an empty or reversed range): a usage error. */
export class AnalyzeRequestError extends Error {
  override name = 'AnalyzeRequestError';
}

/** The fact tables analysis reads, for the default range and coverage. */
export const INPUT_TABLES = ['liquidations', 'adl_events', 'oracle_prices', 'trade_bars'] as const;
export type InputTable = (typeof INPUT_TABLES)[number];

/**
 * The scope key results are stored under: 'all' for an unrestricted run, else its sorted venues and
 * assets (`venues=gmx-v2,hyperliquid;assets=ETH`). Re-running replaces results of the same key only.
 */
export function scopeKey(venues: readonly string[], assets: readonly string[]): string {
  const parts: string[] = [];
  if (venues.length > 0) parts.push(`venues=${[...venues].sort().join(',')}`);
  if (assets.length > 0) parts.push(`assets=${[...assets].sort().join(',')}`);
  return parts.length === 0 ? 'all' : parts.join(';');
}

/**
 * Checks the request against the store: every venue and asset must occur in it (a typo would
 * otherwise analyse nothing and say nothing), and the range must not be empty. Without `from`/`to`,
 * the range is the span of the stored liquidations, ADL events, oracle prices and trade bars in the
 * selected venues and assets. Returns null when there is nothing at all to analyse.
 */
export async function resolveScope(db: Kysely<Database>, request: AnalyzeRequest): Promise<ResolvedScope | null> {
  const venues = unique(request.venues ?? []);
  const assets = unique(request.assets ?? []).map((a) => a.toUpperCase());
  for (const date of [request.from, request.to]) {
    if (date !== undefined && Number.isNaN(date.getTime())) throw new AnalyzeRequestError('analyze: an invalid time was given');
  }
  if (request.from && request.to && request.from.getTime() >= request.to.getTime()) {
    throw new AnalyzeRequestError(`analyze: --from ${request.from.toISOString()} is not before --to ${request.to.toISOString()}`);
  }
  for (const venue of venues) {
    if (!(await venueExists(db, venue))) {
      const known = await knownValues(db, 'venue');
      throw new AnalyzeRequestError(`analyze: unknown venue "${venue}" (the store has: ${known.join(', ') || 'no data'})`);
    }
  }
  for (const asset of assets) {
    if (!(await assetExists(db, asset))) {
      const known = await knownValues(db, 'asset');
      throw new AnalyzeRequestError(`analyze: unknown asset "${asset}" (the store has: ${known.join(', ') || 'no data'})`);
    }
  }
  let from = request.from;
  let to = request.to;
  if (!from || !to) {
    const span = await dataSpan(db, venues, assets);
    if (!span) return null;
    from ??= span.first;
    // half-open: the last event itself is inside
    to ??= new Date(span.last.getTime() + 1);
    if (from.getTime() >= to.getTime()) {
      throw new AnalyzeRequestError(`analyze: the range [${from.toISOString()}, ${to.toISOString()}) is empty (the data spans ${span.first.toISOString()} – ${span.last.toISOString()})`);
    }
  }
  return { from, to, venues, assets, key: scopeKey(venues, assets) };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v.length > 0))];
}

async function venueExists(db: Kysely<Database>, venue: string): Promise<boolean> {
  // Each probe uses an index with venue first ((venue, market, time) on facts, the key of trade_bars).
  const { rows } = await sql<{ ok: boolean }>`select
      exists (select 1 from sources where venue = ${venue})
      or exists (select 1 from liquidations where venue = ${venue})
      or exists (select 1 from adl_events where venue = ${venue})
      or exists (select 1 from oracle_prices where venue = ${venue})
      or exists (select 1 from trade_bars where venue = ${venue}) as ok`.execute(db);
  return rows[0]?.ok === true;
}

async function assetExists(db: Kysely<Database>, asset: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select
      exists (select 1 from markets where asset = ${asset})
      or exists (select 1 from liquidations where asset = ${asset})
      or exists (select 1 from adl_events where asset = ${asset})
      or exists (select 1 from oracle_prices where asset = ${asset})
      or exists (select 1 from trade_bars where asset = ${asset}) as ok`.execute(db);
  return rows[0]?.ok === true;
}

/** Venues or assets the store knows, for an error message (each table's distinct values via its index). */
async function knownValues(db: Kysely<Database>, column: 'venue' | 'asset'): Promise<string[]> {
  const tables = column === 'venue' ? ['sources', 'markets', ...INPUT_TABLES] : ['markets', ...INPUT_TABLES];
  const union = sql.join(tables.map((t) => sql`select ${sql.ref(column)} as v from ${sql.table(t)}`), sql` union `);
  const { rows } = await sql<{ v: string }>`select distinct v from (${union}) x where v is not null order by v limit 50`.execute(db);
  return rows.map((r) => r.v);
}

/** First and last time of the input facts in the selected venues and assets (index scans on time). */
async function dataSpan(db: Kysely<Database>, venues: string[], assets: string[]): Promise<{ first: Date; last: Date } | null> {
  let first: Date | null = null;
  let last: Date | null = null;
  for (const table of INPUT_TABLES) {
    const filter = scopeFilter(venues, assets);
    const { rows } = await sql<{ first: Date | null; last: Date | null }>`
      select (select time from ${sql.table(table)} where ${filter} order by time asc limit 1) as first,
             (select time from ${sql.table(table)} where ${filter} order by time desc limit 1) as last`.execute(db);
    const row = rows[0];
    if (row?.first && (!first || row.first < first)) first = row.first;
    if (row?.last && (!last || row.last > last)) last = row.last;
  }
  return first && last ? { first, last } : null;
}

/** `venue = any(…) and asset = any(…)` for the selected venues and assets (true when unrestricted). */
export function scopeFilter(venues: readonly string[], assets: readonly string[], alias?: string) {
  const col = (name: string) => (alias ? sql.ref(`${alias}.${name}`) : sql.ref(name));
  const venue = venues.length > 0 ? sql`${col('venue')} = any(${[...venues]}::text[])` : sql`true`;
  const asset = assets.length > 0 ? sql`${col('asset')} = any(${[...assets]}::text[])` : sql`true`;
  return sql`(${venue} and ${asset})`;
}
