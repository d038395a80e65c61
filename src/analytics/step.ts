import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { VenueMarginRules } from '../pipeline/margin-rules.ts';
import type { FeedUpdateRule } from '../pipeline/feed-rules.ts';
import type { AdlRankingRule } from '../pipeline/protocol.ts';

/**
 * What `liqscope analyze` runs: steps (cascades, ADL waves, oracle checks, …), each reading only the
 * canonical tables and writing its own result tables for the analysed range, inside the run's one
 * transaction (re-running a range replaces that range's results).
 */
export interface AnalysisScope {
  /** The run's id in `analysis_runs`; every result row carries it. */
  runId: string;
  /** Half-open time range [from, to) analysed. */
  from: Date;
  to: Date;
  /** Only these venues / assets (all when empty). */
  venues: readonly string[];
  assets: readonly string[];
  /**
   * A second connection reading the canonical tables in the run's snapshot, for long reads that would
   * otherwise queue behind the step's own writes (src/analytics/snapshot-reader.ts). Postgres only;
   * absent on PGlite, where the transaction reads. It sees none of the run's writes.
   */
  reader?: Kysely<Database>;
}

/**
 * What the composition root (src/cli) hands every step besides its parameters: venue knowledge the
 * engine may not import (protocols live in src/protocols/ only).
 */
export interface AnalysisContext {
  /** Each venue's margin rules (a protocol's `marginRules`), for the oracle step's counterfactuals. */
  marginRules: readonly VenueMarginRules<unknown>[];
  /** Each venue's documented ADL ranking (a protocol's `adlRanking`), for the ADL step's ranking check. */
  adlRankings: Readonly<Record<string, AdlRankingRule>>;
  /** Update rules of the feeds the protocols know (a protocol's `feedRules`), after the configured ones. */
  feedRules: readonly FeedUpdateRule[];
}

export interface AnalysisStep<Params = unknown> {
  /** Stable name, recorded in `analysis_runs` with the step's parameters and figures. */
  name: string;
  /**
   * Steps whose results this one reads: it starts once they have finished (those of them the run
   * includes). Steps that read none of each other's results run at once, in the same transaction
   * (analyze.ts): their statements interleave on its connection, and one's JavaScript runs while
   * Postgres works on the other's.
   */
  after?: readonly string[];
  /**
   * Deletes this step's results for the scope's range (and venues/assets), then computes and writes
   * new ones. Returns figures worth recording (rows written, coverage, warnings).
   */
  run(trx: Transaction<Database>, scope: AnalysisScope, params: Params, context?: AnalysisContext): Promise<Record<string, unknown>>;
}
