import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SourceProgress, SourceSummary } from '../indexer/runner.ts';
import type { SourceLag } from '../pipeline/source.ts';
import type { JobOutcome } from './job-runs-table.ts';

/**
 * The Prometheus metrics of a `liqscope run` process (prom-client, text format on /metrics).
 *
 * Label values are source names, job names, endpoint labels from the config (`arbitrum#0`) and fixed
 * words (outcomes, error kinds): never a URL or any part of one, so a key in an RPC URL cannot reach a
 * metric. Counters count what this process did (sum them over workers); the lag and last-success
 * gauges are measured from the shared database and chain, so every worker reports the same values
 * (take the max over workers).
 */
export class OpsMetrics {
  readonly registry = new Registry();

  private readonly lagBlocks = this.gauge('liqscope_source_lag_blocks', 'Blocks between an EVM source cursor and its chain safe head (or endBlock)', ['source']);
  private readonly lagBytes = this.gauge('liqscope_source_lag_bytes', 'Bytes on disk a files source has not read yet', ['source']);
  private readonly lagSeconds = this.gauge(
    'liqscope_source_lag_seconds',
    'How old the oldest data not yet indexed is: EVM chain time from cursor block to safe head; files since the first unread file changed; http since the last successful run',
    ['source'],
  );
  private readonly records = this.counter('liqscope_source_records_total', 'Records (logs, lines, items) written by this process', ['source']);
  private readonly rows = this.counter('liqscope_source_rows_total', 'Rows decoded and written by this process', ['source']);
  private readonly batches = this.counter('liqscope_source_batches_total', 'Batches (transactions) written by this process', ['source']);
  private readonly eventsPerSecond = this.gauge('liqscope_source_events_per_second', 'Records per second of the current or last index run in this process', ['source']);
  private readonly errors = this.counter('liqscope_source_errors_total', 'Failed RPC or API requests by endpoint label and kind (retried or not)', ['source', 'endpoint', 'kind']);
  private readonly rewinds = this.counter('liqscope_source_rewinds_total', 'Reorganisations rolled back', ['source']);
  private readonly lastSuccess = this.gauge('liqscope_source_last_success_timestamp_seconds', 'End of the last successful index run of the source (any worker)', ['source']);

  private readonly jobRuns = this.counter('liqscope_job_runs_total', 'Job runs by this process, by outcome', ['job', 'outcome']);
  private readonly jobFailures = this.counter('liqscope_job_failures_total', 'Failed job runs by this process', ['job']);
  private readonly jobTicks = this.counter('liqscope_job_ticks_total', 'Scheduled ticks covered by job runs of this process (a run covers several when ticks came due while the job was busy)', ['job']);
  private readonly jobDuration = new Histogram({
    name: 'liqscope_job_duration_seconds',
    help: 'Duration of job runs by this process',
    labelNames: ['job'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600],
    registers: [this.registry],
  });
  private readonly jobLastSuccess = this.gauge('liqscope_job_last_success_timestamp_seconds', 'End of the last successful run of the job (any worker)', ['job']);
  private readonly ready = this.gauge('liqscope_ready', '1 when /readyz answers ready, 0 otherwise', []);

  /** Records written so far in each source's current run (progress reports are cumulative per run). */
  private readonly runRecords = new Map<string, number>();

  constructor(options: { processMetrics?: boolean } = {}) {
    // CPU, memory, event loop lag, open handles of the process: the standard set every Node exporter has.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A source's index run is starting (its progress counts from zero again). */
  runStarted(source: string): void {
    this.runRecords.set(source, 0);
  }

  /** A progress report of an index run: after every written batch (`catching-up`) and when a pull ends. */
  onProgress(p: SourceProgress): void {
    const before = this.runRecords.get(p.sourceId) ?? 0;
    if (p.records > before) this.records.inc({ source: p.sourceId }, p.records - before);
    this.runRecords.set(p.sourceId, p.records);
    if (p.phase === 'catching-up') this.batches.inc({ source: p.sourceId });
    if (p.elapsedSeconds > 0) this.eventsPerSecond.set({ source: p.sourceId }, p.records / p.elapsedSeconds);
    // The run knows where its pull is going: lag as the run sees it, until the next probe.
    const behind = Number(p.target > p.position ? p.target - p.position : 0n);
    if (p.unit === 'blocks') this.lagBlocks.set({ source: p.sourceId }, behind);
    if (p.unit === 'bytes') this.lagBytes.set({ source: p.sourceId }, behind);
  }

  /** An index run ended (successfully or not): its rows, rate and errors by kind. */
  onSummary(s: SourceSummary): void {
    if (s.rows > 0) this.rows.inc({ source: s.sourceId }, s.rows);
    if (s.rewinds > 0) this.rewinds.inc({ source: s.sourceId }, s.rewinds);
    this.eventsPerSecond.set({ source: s.sourceId }, s.seconds > 0 ? s.records / s.seconds : 0);
    for (const e of s.errors) if (e.count > 0) this.errors.inc({ source: s.sourceId, endpoint: e.endpoint, kind: e.kind }, e.count);
  }

  /** A lag measurement (the probe); `null` seconds: unknown. */
  setLag(source: string, lag: SourceLag | null, seconds: number | null): void {
    if (lag?.unit === 'blocks') this.lagBlocks.set({ source }, Number(lag.behind));
    if (lag?.unit === 'bytes') this.lagBytes.set({ source }, Number(lag.behind));
    if (seconds === null) this.lagSeconds.remove({ source });
    else this.lagSeconds.set({ source }, seconds);
  }

  setSourceLastSuccess(source: string, at: Date): void {
    this.lastSuccess.set({ source }, at.getTime() / 1000);
  }

  setJobLastSuccess(job: string, at: Date): void {
    this.jobLastSuccess.set({ job }, at.getTime() / 1000);
  }

  /** A job run ended in this process. */
  onJobRun(job: string, outcome: JobOutcome, seconds: number, ticks: number): void {
    this.jobRuns.inc({ job, outcome });
    if (outcome === 'failed') this.jobFailures.inc({ job });
    this.jobTicks.inc({ job }, ticks);
    this.jobDuration.observe({ job }, seconds);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  /** Declares a job's and a source's series at zero, so that dashboards and rate() see them before the first run. */
  declareJob(job: string, source?: string): void {
    for (const outcome of ['ok', 'failed'] as const) this.jobRuns.inc({ job, outcome }, 0);
    this.jobFailures.inc({ job }, 0);
    this.jobTicks.inc({ job }, 0);
    if (source) {
      this.records.inc({ source }, 0);
      this.rows.inc({ source }, 0);
      this.batches.inc({ source }, 0);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
