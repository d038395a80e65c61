import type { TickSchedule } from './tick-schedule.ts';

/** A period between two ticks of the report's schedule, half-open: [from, to). */
export interface ReportPeriod {
  from: Date;
  to: Date;
  /** Its folder name: the day (`2025-10-10`) for a day from midnight to midnight, else its UTC bounds. */
  label: string;
}

/**
 * At most this many periods per run, the latest: a daily report after a worker was down for 100 days
 * still writes each day, while an every-minute expression after a week down does not write 10,080
 * reports in one run. Older periods can be written with `liqscope report --from --to`.
 */
export const MAX_PERIODS_PER_RUN = 100;

/**
 * The periods a report run writes: one per tick it covers and per tick since the last successful run
 * (a failed run's periods are written by the next one), each from the tick before it to the tick.
 * `skipped` counts the older ones beyond MAX_PERIODS_PER_RUN.
 */
export function reportPeriods(schedule: TickSchedule, since: Date | null, firstTick: Date, tick: Date): { periods: ReportPeriod[]; skipped: number } {
  const ticks: Date[] = [];
  let t: Date | null = since ? schedule.next(since) : firstTick;
  if (t && t > firstTick) t = firstTick;
  while (t && t <= tick) {
    ticks.push(t);
    t = schedule.next(t);
  }
  const kept = ticks.slice(-MAX_PERIODS_PER_RUN);
  const periods: ReportPeriod[] = [];
  for (const end of kept) {
    const start = schedule.previous(end);
    if (!start) continue; // a schedule with no tick before: no period ends here
    periods.push({ from: start, to: end, label: periodLabel(start, end, schedule.timezone) });
  }
  return { periods, skipped: ticks.length - kept.length };
}

/**
 * `2025-10-10` when [from, to) is that whole day in `timezone` (midnight to the next midnight, 23 or
 * 25 hours on a daylight-saving day); otherwise `20251010T0000Z-20251010T0600Z`.
 */
export function periodLabel(from: Date, to: Date, timezone: string): string {
  const a = localParts(from, timezone);
  const b = localParts(to, timezone);
  const nextDay = localParts(new Date(from.getTime() + 36 * 3_600_000), timezone);
  if (a.time === '00:00:00' && b.time === '00:00:00' && b.date === nextDay.date) return a.date;
  const compact = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, '') + 'Z';
  return `${compact(from)}-${compact(to)}`;
}

function localParts(date: Date, timezone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}:${get('second')}` };
}
