import type { HttpPage, HttpRequest, HttpStream } from '../../pipeline/protocol.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { barStart, candleQuery, candleStep, parseCandleCursor } from './candle-sweep.ts';
import { eventIdHeight } from './event-ids.ts';
import { parseHeightCursor, sweepQuery, sweepStep, type HeightSweepSpec, type SweepItem } from './height-sweep.ts';
import { CANDLE_INTERVALS, dydxOptions, type DydxOptions } from './options.ts';
import {
  candlesResponse,
  DydxPageError,
  fillsResponse,
  fundingResponse,
  LIQUIDATION_FILL_TYPES,
  readAnswer,
  tradesResponse,
  type DydxCandle,
  type DydxFill,
  type DydxFunding,
  type DydxTrade,
} from './responses.ts';

/**
 * The streams of a dYdX v4 indexer source, one cursor each (formats.md §7):
 * - `trades:<ticker>`: the market's trades (the taker fill of every match), venue-wide; the decoder keeps
 *   the LIQUIDATED and DELEVERAGED ones. Paged backwards by `createdBeforeOrAtHeight` (height-sweep.ts).
 * - `fills:<address>/<n>`: one subaccount's fills of types LIQUIDATED, LIQUIDATION, DELEVERAGED and
 *   OFFSETTING only (`includeTypes`: a market maker's millions of ordinary fills are never fetched);
 *   they name the accounts the trades do not. Paged like trades.
 * - `funding:<ticker>`: historical funding ticks (the oracle price at each), by `effectiveBeforeOrAtHeight`.
 * - `candles:<ticker>:<resolution>`: candles by `fromISO`/`toISO` (candle-sweep.ts).
 * Items handed to the decoder are the answers' objects as validated, in the answers' order.
 */
export function dydxStreams(source: SourceInfo): HttpStream[] {
  const options: DydxOptions = dydxOptions.parse(source.options);
  const reads = new Set(options.read);
  const fromMs = options.from === undefined ? undefined : Date.parse(options.from);
  const start = { ...(options.fromHeight !== undefined ? { fromHeight: options.fromHeight } : {}), ...(fromMs !== undefined ? { fromMs } : {}) };
  const streams: HttpStream[] = [];
  for (const ticker of options.markets) {
    if (reads.has('trades')) streams.push(tradesStream(ticker, options.limit, start));
  }
  if (reads.has('fills')) for (const s of options.subaccounts) streams.push(fillsStream(s.address, s.subaccountNumber, options.limit, start));
  for (const ticker of options.markets) {
    if (reads.has('funding')) streams.push(fundingStream(ticker, options.limit, start));
    if (reads.has('candles')) streams.push(candlesStream(ticker, options.candleResolution, options.limit, options.from!));
  }
  return streams;
}

type Start = { fromHeight?: number; fromMs?: number };

const query = (params: [string, string][]) => params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

function heightItem(id: string, height: string, time: string): SweepItem {
  return { id, height: Number(height), timeMs: Date.parse(time) };
}

/** A stream paged by height (height-sweep.ts) over one endpoint. */
function heightStream<T>(args: {
  name: string;
  /** The request's path before its query, and its fixed query parameters. */
  path: string;
  fixed: [string, string][];
  describe: string;
  spec: HeightSweepSpec;
  read(body: unknown): { items: T[]; totalResults?: number | null | undefined };
  item(value: T): SweepItem;
  /** Checks of one item beyond its shape (the answer to a request for this stream); throws DydxPageError. */
  check?(value: T, index: number): void;
}): HttpStream {
  return {
    name: args.name,
    next(cursor: string | null): HttpRequest {
      const sweep = sweepQuery(parseHeightCursor(cursor, args.name), args.spec);
      return { method: 'GET', path: `${args.path}?${query([...args.fixed, ...sweep.params])}`, label: `${args.describe} ${sweep.label}` };
    },
    page(body: unknown, _request: HttpRequest, cursor: string | null): HttpPage {
      const state = parseHeightCursor(cursor, args.name);
      const answer = args.read(body);
      answer.items.forEach((value, i) => args.check?.(value, i));
      const step = sweepStep(answer.items.map(args.item), answer.totalResults, state, args.spec);
      return { items: step.keep.map((i) => answer.items[i]), cursor: JSON.stringify(step.cursor), more: step.more };
    },
  };
}

function tradesStream(ticker: string, limit: number, start: Start): HttpStream {
  return heightStream<DydxTrade>({
    name: `trades:${ticker}`,
    path: `v4/trades/perpetualMarket/${encodeURIComponent(ticker)}`,
    fixed: [],
    describe: `trades ${ticker}`,
    spec: { list: 'trades', heightField: 'createdAtHeight', beforeParam: 'createdBeforeOrAtHeight', perHeight: 'many', limit, ...start },
    read: (body) => {
      const answer = readAnswer(tradesResponse, body);
      return { items: answer.trades, totalResults: answer.totalResults };
    },
    item: (t) => heightItem(t.id, t.createdAtHeight, t.createdAt),
    check: (t, i) => {
      // The event id starts with its block's height: a trade whose id and height disagree is not the
      // indexer's, and its fill ids (derived from the id) would be wrong.
      if (eventIdHeight(t.id) !== Number(t.createdAtHeight)) {
        throw new DydxPageError(`trades[${i}].id`, `event id ${t.id} is of height ${eventIdHeight(t.id)}, but createdAtHeight is ${t.createdAtHeight}`);
      }
    },
  });
}

function fillsStream(address: string, subaccountNumber: number, limit: number, start: Start): HttpStream {
  return heightStream<DydxFill>({
    name: `fills:${address}/${subaccountNumber}`,
    path: 'v4/fills',
    fixed: [
      ['address', address],
      ['subaccountNumber', String(subaccountNumber)],
      ['includeTypes', LIQUIDATION_FILL_TYPES.join(',')],
    ],
    describe: `fills ${address}/${subaccountNumber}`,
    spec: { list: 'fills', heightField: 'createdAtHeight', beforeParam: 'createdBeforeOrAtHeight', perHeight: 'many', limit, ...start },
    read: (body) => {
      const answer = readAnswer(fillsResponse, body);
      return { items: answer.fills, totalResults: answer.totalResults };
    },
    item: (f) => heightItem(f.id, f.createdAtHeight, f.createdAt),
    check: (f, i) => {
      if (f.subaccountNumber !== subaccountNumber) throw new DydxPageError(`fills[${i}].subaccountNumber`, `${f.subaccountNumber}, but subaccount ${subaccountNumber} was asked for`);
      // The taker of a liquidation or deleveraging is the liquidated subaccount (formats.md §7).
      const taker = f.type === 'LIQUIDATED' || f.type === 'DELEVERAGED';
      if ((f.liquidity === 'TAKER') !== taker) throw new DydxPageError(`fills[${i}].liquidity`, `${f.liquidity} on a ${f.type} fill (its side is the ${taker ? 'TAKER' : 'MAKER'})`);
    },
  });
}

function fundingStream(ticker: string, limit: number, start: Start): HttpStream {
  return heightStream<DydxFunding>({
    name: `funding:${ticker}`,
    path: `v4/historicalFunding/${encodeURIComponent(ticker)}`,
    fixed: [],
    describe: `funding ${ticker}`,
    spec: { list: 'historicalFunding', heightField: 'effectiveAtHeight', beforeParam: 'effectiveBeforeOrAtHeight', perHeight: 'one', limit, keepOneBeforeStart: true, ...start },
    read: (body) => ({ items: readAnswer(fundingResponse, body).historicalFunding }),
    // A market has one tick per height: the ticker and height are its id.
    item: (f) => heightItem(`${f.ticker}:${f.effectiveAtHeight}`, f.effectiveAtHeight, f.effectiveAt),
    check: (f, i) => {
      if (f.ticker !== ticker) throw new DydxPageError(`historicalFunding[${i}].ticker`, `${f.ticker}, but ${ticker} was asked for`);
    },
  });
}

function candlesStream(ticker: string, resolution: keyof typeof CANDLE_INTERVALS, limit: number, from: string): HttpStream {
  const name = `candles:${ticker}:${resolution}`;
  const spec = { limit, fromIso: barStart(from, CANDLE_INTERVALS[resolution].ms) };
  return {
    name,
    next(cursor: string | null): HttpRequest {
      const q = candleQuery(parseCandleCursor(cursor, name), spec);
      return {
        method: 'GET',
        path: `v4/candles/perpetualMarkets/${encodeURIComponent(ticker)}?${query([['resolution', resolution], ...q.params])}`,
        label: `candles ${ticker} ${resolution} ${q.label}`,
      };
    },
    page(body: unknown, _request: HttpRequest, cursor: string | null): HttpPage {
      const candles: DydxCandle[] = readAnswer(candlesResponse, body).candles;
      candles.forEach((c, i) => {
        if (c.ticker !== ticker) throw new DydxPageError(`candles[${i}].ticker`, `${c.ticker}, but ${ticker} was asked for`);
        if (c.resolution !== resolution) throw new DydxPageError(`candles[${i}].resolution`, `${c.resolution}, but ${resolution} was asked for`);
      });
      const step = candleStep(
        candles.map((c) => c.startedAt),
        parseCandleCursor(cursor, name),
        spec,
      );
      return { items: candles, cursor: JSON.stringify(step.cursor), more: step.more };
    },
  };
}
