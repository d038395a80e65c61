import { join } from 'node:path';
import type { LiqscopeConfig } from '../config/schema.ts';
import { logger } from '../logger.ts';
import type { JobKind, JobRunContext } from './job-kind.ts';
import { opsDb } from './job-runs-table.ts';
import { reportPeriods } from './report-periods.ts';

/** How often the report job looks again at the index jobs it waits for. */
const WAIT_POLL_MS = 5_000;

/**
 * `report`: the report of each period of its schedule (daily by default: yesterday, midnight to
 * midnight in schedule.timezone), written by writeReport to `schedule.reportDir/<period>/` in
 * `schedule.reportFormats`. Only configured when `schedule.reportDir` is set.
 *
 * A report at midnight would miss what the sources publish at 23:59 and the index jobs store a minute
 * later, so before writing it waits (at most schedule.reportWaitSeconds) for a successful run of every
 * scheduled index job that covered a tick at or after the period's end: each such run began after the
 * period ended and read its source up to then (an EVM source up to its finality depth). Past the wait it
 * writes the report anyway and names the sources it did not wait for, in its figures and log line.
 */
export const reportJob: JobKind = {
  kind: 'report',
  jobs: (config) => (config.schedule.reportDir ? [{ name: 'report' }] : []),
  defaultExpression: (schedule) => schedule.report,
  async run(_job, context) {
    const { config } = context;
    const { periods, skipped } = reportPeriods(context.schedule, context.since, context.firstTick, context.tick);
    if (periods.length === 0) return { outcome: 'ok', figures: { reports: [] }, summary: 'no period ended' };
    const lastEnd = periods[periods.length - 1]!.to;
    const notWaitedFor = await waitForIndexRuns(context, lastEnd);
    if (notWaitedFor === null) return { outcome: 'interrupted', figures: { reports: [] }, summary: 'stopped while waiting for the index jobs' };
    if (notWaitedFor.length > 0) {
      logger.warn({ job: 'report', jobs: notWaitedFor }, `report: writing without waiting longer for ${notWaitedFor.join(', ')} to run past ${lastEnd.toISOString()} (schedule.reportWaitSeconds ${config.schedule.reportWaitSeconds}): the report may miss their latest data`);
    }
    // Loaded when a report is due: charts and the PDF printer are large, and most runs of a worker never need them.
    const { writeReport } = await import('../report/index.ts');
    const written: Record<string, unknown>[] = [];
    for (const period of periods) {
      if (context.signal.aborted) {
        return { outcome: 'interrupted', figures: { reports: written, notWaitedFor }, summary: `stopped after ${written.length} of ${periods.length} reports` };
      }
      const outDir = join(config.schedule.reportDir!, period.label);
      const result = await writeReport(context.db, { outDir, from: period.from, to: period.to, formats: config.schedule.reportFormats });
      written.push({
        period: period.label,
        from: period.from.toISOString(),
        to: period.to.toISOString(),
        dir: result.dir,
        files: result.files.filter((f) => f.format !== 'svg').map((f) => f.format),
        ...(result.skipped.length > 0 ? { skipped: result.skipped } : {}),
      });
    }
    const where = written.length === 1 ? String(written[0]!.dir) : `${config.schedule.reportDir} (${written.map((w) => w.period).join(', ')})`;
    return {
      outcome: 'ok',
      figures: { reports: written, ...(skipped > 0 ? { olderPeriodsNotWritten: skipped } : {}), ...(notWaitedFor.length > 0 ? { notWaitedFor } : {}) },
      summary: `${written.length} report${written.length === 1 ? '' : 's'} written to ${where}${notWaitedFor.length > 0 ? `; did not wait for ${notWaitedFor.join(', ')}` : ''}`,
    };
  },
};

/** The index jobs a configuration schedules (not those set to false in schedule.jobs). */
function scheduledIndexJobs(config: LiqscopeConfig): string[] {
  return config.sources.map((s) => `index:${s.name}`).filter((name) => config.schedule.jobs[name] !== false);
}

/**
 * Waits until every scheduled index job has a successful (or, held by `liqscope index`, skipped) run
 * covering a tick at or after `end`. Returns the jobs still without one at the deadline ([] when all
 * have one), or null when the run was asked to stop.
 */
async function waitForIndexRuns(context: JobRunContext, end: Date): Promise<string[] | null> {
  const jobs = scheduledIndexJobs(context.config);
  if (jobs.length === 0) return [];
  const log = opsDb(context.db);
  const deadline = Date.now() + context.config.schedule.reportWaitSeconds * 1000;
  for (;;) {
    const rows = await log
      .selectFrom('job_runs')
      .select('job')
      .distinct()
      .where('job', 'in', jobs)
      .where('tick', '>=', end)
      .where('outcome', 'in', ['ok', 'skipped'])
      .execute();
    const done = new Set(rows.map((r) => r.job));
    const waiting = jobs.filter((j) => !done.has(j));
    if (waiting.length === 0 || Date.now() >= deadline) return waiting;
    if (context.signal.aborted) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())));
      function wake() {
        clearTimeout(timer);
        context.signal.removeEventListener('abort', wake);
        resolve();
      }
      context.signal.addEventListener('abort', wake, { once: true });
    });
    if (context.signal.aborted) return null;
  }
}
