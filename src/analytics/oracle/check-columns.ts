import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { arraysOf } from '../../db/row-arrays.ts';
import type { ColumnPgType, ColumnSpec } from '../../db/row-columns.ts';
import { unnestInsert } from '../../db/unnest-insert.ts';

const c = (name: string, type: ColumnPgType): ColumnSpec => ({ name, type });
/** Few distinct values per page of checks: sent once each (row-arrays.ts, dictionaryLiteral). */
const repeated = (name: string, type: ColumnPgType): ColumnSpec => ({ name, type, repeated: true });

/**
 * The columns an oracle check writes (migrations/0005-oracle-checks.ts; `episode_id` is set after, by
 * the episodes), with their types as information_schema spells them (test/db/insert-rows-columns.test.ts
 * compares the two).
 */
export const CHECK_COLUMNS: readonly ColumnSpec[] = [
  c('liquidation_id', 'int8'),
  c('run_id', 'text'),
  c('venue', 'text'),
  c('market', 'text'),
  c('asset', 'text'),
  c('quote', 'text'),
  c('side', 'text'),
  c('time', 'timestamptz'),
  c('venue_price', 'numeric'),
  c('venue_price_kind', 'text'),
  c('venue_price_time', 'timestamptz'),
  c('venue_price_staleness_s', 'float8'),
  c('venue_heartbeat_s', 'float8'),
  c('venue_price_stale', 'bool'),
  c('reference_price', 'numeric'),
  c('reference_method', 'text'),
  c('reference_sources', 'jsonb'),
  c('reference_source_count', 'int4'),
  c('reference_age_s', 'float8'),
  c('reference_dispersion_pct', 'float8'),
  c('reference_after_price', 'numeric'),
  c('reference_after_delay_s', 'float8'),
  c('deviation_bps', 'float8'),
  c('equity_at_reference_usd', 'numeric'),
  c('maintenance_at_reference_usd', 'numeric'),
  c('equity_at_venue_price_usd', 'numeric'),
  c('maintenance_at_venue_price_usd', 'numeric'),
  c('threshold_price', 'numeric'),
  c('distance_to_threshold_pct', 'float8'),
  c('distance_after_pct', 'float8'),
  c('tolerance_pct', 'float8'),
  c('verdict', 'text'),
  c('reason', 'text'),
  repeated('detail', 'text'),
  c('kept_usd', 'numeric'),
  c('dollars_lost_usd', 'numeric'),
  c('notes', 'text[]'),
  repeated('params', 'jsonb'),
];

/**
 * Writes check rows with one unnest() insert (one array per column) per call. On the analyze bench
 * (1,000,000 checks) the Kysely multi-row VALUES insert it replaces took 119 s in Postgres and 23 s of
 * JavaScript building and compiling 44,000 parameters per thousand rows.
 */
export async function insertChecks(db: Kysely<Database> | Transaction<Database>, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  await unnestInsert('liquidation_oracle_checks', CHECK_COLUMNS, arraysOf('liquidation_oracle_checks', CHECK_COLUMNS, rows)).execute(db);
}
