import { indexConfig, SourceLockedError } from '../indexer/index-config.ts';
import type { SourceSummary } from '../indexer/runner.ts';
import type { JobKind } from './job-kind.ts';

/**
 * `index:<source>`: one source caught up to its safe head (or its files' end) and returned, through
 * the same path as `liqscope index --source <source>` (its advisory lock included). A run interrupted
 * by a shutdown keeps what it committed; the next run resumes from the cursor.
 */
export const indexJobs: JobKind = {
  kind: 'index',
  jobs: (config) => config.sources.map((source) => ({ name: `index:${source.name}`, source: source.name })),
  defaultExpression: (schedule) => schedule.index,
  async run(job, context) {
    const source = job.source!;
    const { metrics } = context;
    metrics.runStarted(source);
    let summary: SourceSummary | undefined;
    try {
      await indexConfig(context.db, context.config, {
        protocols: context.protocols,
        sources: [source],
        ...(context.origin ? { origin: context.origin } : {}),
        follow: false,
        signal: context.signal,
        dbKind: context.dbKind,
        onProgress: (p) => metrics.onProgress(p),
        onSummary: (s) => {
          summary = s;
          metrics.onSummary(s);
        },
        ...context.tuning,
      });
    } catch (error) {
      // `liqscope index` run by hand or by cron holds the source: it does the work of this tick.
      if (error instanceof SourceLockedError) return { outcome: 'skipped', figures: {}, summary: `${source} is being indexed by another process` };
      throw error;
    }
    const s = summary!;
    const figures = { unit: s.unit, from: s.from, to: s.to, records: s.records, rows: s.rows, batches: s.batches, rewinds: s.rewinds, requests: s.requests, retries: s.retries, seconds: s.seconds, errors: s.errors };
    const moved = BigInt(s.to) >= BigInt(s.from) ? `${s.unit} ${s.from}–${s.to}` : `nothing new (at ${s.to} ${s.unit})`;
    return {
      outcome: context.signal.aborted ? 'interrupted' : 'ok',
      figures,
      summary: `${s.records} records, ${s.rows} rows in ${s.batches} batches, ${moved}`,
    };
  },
};
