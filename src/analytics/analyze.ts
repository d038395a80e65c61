import { sql, type Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { storeKind } from '../db/store-kind.ts';
import { measureCoverage } from './coverage.ts';
import { AnalyzeRequestError, resolveScope, type AnalyzeRequest } from './scope.ts';
import { withSnapshotReader } from './snapshot-reader.ts';
import type { AnalysisContext, AnalysisStep } from './step.ts';
import { runSteps } from './run-steps.ts';
import { ANALYSIS_STEPS } from './steps.ts';

export { AnalyzeRequestError } from './scope.ts';

export interface AnalyzeOptions extends AnalyzeRequest {
  /** Only these steps (by name); all registered steps by default. */
  steps?: readonly string[];
  /** The steps to choose from (tests); the registered ones by default. */
  registry?: readonly AnalysisStep<unknown>[];
  /**
   * Venue knowledge from the composition root (src/cli/protocols.ts, `analysisContextOf(PROTOCOLS)`): the
   * venues' margin rules, ADL rankings and feeds' update rules. Without them the oracle step judges no
   * position (verdict `unknown`, reason `no_margin_rules`) and knows only the configured feeds, and the ADL
   * step checks no ranking but those of the configuration.
   */
  context?: AnalysisContext;
}

export interface AnalyzeSummary {
  /** The `analysis_runs` id; null when the store held nothing to analyse (no run is recorded). */
  runId: string | null;
  from: Date | null;
  to: Date | null;
  scope: string | null;
  /** Each step's figures, as recorded in `analysis_runs.steps`. */
  steps: Record<string, Record<string, unknown>>;
  seconds: number;
}

/**
 * `liqscope analyze`: runs the analysis steps over a range of the store, in ONE transaction: the run's
 * `analysis_runs` row, every step's deletion of the results it replaces and its new results commit
 * together or not at all (a failed step leaves the previous results in place). Concurrent runs on
 * Postgres queue on a transaction-scoped advisory lock, so two schedulers never interleave their
 * deletes and inserts. Parameters come from `config.analytics.<step>` (defaults in params.ts).
 *
 * @example
 * const summary = await analyze(db, config, { from: new Date('2025-10-10T20:00Z'), venues: ['hyperliquid'] });
 */
export async function analyze(db: Kysely<Database>, config: Pick<LiqscopeConfig, 'analytics'>, options: AnalyzeOptions = {}): Promise<AnalyzeSummary> {
  const started = performance.now();
  const registry = options.registry ?? ANALYSIS_STEPS;
  const steps = selectSteps(registry, options.steps);
  const scope = await resolveScope(db, options);
  if (!scope) return { runId: null, from: null, to: null, scope: null, steps: {}, seconds: (performance.now() - started) / 1000 };
  const paramsByStep = config.analytics as Record<string, unknown>;
  const context: AnalysisContext = options.context ?? { marginRules: [], adlRankings: {}, feedRules: [] };

  return db.transaction().execute(async (trx) => {
    if (storeKind(trx) === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':liqscope:analyze', 0))`.execute(trx);
      // The steps send thousands of small indexed queries (a day of one asset's prices, a cascade's
      // seconds) whose row estimates are low enough for a parallel plan, and starting its workers takes
      // longer than the query: a day of BTC observations took 53 ms with two workers and 10 ms without
      // (the analyze bench's quarter size spent 48 s of its cascades step there). For this run only.
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
    }
    const coverage = await measureCoverage(trx, scope);
    const { rows } = await sql<{ id: string }>`
      insert into analysis_runs (started_at, range_from, range_to, venues, assets, scope, params, coverage)
      values (${new Date()}, ${scope.from}, ${scope.to}, ${scope.venues}::text[], ${scope.assets}::text[], ${scope.key},
              ${JSON.stringify(Object.fromEntries(steps.map((s) => [s.name, paramsByStep[s.name] ?? {}])))}::jsonb, ${JSON.stringify(coverage)}::jsonb)
      returning id::text as id`.execute(trx);
    const runId = rows[0]!.id;
    const figures: Record<string, Record<string, unknown>> = {};
    await withSnapshotReader(db, trx, async (reader) => {
      const stepScope = { runId, from: scope.from, to: scope.to, venues: scope.venues, assets: scope.assets, ...(reader ? { reader } : {}) };
      const results = await runSteps(steps, (step) => step.run(trx, stepScope, paramsByStep[step.name] ?? {}, context));
      // recorded in registry order, whichever finished first
      for (const step of steps) figures[step.name] = results.get(step.name)!;
    });
    await sql`update analysis_runs set finished_at = ${new Date()}, steps = ${JSON.stringify(figures)}::jsonb where id = ${runId}`.execute(trx);
    return { runId, from: scope.from, to: scope.to, scope: scope.key, steps: figures, seconds: (performance.now() - started) / 1000 };
  });
}

function selectSteps(registry: readonly AnalysisStep<unknown>[], names: readonly string[] | undefined): AnalysisStep<unknown>[] {
  if (!names || names.length === 0) return [...registry];
  for (const name of names) {
    if (!registry.some((s) => s.name === name)) {
      throw new AnalyzeRequestError(`analyze: unknown step "${name}" (steps: ${registry.map((s) => s.name).join(', ')})`);
    }
  }
  // Registry order, whatever order they were named in: a step comes after the steps it reads (`after`).
  return registry.filter((s) => names.includes(s.name));
}
