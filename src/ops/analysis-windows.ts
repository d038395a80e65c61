import { sql, type Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { NewDataSpan } from './new-data.ts';

/** A range of event time to analyse, half-open: [from, to). */
export interface AnalysisWindow {
  from: Date;
  to: Date;
}

/**
 * The longest gap between two events that the analysis still joins into one cluster: cascades and ADL
 * waves are runs of liquidations / ADL fills no more than `gapMs` apart, and every run also sweeps the
 * other gaps of `sweepGapsMs`. A pause longer than all of them separates clusters under every setting.
 */
export function quietGapMs(analytics: LiqscopeConfig['analytics']): number {
  return Math.max(analytics.cascades.gapMs, ...analytics.cascades.sweepGapsMs, analytics.adl.gapMs, ...analytics.adl.sweepGapsMs);
}

/** Events read per query while walking to a pause. */
const PAGE = 1000;

/**
 * The windows to re-analyse for spans of new data. `analyze` over [from, to) replaces the cascades and
 * waves overlapping it with those it finds among the events inside it, so a window starting inside a
 * cluster would cut it in two. Each span is therefore widened, both ways, to the first pause longer than
 * `quietMs` in the liquidations and ADL fills: then every cluster it touches lies wholly inside, old
 * events that new ones now join included. Windows that meet after widening are merged.
 */
export async function analysisWindows(db: Kysely<Database>, spans: readonly NewDataSpan[], quietMs: number): Promise<AnalysisWindow[]> {
  const widened: AnalysisWindow[] = [];
  for (const span of spans) {
    const from = await walkToPause(db, span.first, quietMs, 'back');
    const last = await walkToPause(db, span.last, quietMs, 'ahead');
    widened.push({ from, to: new Date(last.getTime() + 1) });
  }
  widened.sort((a, b) => a.from.getTime() - b.from.getTime());
  const merged: AnalysisWindow[] = [];
  for (const window of widened) {
    const open = merged[merged.length - 1];
    if (open && window.from.getTime() <= open.to.getTime()) {
      if (window.to > open.to) open.to = window.to;
    } else merged.push({ ...window });
  }
  const split: AnalysisWindow[] = [];
  for (const window of merged) split.push(...(await splitAtPauses(db, window, quietMs)));
  return split;
}

/**
 * A window is analysed in one transaction; a backfill of a year of prices would make it a year long.
 * Windows are therefore cut into pieces of about this length, each cut at a pause longer than the quiet
 * gap, where no cluster crosses: the results are those of the whole window (each cluster lies in one
 * piece, and every step reads the context it needs beyond its range itself). It bounds the size of a
 * transaction, not what is found.
 */
export const WINDOW_PIECE_MS = 24 * 3_600_000;

async function splitAtPauses(db: Kysely<Database>, window: AnalysisWindow, quietMs: number): Promise<AnalysisWindow[]> {
  const pieces: AnalysisWindow[] = [];
  let from = window.from;
  while (window.to.getTime() - from.getTime() > WINDOW_PIECE_MS) {
    const target = new Date(from.getTime() + WINDOW_PIECE_MS);
    // The last event before the target: its cluster ends at the pause after it (none: cut at the target).
    const { rows } = await sql<{ time: Date | string }>`
      select time from (
        (select time from liquidations where time >= ${from} and time < ${target} order by time desc limit 1)
        union all
        (select time from adl_events where time >= ${from} and time < ${target} order by time desc limit 1)
      ) t order by time desc limit 1`.execute(db);
    const cut = rows[0] ? new Date((await walkToPause(db, new Date(rows[0].time), quietMs, 'ahead')).getTime() + 1) : target;
    if (cut.getTime() >= window.to.getTime()) break; // one cluster runs to the end: keep the rest whole
    pieces.push({ from, to: cut });
    from = cut;
  }
  pieces.push({ from, to: window.to });
  return pieces;
}

/**
 * From an event time, the last event reached by steps of at most `quietMs` through the liquidations and
 * ADL fills, going back (or ahead). Reads a page of times at a time through the (time) indexes.
 */
async function walkToPause(db: Kysely<Database>, at: Date, quietMs: number, direction: 'back' | 'ahead'): Promise<Date> {
  let current = at.getTime();
  for (;;) {
    const edge = new Date(current);
    const { rows } =
      direction === 'back'
        ? await sql<{ time: Date | string }>`
            select time from (
              (select time from liquidations where time < ${edge} order by time desc limit ${PAGE})
              union all
              (select time from adl_events where time < ${edge} order by time desc limit ${PAGE})
            ) t order by time desc limit ${PAGE}`.execute(db)
        : await sql<{ time: Date | string }>`
            select time from (
              (select time from liquidations where time > ${edge} order by time limit ${PAGE})
              union all
              (select time from adl_events where time > ${edge} order by time limit ${PAGE})
            ) t order by time limit ${PAGE}`.execute(db);
    for (const row of rows) {
      const time = new Date(row.time).getTime();
      if (Math.abs(current - time) > quietMs) return new Date(current);
      current = time;
    }
    // Fewer than a page: nothing further. A full page: go on from its last time (events at exactly that
    // time are skipped by the strict bound, and cannot make a pause).
    if (rows.length < PAGE) return new Date(current);
  }
}
