import { logger } from '../../logger.ts';
import type { HttpPage, HttpRequest, HttpStream } from '../../pipeline/protocol.ts';
import type { CandleItem, GapItem } from './api-items.ts';
import { CANDLE_INTERVALS, CANDLES_KEPT, CANDLES_PER_ANSWER, oldestCandleKept, type CandleInterval } from './api-limits.ts';
import { ApiPageError, compareDecimals, countAt, decimalAt, describeValue, isRecord, timeMsAt } from './api-page-error.ts';
import { StreamWeight } from './api-weight.ts';

export interface CandleStreamOptions {
  coin: string;
  interval: CandleInterval;
  /** First open time wanted (unix ms); absent: the oldest the API keeps. */
  startMs?: number;
  /** "Now" of a replayed recording (unix ms); absent: the pull's clock. */
  replayUntilMs?: number;
}

/**
 * `candleSnapshot` for one coin and interval, paged forward by open time: `{coin, interval, startTime,
 * endTime: now}` answers the candles with `t` in [startTime, endTime], ascending, at most 500.
 *
 * The cursor is the open time to ask from next, inclusive: the last candle stored is asked for again,
 * because the newest candle of an answer may be the one in progress (flagged `in_progress`) and a
 * complete bar replaces the stored one. Candle open times are distinct, so a full page always moves
 * the cursor: paging cannot loop.
 *
 * Only the newest 5,000 candles exist. A start older than that is moved up to the oldest one kept, and
 * when it was asked for (a configured start, or a cursor left behind for longer than 5,000 intervals)
 * the candles that cannot be fetched are named in a warning and a `decode_errors` row.
 */
export function candleStream(options: CandleStreamOptions): HttpStream {
  const { coin, interval } = options;
  const intervalMs = CANDLE_INTERVALS[interval];
  const name = `candles:${coin}:${interval}`;
  const weight = new StreamWeight('candleSnapshot', CANDLES_PER_ANSWER);
  const wantedFrom = (cursor: string | null): number | null => (cursor !== null ? Number(cursor) : (options.startMs ?? null));

  return {
    name,
    next(cursor: string | null, now: Date): HttpRequest | null {
      const nowMs = options.replayUntilMs ?? now.getTime();
      const wanted = wantedFrom(cursor);
      const startTime = Math.max(wanted ?? 0, oldestCandleKept(nowMs, intervalMs));
      if (startTime > nowMs) return null;
      return {
        method: 'POST',
        path: 'info',
        body: { type: 'candleSnapshot', req: { coin, interval, startTime, endTime: nowMs } },
        weight: weight.charge(),
        label: `candleSnapshot ${coin} ${interval} from ${new Date(startTime).toISOString()}`,
      };
    },

    page(body: unknown, request: HttpRequest, cursor: string | null): HttpPage {
      const { startTime, endTime } = (request.body as { req: { startTime: number; endTime: number } }).req;
      const candles = readCandles(body, coin, interval, intervalMs, startTime, endTime);
      weight.settle(candles.length);
      const items: (CandleItem | GapItem)[] = [];
      const wanted = wantedFrom(cursor);
      if (wanted !== null && wanted < startTime) {
        const ref = `${name} [${new Date(wanted).toISOString()}, ${new Date(startTime).toISOString()})`;
        const reason = `the API keeps only the newest ${CANDLES_KEPT.toLocaleString('en-US')} ${interval} candles: those before ${new Date(startTime).toISOString()} cannot be fetched (asked from ${new Date(wanted).toISOString()})`;
        logger.warn({ stream: name, from: wanted, to: startTime }, `${name}: ${reason}`);
        items.push({ kind: 'gap', ref, reason });
      }
      items.push(...candles);
      return {
        items,
        cursor: String(candles.at(-1)?.openTime ?? startTime),
        more: candles.length >= CANDLES_PER_ANSWER,
      };
    },
  };
}

/** Validates a `candleSnapshot` answer for the request; every candle is checked before any is used. */
export function readCandles(body: unknown, coin: string, interval: string, intervalMs: number, startTime: number, endTime: number): CandleItem[] {
  if (!Array.isArray(body)) throw new ApiPageError('(answer)', `expected a list of candles, got ${describeValue(body)}`);
  const out: CandleItem[] = [];
  let previous = -Infinity;
  for (let i = 0; i < body.length; i++) {
    const path = `[${i}]`;
    const c: unknown = body[i];
    if (!isRecord(c)) throw new ApiPageError(path, `expected a candle object, got ${describeValue(c)}`);
    const t = timeMsAt(c, 't', path);
    const T = timeMsAt(c, 'T', path);
    if (c.s !== coin) throw new ApiPageError(`${path}.s`, `expected the coin asked for, "${coin}", got ${describeValue(c.s)}`);
    if (c.i !== interval) throw new ApiPageError(`${path}.i`, `expected the interval asked for, "${interval}", got ${describeValue(c.i)}`);
    if (t % intervalMs !== 0) throw new ApiPageError(`${path}.t`, `${t} is not the start of a ${interval} interval`);
    if (T !== t + intervalMs - 1) throw new ApiPageError(`${path}.T`, `expected t + ${intervalMs - 1} = ${t + intervalMs - 1}, got ${T}`);
    if (t < startTime || t > endTime) throw new ApiPageError(`${path}.t`, `${t} is outside the range asked for [${startTime}, ${endTime}]`);
    if (t <= previous) throw new ApiPageError(`${path}.t`, `${t} does not follow the previous candle's ${previous}: candles must be in ascending time, once each`);
    previous = t;
    const open = decimalAt(c, 'o', path, 'positive');
    const close = decimalAt(c, 'c', path, 'positive');
    const high = decimalAt(c, 'h', path, 'positive');
    const low = decimalAt(c, 'l', path, 'positive');
    for (const [key, price] of [['o', open], ['c', close], ['l', low]] as const) {
      if (compareDecimals(price, high) > 0) throw new ApiPageError(`${path}.h`, `high ${high} is below ${key} ${price}`);
    }
    for (const [key, price] of [['o', open], ['c', close]] as const) {
      if (compareDecimals(price, low) < 0) throw new ApiPageError(`${path}.l`, `low ${low} is above ${key} ${price}`);
    }
    out.push({
      kind: 'candle',
      coin,
      interval,
      openTime: t,
      closeTime: T,
      open,
      high,
      low,
      close,
      volume: decimalAt(c, 'v', path, 'non-negative'),
      trades: countAt(c, 'n', path),
      inProgress: T >= endTime,
    });
  }
  return out;
}
