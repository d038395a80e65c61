import { z } from 'zod';
import { DydxPageError } from './responses.ts';

/**
 * Paging backwards by block height, the way the indexer pages trades, fills and funding ticks
 * (formats.md §7): answers come newest first, at or below an inclusive height bound, at most `limit`
 * of them, in no defined order within one height (comlink orders by `createdAtHeight DESC` only).
 *
 * A stream's cursor (JSON in `cursors.position`) is a **sweep** from the newest item down to a floor:
 * - `done`: every item at or below this height (and at or above the configured start) is stored: the
 *   top of the last sweep that finished. Null until one finishes.
 * - `sweep`: the sweep under way, so that a killed run resumes where it stopped:
 *   - `top`: the newest height this sweep saw; it becomes `done` when the sweep ends. The indexer writes
 *     a block in one transaction, so a height it answers is complete.
 *   - `before`: the inclusive height bound of the next request: the lowest height of the last page.
 *     Its items come back (the bound is inclusive, and a page may have held only some of them);
 *     `seen` lists the ids of those already stored, which are skipped. A page sorted by height holds
 *     every item above its lowest height, so nothing between pages is missed.
 *   - `page`: a height holding a whole page (every item of a full page at one height) cannot be passed
 *     by its bound, nor by `createdBeforeOrAt` (all fills of a block share the block's time). It is read
 *     by page number: with `page`, comlink orders by event id ascending (which starts with the height)
 *     and answers `totalResults`, so the height's items are the last pages: the stream probes page 1
 *     for the total, then reads from the last page backwards until a page reaches below the height.
 *     The page size is kept with the state, since page numbers only mean something for one size.
 * The first sweep stops at the configured start (`fromHeight`, `from`); later sweeps at `done`: a
 * later run fetches only what is newer. Every decision is in the cursor, so a rerun from any committed
 * cursor asks exactly the next page. Ids make a duplicate harmless in the store too, but the cursor
 * never relies on that.
 */
export interface HeightCursor {
  v: 1;
  done: number | null;
  sweep: HeightSweep | null;
}

export interface HeightSweep {
  top: number;
  before: number;
  seen: string[];
  page: { number: number | null; total: number | null; limit: number } | null;
}

const cursorSchema = z.strictObject({
  v: z.literal(1),
  done: z.number().int().nullable(),
  sweep: z
    .strictObject({
      top: z.number().int(),
      before: z.number().int(),
      seen: z.array(z.string()),
      page: z.strictObject({ number: z.number().int().min(1).nullable(), total: z.number().int().min(0).nullable(), limit: z.number().int().min(1) }).nullable(),
    })
    .nullable(),
});

export function parseHeightCursor(text: string | null, stream: string): HeightCursor {
  if (text === null) return { v: 1, done: null, sweep: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`stream ${stream}: the stored cursor ${JSON.stringify(text.slice(0, 80))} is not JSON`);
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) throw new Error(`stream ${stream}: the stored cursor is not a dYdX height cursor (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/** What the sweep needs of one item of an answer. */
export interface SweepItem {
  id: string;
  height: number;
  timeMs: number;
}

export interface HeightSweepSpec {
  /** Name of the answer's list (`trades`) and of its items' height field (`createdAtHeight`), for messages. */
  list: string;
  heightField: string;
  /** Query parameter of the inclusive height bound (`createdBeforeOrAtHeight`, `effectiveBeforeOrAtHeight`). */
  beforeParam: string;
  /**
   * `many`: a height may hold many items and the endpoint takes `page` (trades, fills). `one`: at most
   * one item per height (a market's funding tick), so the next bound is the lowest height minus one
   * and two items at one height are an error.
   */
  perHeight: 'many' | 'one';
  limit: number;
  fromHeight?: number;
  fromMs?: number;
  /**
   * Also keep the newest item before the start: a funding tick's oracle price holds until the next
   * tick, so the one in force at the start belongs to the range.
   */
  keepOneBeforeStart?: boolean;
}

/** The sweep's part of the next request: query parameters and a printable description. */
export function sweepQuery(cursor: HeightCursor, spec: HeightSweepSpec): { params: [string, string][]; label: string } {
  const sweep = cursor.sweep;
  if (!sweep) return { params: [['limit', String(spec.limit)]], label: 'newest' };
  if (sweep.page) {
    const number = sweep.page.number ?? 1;
    const of = sweep.page.total === null ? 'probing the count' : `of ${Math.max(1, Math.ceil(sweep.page.total / sweep.page.limit))}`;
    return {
      params: [
        ['limit', String(sweep.page.limit)],
        [spec.beforeParam, String(sweep.before)],
        ['page', String(number)],
      ],
      label: `at height ${sweep.before}, page ${number} (${of} at or below it)`,
    };
  }
  return {
    params: [
      ['limit', String(spec.limit)],
      [spec.beforeParam, String(sweep.before)],
    ],
    label: `at or below height ${sweep.before}`,
  };
}

export interface SweepStep {
  /** Indexes (into the answer's items) of the items to store, in the answer's order. */
  keep: number[];
  cursor: HeightCursor;
  /** Whether the sweep goes on now. */
  more: boolean;
}

/**
 * Reads one answer to the request `sweepQuery(cursor)` built: checks that it keeps the endpoint's
 * promises (heights in order, within the bound, no more than asked), and returns what to store and
 * the cursor after it.
 */
export function sweepStep(items: readonly SweepItem[], totalResults: number | null | undefined, cursor: HeightCursor, spec: HeightSweepSpec): SweepStep {
  const sweep = cursor.sweep;
  if (sweep?.page) return pageStep(items, totalResults, cursor, sweep, spec);

  const limit = spec.limit;
  const before = sweep?.before ?? null;
  if (items.length > limit) throw new DydxPageError(spec.list, `${items.length} items, more than the ${limit} asked for`);
  items.forEach((item, i) => {
    if (before !== null && item.height > before) {
      throw new DydxPageError(`${spec.list}[${i}].${spec.heightField}`, `${item.height} is above the ${spec.beforeParam} ${before} asked for`);
    }
    if (i > 0 && item.height > items[i - 1]!.height) {
      throw new DydxPageError(`${spec.list}[${i}].${spec.heightField}`, `${item.height} after ${items[i - 1]!.height}: the answer is not newest first`);
    }
  });
  if (items.length === 0) return finish(cursor, sweep?.top ?? null);

  const top = sweep?.top ?? items[0]!.height;
  const floor = cursor.done;
  const seen = new Set(sweep?.seen ?? []);
  const above = (item: SweepItem) => (floor === null || item.height > floor) && !beforeStart(item, spec);
  const full = items.length === limit;
  const lowest = items[items.length - 1]!.height;

  if (spec.perHeight === 'one') {
    items.forEach((item, i) => {
      if (i > 0 && item.height === items[i - 1]!.height) throw new DydxPageError(`${spec.list}[${i}].${spec.heightField}`, `a second item at height ${item.height}`);
    });
  } else if (full && items[0]!.height === lowest && above(items[0]!)) {
    // A whole page at one height: pass it by page number (see above). Nothing of this page is
    // stored now; the page walk reads the height's items, skipping `seen` (stored from the page
    // before, which ended at this height).
    return {
      keep: [],
      cursor: { v: 1, done: floor, sweep: { top, before: lowest, seen: lowest === before ? [...seen] : [], page: { number: null, total: null, limit } } },
      more: true,
    };
  }

  const keep: number[] = [];
  let reachedFloor = !full;
  let keptBeforeStart = false;
  items.forEach((item, i) => {
    if (above(item)) {
      if (!seen.has(item.id)) keep.push(i);
      return;
    }
    reachedFloor = true;
    // The first item below the start, on the first sweep only (later sweeps stored it already).
    if (spec.keepOneBeforeStart && floor === null && !keptBeforeStart && beforeStart(item, spec) && !seen.has(item.id)) {
      keep.push(i);
      keptBeforeStart = true;
    }
  });
  if (reachedFloor) return { ...finish(cursor, top), keep };
  if (spec.perHeight === 'one') return { keep, cursor: { v: 1, done: floor, sweep: { top, before: lowest - 1, seen: [], page: null } }, more: true };
  const nextSeen = items.filter((item) => item.height === lowest).map((item) => item.id);
  return { keep, cursor: { v: 1, done: floor, sweep: { top, before: lowest, seen: nextSeen, page: null } }, more: true };
}

/** One page of the walk through a height by page number (items oldest first). */
function pageStep(items: readonly SweepItem[], totalResults: number | null | undefined, cursor: HeightCursor, sweep: HeightSweep, spec: HeightSweepSpec): SweepStep {
  const page = sweep.page!;
  const height = sweep.before;
  const number = page.number ?? 1;
  if (totalResults === null || totalResults === undefined) {
    throw new DydxPageError('totalResults', `expected the count of results (the request asked for page ${number}), got nothing`);
  }
  if (page.total !== null && totalResults !== page.total) {
    throw new DydxPageError('totalResults', `${totalResults}, but it was ${page.total} on an earlier page: the items at or below height ${height} changed while they were paged`);
  }
  if (items.length > page.limit) throw new DydxPageError(spec.list, `${items.length} items, more than the ${page.limit} asked for`);
  items.forEach((item, i) => {
    if (item.height > height) throw new DydxPageError(`${spec.list}[${i}].${spec.heightField}`, `${item.height} is above the ${spec.beforeParam} ${height} asked for`);
    if (i > 0 && item.height < items[i - 1]!.height) {
      throw new DydxPageError(`${spec.list}[${i}].${spec.heightField}`, `${item.height} after ${items[i - 1]!.height}: a numbered page is not oldest first`);
    }
  });
  const last = Math.max(1, Math.ceil(totalResults / page.limit));
  if (page.number === null && last > 1) {
    // The probe: only the count was wanted; the height's items are on the last pages.
    return { keep: [], cursor: withSweep(cursor, { ...sweep, page: { ...page, number: last, total: totalResults } }), more: true };
  }
  if (items.length === 0 && number < last) {
    throw new DydxPageError(spec.list, `page ${number} of ${last} is empty`);
  }
  const seen = new Set(sweep.seen);
  const keep: number[] = [];
  items.forEach((item, i) => {
    if (item.height === height && !seen.has(item.id)) keep.push(i);
  });
  const complete = number === 1 || items.length === 0 || items[0]!.height < height;
  if (!complete) return { keep, cursor: withSweep(cursor, { ...sweep, page: { ...page, number: number - 1, total: totalResults } }), more: true };
  // Every item at `height` is stored: go on below it by height.
  const next = height - 1;
  const floor = cursor.done;
  if ((floor !== null && next <= floor) || (spec.fromHeight !== undefined && next < spec.fromHeight)) return { ...finish(cursor, sweep.top), keep };
  return { keep, cursor: withSweep(cursor, { top: sweep.top, before: next, seen: [], page: null }), more: true };
}

function withSweep(cursor: HeightCursor, sweep: HeightSweep): HeightCursor {
  return { v: 1, done: cursor.done, sweep };
}

/** The sweep is over: everything up to its top is stored. */
function finish(cursor: HeightCursor, top: number | null): SweepStep {
  const done = top === null ? cursor.done : Math.max(cursor.done ?? top, top);
  return { keep: [], cursor: { v: 1, done, sweep: null }, more: false };
}

function beforeStart(item: SweepItem, spec: HeightSweepSpec): boolean {
  return (spec.fromHeight !== undefined && item.height < spec.fromHeight) || (spec.fromMs !== undefined && item.timeMs < spec.fromMs);
}
