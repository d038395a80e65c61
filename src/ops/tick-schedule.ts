import { Cron } from 'croner';

/** The scheduled ticks a run covers: `count` ticks from `first` to `last`. */
export interface DueTicks {
  first: Date;
  last: Date;
  count: number;
}

/**
 * Beyond this many ticks due at once (an every-second job after a day with no worker up), the count in
 * the job log is a floor: enumerating further would hold the job's lock for seconds to count ticks that
 * one run covers anyway.
 */
const MAX_COUNTED_TICKS = 100_000;

/**
 * The ticks of one cron expression (croner: five fields, or six with seconds first) in a time zone.
 * Croner is used only to compute times; the scheduler keeps its own timers, because a tick's due-ness
 * is judged on the database's clock, which every worker shares (see scheduler.ts).
 */
export class TickSchedule {
  private readonly cron: Cron;

  constructor(
    readonly expression: string,
    readonly timezone = 'UTC',
  ) {
    this.cron = new Cron(expression, { paused: true, timezone });
  }

  /** The first tick strictly after `after` (null: the expression has no more, e.g. a date in the past). */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  /** The last tick strictly before `before` (null: none), e.g. the start of the period a tick ends. */
  previous(before: Date): Date | null {
    return this.cron.previousRuns(1, before)[0] ?? null;
  }

  /** The ticks in (`after`, `until`], or null when there is none. */
  due(after: Date, until: Date): DueTicks | null {
    const first = this.next(after);
    if (!first || first > until) return null;
    let last = first;
    let count = 1;
    for (;;) {
      const next = this.next(last);
      if (!next || next > until) break;
      last = next;
      count++;
      if (count >= MAX_COUNTED_TICKS) {
        // Jump to the last tick at or before `until` without counting each one.
        const previous = this.cron.previousRuns(1, new Date(until.getTime() + 1))[0];
        if (previous && previous > last) last = previous;
        break;
      }
    }
    return { first, last, count };
  }
}
