import type { ColumnType } from 'kysely';

/**
 * Kysely types of the oracle-error tables (migrations/0005-oracle-checks.ts), added to a transaction with
 * `withTables<OracleTables>()` so that the canonical `Database` type stays the store's. Derived floats are
 * written as JS numbers (double precision) or decimal strings (NUMERIC).
 */
type Opt<T> = ColumnType<T | null, T | null | undefined, T | null>;
type Num = ColumnType<string | null, string | null | undefined, string | null>;
type Json = ColumnType<unknown, string | undefined, string>;

export type LiquidationOracleChecksTable = {
  liquidation_id: string;
  run_id: string;
  venue: string;
  market: string;
  asset: Opt<string>;
  quote: Opt<string>;
  side: Opt<string>;
  time: ColumnType<Date, Date | string, Date | string>;
  venue_price: Num;
  venue_price_kind: Opt<string>;
  venue_price_time: Opt<Date>;
  venue_price_staleness_s: Opt<number>;
  venue_heartbeat_s: Opt<number>;
  venue_price_stale: Opt<boolean>;
  reference_price: Num;
  reference_method: Opt<string>;
  reference_sources: Json;
  reference_source_count: number;
  reference_age_s: Opt<number>;
  reference_dispersion_pct: Opt<number>;
  reference_after_price: Num;
  reference_after_delay_s: Opt<number>;
  deviation_bps: Opt<number>;
  equity_at_reference_usd: Num;
  maintenance_at_reference_usd: Num;
  equity_at_venue_price_usd: Num;
  maintenance_at_venue_price_usd: Num;
  threshold_price: Num;
  distance_to_threshold_pct: Opt<number>;
  distance_after_pct: Opt<number>;
  tolerance_pct: number;
  verdict: 'erroneous' | 'borderline' | 'justified' | 'unknown';
  reason: Opt<string>;
  detail: Opt<string>;
  kept_usd: Num;
  dollars_lost_usd: Num;
  episode_id: Opt<string>;
  notes: ColumnType<string[], string[] | undefined, string[]>;
  params: Json;
}

export type OracleFeedHealthTable = {
  oracle_price_id: string;
  run_id: string;
  venue: string;
  market: string;
  asset: Opt<string>;
  time: Date;
  price: string;
  previous_time: Opt<Date>;
  gap_s: Opt<number>;
  move_pct: Opt<number>;
  delay_s: Opt<number>;
  heartbeat_s: number;
  deviation_pct: number;
  trigger: Opt<'heartbeat' | 'deviation'>;
  deviation_met: Opt<boolean>;
  late: Opt<boolean>;
}

export type OracleEpisodesTable = {
  /** `<kind>:<venue>:<market>:<start ISO>`: the same episode keeps its id when a range is analysed again. */
  id: string;
  run_id: string;
  kind: 'deviation' | 'stale';
  cause: string;
  venue: string;
  market: string;
  asset: Opt<string>;
  quote: Opt<string>;
  liquidation_venue: string;
  start_time: ColumnType<Date, Date | string, Date | string>;
  end_time: ColumnType<Date | null, Date | string | null, Date | string | null>;
  duration_s: Opt<number>;
  last_update_time: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  peak_deviation_pct: Opt<number>;
  peak_time: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  peak_venue_price: Num;
  peak_reference_price: Num;
  threshold_pct: Opt<number>;
  heartbeat_s: Opt<number>;
  evaluations: ColumnType<number, number | undefined, number>;
  liquidations_inside: ColumnType<number, number | undefined, number>;
  params: Json;
}

export type OracleTables = {
  liquidation_oracle_checks: LiquidationOracleChecksTable;
  oracle_feed_health: OracleFeedHealthTable;
  oracle_episodes: OracleEpisodesTable;
}
