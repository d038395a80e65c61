import { ConfigError } from '../config/load.ts';
import type { LiqscopeConfig } from '../config/schema.ts';
import { analyzeJob } from './analyze-job.ts';
import { indexJobs } from './index-job.ts';
import type { JobKind, JobSpec } from './job-kind.ts';
import { reportJob } from './report-job.ts';
import { TickSchedule } from './tick-schedule.ts';

/**
 * The kinds of job `liqscope run` schedules, one line each: an index job per source, the analysis of
 * new data, and the report of each period (when schedule.reportDir is set).
 */
export const JOB_KINDS: readonly JobKind[] = [indexJobs, analyzeJob, reportJob];

/** A job with its schedule, as the scheduler runs it. */
export interface ScheduledJob extends JobSpec {
  kind: JobKind;
  schedule: TickSchedule;
}

/**
 * The jobs a configuration asks for, each with its cron expression (`schedule.jobs.<name>` or its
 * kind's default), without those set to false, optionally only `only` (by name). An override naming no
 * job, or `only` naming none, is an error naming the jobs there are.
 */
export function scheduledJobs(config: LiqscopeConfig, options: { origin?: string; only?: readonly string[]; kinds?: readonly JobKind[] } = {}): ScheduledJob[] {
  const kinds = options.kinds ?? JOB_KINDS;
  const all = kinds.flatMap((kind) => kind.jobs(config).map((spec) => ({ spec, kind })));
  const names = all.map((j) => j.spec.name);
  const origin = options.origin ?? 'configuration';
  for (const key of Object.keys(config.schedule.jobs)) {
    if (!names.includes(key)) throw new ConfigError(`${origin}: schedule.jobs.${key}: no such job (jobs: ${names.join(', ') || 'none'})`);
  }
  for (const name of options.only ?? []) {
    if (!names.includes(name)) throw new UnknownJobError(`unknown job "${name}" (jobs: ${names.join(', ') || 'none'})`);
  }
  const jobs: ScheduledJob[] = [];
  for (const { spec, kind } of all) {
    if (options.only && !options.only.includes(spec.name)) continue;
    const override = config.schedule.jobs[spec.name];
    if (override === false) continue;
    const expression = override ?? kind.defaultExpression(config.schedule);
    jobs.push({ ...spec, kind, schedule: new TickSchedule(expression, config.schedule.timezone) });
  }
  return jobs;
}

/** `--job` names a job the configuration does not have (a usage error). */
export class UnknownJobError extends Error {
  override name = 'UnknownJobError';
}
