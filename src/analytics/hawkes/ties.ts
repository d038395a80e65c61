/**
 * Tie rules: how millisecond-stamped fills become the strictly increasing event times a Hawkes fit needs.
 *
 * Venues stamp fills to the millisecond, and a matching engine liquidates whole batches at once
 * (Hyperliquid, 10 Oct 2025: 11,279 liquidation fills at 21:16:04.831). Tied times make the Hawkes
 * likelihood unbounded (β → ∞, n → its bound), and spreading a batch over its millisecond makes it look
 * like the most explosive cascade possible. So the rule is stated, and every report shows how much n moves
 * under the alternatives (`tie-sensitivity.ts`):
 *
 * - 'millisecond' (default): one event per millisecond. Fills sharing a millisecond were liquidated by the
 *   same price update in the same engine pass: a common cause, not one fill triggering the next. The fit
 *   then measures how batches trigger later batches, which is the part a millisecond clock can resolve;
 *   the batch size is lost (it is a mark, not a time).
 * - 'account-millisecond-spread': one event per (liquidated account, millisecond), so that several fills
 *   of one liquidation count once, and the accounts left in a millisecond placed uniformly at random
 *   inside it (seeded), since their order is unknown.
 * - 'fill-spread': every fill kept, spread uniformly inside its millisecond: the upper end of the bias.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface StampedEvent {
  /** Unix time in milliseconds, as the venue stamps it (an integer). */
  readonly timeMs: number;
  /** The liquidated account (or any identity: one event per identity and millisecond). */
  readonly account: string;
}

export type TieRule = 'millisecond' | 'account-millisecond-spread' | 'fill-spread';

export const TIE_RULES: readonly TieRule[] = ['millisecond', 'account-millisecond-spread', 'fill-spread'];

export interface WindowSpec {
  /** Window [startMs, endMs), Unix milliseconds. */
  readonly startMs: number;
  readonly endMs: number;
  /** Events this long before startMs are passed as history (their excitation carries into the window). Default 0. */
  readonly lookbackMs?: number;
}

export interface WindowEvents {
  /** Seconds from the window start, strictly increasing, in [0, T). */
  readonly times: number[];
  /** Seconds (≤ 0) of the events in the lookback, for `history`. */
  readonly history: number[];
  readonly T: number;
}

/** One event per (key, millisecond), in time order; the first event of each pair is kept. */
export function collapseTies<E extends { readonly timeMs: number }>(events: readonly E[], keyOf: (event: E) => string): E[] {
  const sorted = sortByTime(events);
  const out: E[] = [];
  let currentMs = Number.NaN;
  let seen = new Set<string>();
  for (const event of sorted) {
    if (event.timeMs !== currentMs) {
      currentMs = event.timeMs;
      seen = new Set();
    }
    const key = keyOf(event);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(event);
  }
  return out;
}

/**
 * Moves every event to a uniform random point of its millisecond, [m, m + 1), and sorts: the
 * millisecond stamp only says the fill happened somewhere inside it. Seeded, so a report is reproducible.
 * Returns milliseconds after `originMs`: near a Unix time (1.7·10¹² ms) a double only resolves 2.4·10⁻⁴ ms,
 * which would tie a 10,000-fill batch again; relative to a window start it resolves 10⁻¹⁰ ms.
 */
export function spreadWithinMillisecond(timesMs: readonly number[], seed: number, originMs = 0): number[] {
  const rng = xoroshiro128plus(seed >>> 0);
  const out = timesMs.map((m) => m - originMs + uniformFloat64(rng));
  return out.sort((a, b) => a - b);
}

/** Event times under `rule`, in milliseconds after `originMs`, ascending and without ties. */
export function applyTieRule(events: readonly StampedEvent[], rule: TieRule, seed = 1, originMs = 0): number[] {
  checkStamps(events);
  switch (rule) {
    case 'millisecond':
      return collapseTies(events, () => '').map((e) => e.timeMs - originMs);
    case 'account-millisecond-spread':
      return spreadWithinMillisecond(collapseTies(events, (e) => e.account).map((e) => e.timeMs), seed, originMs);
    case 'fill-spread':
      return spreadWithinMillisecond(events.map((e) => e.timeMs), seed, originMs);
    default:
      throw new Error(`applyTieRule: unknown tie rule ${JSON.stringify(rule)} (expected one of ${TIE_RULES.join(', ')})`);
  }
}

/** Applies `rule` and cuts the result into the window's times and its lookback history, in seconds. */
export function windowEvents(events: readonly StampedEvent[], window: WindowSpec, rule: TieRule, seed = 1): WindowEvents {
  const { startMs, endMs } = window;
  const lookbackMs = window.lookbackMs ?? 0;
  if (!(Number.isFinite(startMs) && Number.isFinite(endMs) && endMs >= startMs)) throw new Error(`windowEvents: window [${startMs}, ${endMs}) must be finite with endMs >= startMs`);
  if (!(Number.isFinite(lookbackMs) && lookbackMs >= 0)) throw new Error(`windowEvents: lookbackMs must be a finite number >= 0, got ${lookbackMs}`);
  const inRange = events.filter((e) => e.timeMs >= startMs - lookbackMs && e.timeMs < endMs);
  const times: number[] = [];
  const history: number[] = [];
  for (const ms of applyTieRule(inRange, rule, seed, startMs)) (ms < 0 ? history : times).push(ms / 1000);
  return { times, history, T: (endMs - startMs) / 1000 };
}

function checkStamps(events: readonly StampedEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const { timeMs, account } = events[i]!;
    if (!Number.isSafeInteger(timeMs)) throw new Error(`tie rule: events[${i}].timeMs must be an integer number of milliseconds, got ${timeMs}`);
    if (typeof account !== 'string') throw new Error(`tie rule: events[${i}].account must be a string, got ${typeof account}`);
  }
}

function sortByTime<E extends { readonly timeMs: number }>(events: readonly E[]): E[] {
  // Stable sort: within a millisecond the input order (a venue's fill order) is kept.
  return [...events].sort((a, b) => a.timeMs - b.timeMs);
}
