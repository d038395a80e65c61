import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { INPUT_TABLES, scopeFilter, type ResolvedScope } from './scope.ts';

export interface CoverageRow {
  venue: string;
  asset: string | null;
  rows: number;
  first: string;
  last: string;
}

/**
 * What the run had to work with: per input table, venue and asset, the rows in the range and the time
 * they span. A report reads it to say what an analysis could not see (a venue missing an hour).
 */
export async function measureCoverage(trx: Transaction<Database>, scope: ResolvedScope): Promise<Record<string, CoverageRow[]>> {
  const coverage: Record<string, CoverageRow[]> = {};
  for (const table of INPUT_TABLES) {
    const { rows } = await sql<{ venue: string; asset: string | null; rows: number; first: Date; last: Date }>`
      select venue, asset, count(*)::integer as rows, min(time) as first, max(time) as last
        from ${sql.table(table)}
       where time >= ${scope.from} and time < ${scope.to} and ${scopeFilter(scope.venues, scope.assets)}
       group by venue, asset order by venue, asset`.execute(trx);
    coverage[table] = rows.map((r) => ({ venue: r.venue, asset: r.asset, rows: r.rows, first: r.first.toISOString(), last: r.last.toISOString() }));
  }
  return coverage;
}
