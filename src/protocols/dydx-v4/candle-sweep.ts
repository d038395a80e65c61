import { z } from 'zod';
import { DydxPageError } from './responses.ts';

/**
 * Paging candles backwards by time. The candles endpoint takes `fromISO` (inclusive) and `toISO`
 * (exclusive) on `startedAt` and answers newest first (comlink's CandleTable.findAll at
 * dydxprotocol/v4-chain@84d4664b); one candle per market, resolution and start time, so pages never
 * overlap: the next page's `toISO` is the oldest `startedAt` of the last one.
 *
 * The cursor: `done` is the start of the newest candle the last finished sweep stored; the next sweep
 * reads from it again (inclusive), because the newest candle is the one the indexer is still filling
 * when it is read: it is written again, complete, and `trade_bars` replaces a bar written again.
 * `sweep` is the sweep under way: its `top` (newest start seen, the next `done`) and `before` (the
 * next page's `toISO`). The first sweep starts at the bar holding the configured `from`.
 */
export interface CandleCursor {
  v: 1;
  done: string | null;
  sweep: { top: string; before: string } | null;
}

const cursorSchema = z.strictObject({
  v: z.literal(1),
  done: z.string().nullable(),
  sweep: z.strictObject({ top: z.string(), before: z.string() }).nullable(),
});

export function parseCandleCursor(text: string | null, stream: string): CandleCursor {
  if (text === null) return { v: 1, done: null, sweep: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`stream ${stream}: the stored cursor ${JSON.stringify(text.slice(0, 80))} is not JSON`);
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) throw new Error(`stream ${stream}: the stored cursor is not a dYdX candle cursor (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export interface CandleSweepSpec {
  limit: number;
  /** Start of the first bar to read: the configured `from`, floored to the resolution. */
  fromIso: string;
}

export function candleQuery(cursor: CandleCursor, spec: CandleSweepSpec): { params: [string, string][]; label: string } {
  const from = cursor.done ?? spec.fromIso;
  const params: [string, string][] = [
    ['limit', String(spec.limit)],
    ['fromISO', from],
  ];
  if (cursor.sweep) params.push(['toISO', cursor.sweep.before]);
  return { params, label: cursor.sweep ? `from ${from} before ${cursor.sweep.before}` : `from ${from}, newest` };
}

/** Reads one answer to `candleQuery(cursor)`: checks the range and order, returns the cursor after it (every candle is stored). */
export function candleStep(startedAt: readonly string[], cursor: CandleCursor, spec: CandleSweepSpec): { cursor: CandleCursor; more: boolean } {
  const fromMs = Date.parse(cursor.done ?? spec.fromIso);
  const beforeMs = cursor.sweep ? Date.parse(cursor.sweep.before) : Number.POSITIVE_INFINITY;
  if (startedAt.length > spec.limit) throw new DydxPageError('candles', `${startedAt.length} candles, more than the ${spec.limit} asked for`);
  let previous = Number.POSITIVE_INFINITY;
  startedAt.forEach((iso, i) => {
    const ms = Date.parse(iso);
    if (ms < fromMs || ms >= beforeMs) throw new DydxPageError(`candles[${i}].startedAt`, `${iso} is outside the range asked for`);
    if (ms >= previous) throw new DydxPageError(`candles[${i}].startedAt`, `${iso} after ${startedAt[i - 1]}: the answer is not newest first`);
    previous = ms;
  });
  const sweep = cursor.sweep;
  if (startedAt.length === 0) return { cursor: { v: 1, done: sweep?.top ?? cursor.done, sweep: null }, more: false };
  const top = sweep?.top ?? new Date(Date.parse(startedAt[0]!)).toISOString();
  const oldest = new Date(Date.parse(startedAt[startedAt.length - 1]!)).toISOString();
  if (startedAt.length < spec.limit) return { cursor: { v: 1, done: top, sweep: null }, more: false };
  return { cursor: { v: 1, done: cursor.done, sweep: { top, before: oldest } }, more: true };
}

/** The start of the bar of `resolutionMs` holding `iso` (bars are aligned to the epoch in UTC, 1DAY at midnight). */
export function barStart(iso: string, resolutionMs: number): string {
  const ms = Date.parse(iso);
  return new Date(Math.floor(ms / resolutionMs) * resolutionMs).toISOString();
}
