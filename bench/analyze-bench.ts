import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { analyze, type AnalyzeSummary } from '../src/analytics/analyze.ts';
import { PROTOCOLS } from '../src/cli/protocols.ts';
import { configSchema } from '../src/config/schema.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { analysisContextOf } from '../src/pipeline/protocol.ts';
import { generateAnalyzeBenchData, type AnalyzeBenchData } from './analyze-generate.ts';
import { CpuMeter, type CpuUsage } from './cpu-usage.ts';

export interface AnalyzeBenchResult {
  analyze_liquidations: number;
  analyze_oracle_updates: number;
  analyze_adl_events: number;
  analyze_trade_bars: number;
  /** Wall time of `analyze` over the whole generated week (every registered step, one transaction). */
  analyze_seconds: number | null;
  /** Peak RSS of this process during `analyze` (Postgres's own memory is not counted). */
  analyze_peak_rss_mb: number | null;
  /** RSS just before `analyze`: the peak minus this is what the run itself needed. */
  analyze_rss_before_mb: number;
  /** The same at a quarter of the rows: memory that does not grow with the row count stays flat. */
  analyze_quarter_seconds: number | null;
  analyze_quarter_peak_rss_mb: number | null;
  /**
   * CPU seconds of this process during `analyze`, and of the Postgres server's processes when it runs on
   * this machine (null otherwise): on 2 cores, a wall time of T s holds at most 2T s of the two together.
   */
  analyze_node_cpu_seconds: number | null;
  analyze_postgres_cpu_seconds: number | null;
  /**
   * The ADL step alone over the same range again, once the tables' statistics know the first run (as
   * an operator's store does after its first `analyze`): a new run's rows are then estimated at one, a
   * case a fresh schema never shows.
   */
  analyze_adl_rerun_seconds: number | null;
  /** Seconds per step as the steps report them. */
  analyze_step_seconds: Record<string, number>;
  analyze_cascades: number;
  analyze_adl_waves: number;
  analyze_measured_at: string;
}

interface Measured {
  data: AnalyzeBenchData;
  seconds: number;
  peakMb: number;
  beforeMb: number;
  summary: AnalyzeSummary;
  cpu: CpuUsage;
  adlRerunSeconds: number;
  cascades: number;
  waves: number;
}

/**
 * `npm run bench -- --only analyze`: `liqscope analyze` over a generated week of 1,000,000
 * liquidations and 1,000,000 oracle rounds (bench/analyze-generate.ts) in a fresh Postgres schema,
 * dropped after. Measured twice, at a quarter and at the full size, so that the report shows whether
 * time and memory grow with the rows (the target: under 30 s, and memory that does not).
 */
export async function runAnalyzeBench(opts: { postgresUrl?: string; liquidations?: number; oracleUpdates?: number; quarter?: boolean; log?: (line: string) => void }): Promise<Partial<AnalyzeBenchResult>> {
  const log = opts.log ?? (() => {});
  if (!opts.postgresUrl) {
    log('no Postgres configured (LIQSCOPE_BENCH_DATABASE_URL): analyze not measured');
    return { analyze_seconds: null, analyze_peak_rss_mb: null };
  }
  const liquidations = opts.liquidations ?? 1_000_000;
  const oracleUpdates = opts.oracleUpdates ?? 1_000_000;
  const quarter = opts.quarter === false ? null : await measure(opts.postgresUrl, Math.round(liquidations / 4), Math.round(oracleUpdates / 4), (line) => log(`quarter: ${line}`));
  const full = await measure(opts.postgresUrl, liquidations, oracleUpdates, log);
  const steps: Record<string, number> = {};
  for (const [name, figures] of Object.entries(full.summary.steps)) if (typeof figures.seconds === 'number') steps[name] = figures.seconds;
  return {
    analyze_liquidations: full.data.liquidations,
    analyze_oracle_updates: full.data.oracleUpdates,
    analyze_adl_events: full.data.adlEvents,
    analyze_trade_bars: full.data.tradeBars,
    analyze_seconds: round1(full.seconds),
    analyze_peak_rss_mb: Math.round(full.peakMb),
    analyze_rss_before_mb: Math.round(full.beforeMb),
    analyze_node_cpu_seconds: round1(full.cpu.nodeSeconds),
    analyze_postgres_cpu_seconds: full.cpu.postgresSeconds === null ? null : round1(full.cpu.postgresSeconds),
    analyze_adl_rerun_seconds: round1(full.adlRerunSeconds),
    analyze_quarter_seconds: quarter ? round1(quarter.seconds) : null,
    analyze_quarter_peak_rss_mb: quarter ? Math.round(quarter.peakMb) : null,
    analyze_step_seconds: steps,
    analyze_cascades: full.cascades,
    analyze_adl_waves: full.waves,
    analyze_measured_at: new Date().toISOString(),
  };
}

async function measure(postgresUrl: string, liquidations: number, oracleUpdates: number, log: (line: string) => void): Promise<Measured> {
  const schema = `bench_analyze_${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase({ url: postgresUrl, schema });
  try {
    await migrateToLatest(handle.db);
    const data = await generateAnalyzeBenchData(handle.db, { liquidations, oracleUpdates, log });
    log(`generated ${data.liquidations} liquidations, ${data.adlEvents} ADL fills, ${data.oracleUpdates} oracle rounds, ${data.tradeBars} one-second bars`);
    global.gc?.();
    const beforeMb = process.memoryUsage().rss / 2 ** 20;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const meter = new CpuMeter(postgresUrl);
    const started = process.hrtime.bigint();
    let summary: AnalyzeSummary;
    let cpu: CpuUsage;
    try {
      // as `liqscope analyze` runs it: every step, the venues' margin rules and ADL rankings from the composition root
      summary = await analyze(handle.db, configSchema.parse({}), { context: analysisContextOf(PROTOCOLS) });
    } finally {
      clearInterval(sampler);
      cpu = meter.stop();
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const count = async (table: string) => Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)} where run_id = ${summary.runId}`.execute(handle.db)).rows[0]!.n);
    const cascades = await count('cascades');
    const waves = await count('adl_waves');
    // statistics of the stored results, as autovacuum would gather them after the run commits
    await sql`analyze adl_waves, adl_gap_sweep, cascades`.execute(handle.db);
    const rerunStarted = process.hrtime.bigint();
    await analyze(handle.db, configSchema.parse({}), { steps: ['adl'], context: analysisContextOf(PROTOCOLS) });
    const adlRerunSeconds = Number(process.hrtime.bigint() - rerunStarted) / 1e9;
    log(`analyze: ${seconds.toFixed(1)} s, peak RSS ${Math.round(peak / 2 ** 20)} MB (${Math.round(beforeMb)} MB before), ${cascades} cascades, ${waves} ADL waves; CPU ${cpu.nodeSeconds.toFixed(1)} s Node, ${cpu.postgresSeconds === null ? 'Postgres not measured (not on this machine)' : `${cpu.postgresSeconds.toFixed(1)} s Postgres`}; the ADL step again ${adlRerunSeconds.toFixed(1)} s; steps ${JSON.stringify(Object.fromEntries(Object.entries(summary.steps).map(([k, v]) => [k, v.seconds])))}`);
    return { data, seconds, peakMb: peak / 2 ** 20, beforeMb, summary, cpu, adlRerunSeconds, cascades, waves };
  } finally {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db).catch(() => {});
    await handle.close();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
