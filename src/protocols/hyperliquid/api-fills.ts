import { logger } from '../../logger.ts';
import type { HttpPage, HttpRequest, HttpStream } from '../../pipeline/protocol.ts';
import type { FillItem, GapItem } from './api-items.ts';
import { FILLS_KEPT, FILLS_PER_ANSWER } from './api-limits.ts';
import { ApiPageError, describeValue } from './api-page-error.ts';
import { StreamWeight } from './api-weight.ts';
import { NodeFillError } from './errors.ts';
import { readNodeFillsLine, type NodeFill } from './node-fill.ts';

export interface FillStreamOptions {
  /** Lower-case 0x address. */
  user: string;
  /** First fill time wanted (unix ms); absent: whatever the API still serves. */
  startMs?: number;
  /** "Now" of a replayed recording (unix ms); absent: the pull's clock. */
  replayUntilMs?: number;
}

/**
 * Where a fills stream is: `from` is the next request's startTime (inclusive), and `seen` the fills at
 * exactly `from` already stored (`<tid><side>`), which the next answer repeats and which are skipped.
 * `read`, `first` and `caughtUp` describe the stream's first catch-up, to tell when the API's newest-
 * 10,000 limit may have hidden older fills.
 */
interface FillCursor {
  from: number;
  seen: string[];
  read: number;
  first: number | null;
  caughtUp: boolean;
}

/**
 * `userFillsByTime` for one user, paged forward by time: `{user, startTime, endTime: now}` answers at
 * most 2,000 fills with time in [startTime, endTime], oldest first (the docs: "use the last returned
 * timestamp as the next startTime"; the order is UNVERIFIED and checked: an answer out of time order is
 * refused, since paging on it would skip fills).
 *
 * Many fills can share one millisecond (a liquidation sweeping the book), so a page boundary can fall
 * inside a millisecond. The next page starts AT the last time, not after it, and the fills of that
 * millisecond already stored are skipped by key: nothing is lost and nothing written twice (the rows'
 * uid `tid:user` would absorb a repeat anyway). Past 2,000 fills of one user in one millisecond the API
 * cannot page at all: the stream says so (warning and `decode_errors` row) and moves on to the next
 * millisecond rather than ask the same page forever.
 *
 * Only a user's newest 10,000 fills are served, however old the start: fills older than those are not
 * in the answers at all. When the first catch-up of a stream reads 10,000 fills or more, the older ones
 * may have been cut off, and the stream says so once, naming the time from which its fills are whole;
 * the node fill files (a `files` source) hold the rest.
 */
export function fillStream(options: FillStreamOptions): HttpStream {
  const { user } = options;
  const name = `fills:${user}`;
  const weight = new StreamWeight('userFillsByTime', FILLS_PER_ANSWER);
  const initial = (): FillCursor => ({ from: options.startMs ?? 0, seen: [], read: 0, first: null, caughtUp: false });
  const parse = (cursor: string | null): FillCursor => (cursor === null ? initial() : (JSON.parse(cursor) as FillCursor));

  return {
    name,
    next(cursor: string | null, now: Date): HttpRequest | null {
      const nowMs = options.replayUntilMs ?? now.getTime();
      const { from } = parse(cursor);
      if (from > nowMs) return null;
      return {
        method: 'POST',
        path: 'info',
        body: { type: 'userFillsByTime', user, startTime: from, endTime: nowMs, aggregateByTime: false },
        weight: weight.charge(),
        label: `userFillsByTime ${user} from ${new Date(from).toISOString()}`,
      };
    },

    page(body: unknown, request: HttpRequest, cursor: string | null): HttpPage {
      const { startTime, endTime } = request.body as { startTime: number; endTime: number };
      const state = parse(cursor);
      const fills = readFills(body, user, startTime, endTime);
      weight.settle(fills.length);
      const seen = new Set(state.from === startTime ? state.seen : []);
      const items: (FillItem | GapItem)[] = [];
      for (const fill of fills) {
        if (fill.time === startTime && seen.has(fillKey(fill))) continue;
        items.push({ kind: 'fill', user, fill });
      }
      const fresh = items.length;
      const next: FillCursor = { ...state, read: state.read + fresh, first: state.first ?? (items[0] as FillItem | undefined)?.fill.time ?? null };
      const full = fills.length >= FILLS_PER_ANSWER;
      if (full && fresh === 0) {
        // a whole answer of fills at `startTime`, all stored already: the rest of that millisecond is out of reach
        const at = new Date(startTime).toISOString();
        const reason = `more than ${FILLS_PER_ANSWER.toLocaleString('en-US')} fills of ${user} at ${at}: the API pages by time and cannot page within one millisecond, so the fills of that millisecond past the first ${FILLS_PER_ANSWER.toLocaleString('en-US')} are not stored`;
        logger.warn({ stream: name, at: startTime }, `${name}: ${reason}`);
        items.push({ kind: 'gap', ref: `${name} at ${at}`, reason });
        return { items, cursor: JSON.stringify({ ...next, from: startTime + 1, seen: [] }), more: true };
      }
      const last = fills.at(-1)?.time ?? startTime;
      const lastKeys = fills.filter((f) => f.time === last).map(fillKey);
      next.from = last;
      next.seen = last === startTime ? [...new Set([...seen, ...lastKeys])] : lastKeys;
      if (!full && !next.caughtUp) {
        next.caughtUp = true;
        if (next.read >= FILLS_KEPT && next.first !== null) {
          const wanted = new Date(options.startMs ?? 0).toISOString();
          const whole = new Date(next.first).toISOString();
          const reason = `the first catch-up read ${next.read.toLocaleString('en-US')} fills of ${user}, and the API serves only a user's newest ${FILLS_KEPT.toLocaleString('en-US')}: fills from ${wanted} to ${whole} may be missing (node fill files have them)`;
          logger.warn({ stream: name }, `${name}: ${reason}`);
          items.push({ kind: 'gap', ref: `${name} [${wanted}, ${whole})`, reason });
        }
      }
      return { items, cursor: JSON.stringify(next), more: full };
    },
  };
}

/** A fill's identity within one user's fills: its trade and side (a user is one side of a trade). */
function fillKey(fill: NodeFill): string {
  return `${fill.tid}${fill.side}`;
}

/**
 * Validates a `userFillsByTime` answer with the node fill validator (the same fields, the same checks as
 * node fills, so the two make the same rows), then the paging promises: every fill within the range
 * asked, in ascending time.
 */
export function readFills(body: unknown, user: string, startTime: number, endTime: number): NodeFill[] {
  if (!Array.isArray(body)) throw new ApiPageError('(answer)', `expected a list of fills, got ${describeValue(body)}`);
  let fills: NodeFill[];
  try {
    // the answer's fills as one node_fills_by_block line of [user, fill] pairs: every fill becomes a row
    fills = readNodeFillsLine({ file: 'answer', line: 0, value: { events: body.map((fill: unknown) => [user, fill]) } }).fills;
  } catch (error) {
    if (!(error instanceof NodeFillError)) throw error;
    // events[3][1].px → [3].px: the path in the answer, not in the line built here
    throw new ApiPageError(error.field.replace(/^events(\[\d+\])\[1\]/, '$1'), error.reason);
  }
  let previous = startTime;
  for (let i = 0; i < fills.length; i++) {
    const time = fills[i]!.time;
    if (time < startTime || time > endTime) throw new ApiPageError(`[${i}].time`, `${time} is outside the range asked for [${startTime}, ${endTime}]`);
    if (time < previous) throw new ApiPageError(`[${i}].time`, `${time} is before the previous fill's ${previous}: fills must be in ascending time (paging by time depends on it)`);
    previous = time;
  }
  return fills;
}
