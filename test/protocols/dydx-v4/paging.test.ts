import { PGlite } from '@electric-sql/pglite';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { describe, expect, it } from 'vitest';
import { eventIdHeight, eventIdOf, fillId, uuidV5 } from '../../../src/protocols/dydx-v4/event-ids.ts';
import { sweepQuery, sweepStep, type HeightCursor, type HeightSweepSpec, type SweepItem } from '../../../src/protocols/dydx-v4/height-sweep.ts';
import { dydxOptions } from '../../../src/protocols/dydx-v4/options.ts';

/**
 * The pure parts of the dYdX v4 reading: the indexer's ids (checked against RFC 4122's published
 * vector and Postgres' uuid-ossp, an independent implementation, as the indexer's own SQL calls it),
 * the height sweep's decisions on hand-written answers, and the options.
 */
describe('dYdX indexer ids', () => {
  it('UUID v5 matches the RFC 4122 vector and uuid-ossp (the function the indexer calls in SQL) for fill ids', async () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const pg = new PGlite({ extensions: { uuid_ossp } });
    try {
      await pg.exec('create extension if not exists "uuid-ossp"');
      for (const eventId of [eventIdOf(61_000_123, 0, 0), eventIdOf(61_000_123, 7, 3), eventIdOf(1, -2, 0)]) {
        for (const liquidity of ['TAKER', 'MAKER'] as const) {
          // dydx_uuid_from_fill_event_parts.sql: dydx_uuid(concat(encode(event_id, 'hex'), '-', liquidity))
          const { rows } = await pg.query<{ id: string }>(`select uuid_generate_v5('0f9da948-a6fb-4c45-9edc-4685c3f3317d'::uuid, $1)::text as id`, [`${eventId}-${liquidity}`]);
          expect(fillId(eventId, liquidity)).toBe(rows[0]!.id);
        }
      }
    } finally {
      await pg.close();
    }
  });

  it('event ids are int4(height) || int4(transactionIndex + 2) || int4(eventIndex) in hex', () => {
    expect(eventIdOf(61_000_123, 0, 5)).toBe('03a2c9bb' + '00000002' + '00000005');
    expect(eventIdOf(1, -2, 0)).toBe('00000001' + '00000000' + '00000000');
    expect(eventIdHeight('03a2c9bb0000000200000005')).toBe(61_000_123);
  });
});

const item = (id: string, height: number, timeMs = height * 1000): SweepItem => ({ id, height, timeMs });
const spec: HeightSweepSpec = { list: 'trades', heightField: 'createdAtHeight', beforeParam: 'createdBeforeOrAtHeight', perHeight: 'many', limit: 3, fromHeight: 100 };
const fresh: HeightCursor = { v: 1, done: null, sweep: null };
const params = (cursor: HeightCursor, s = spec) => Object.fromEntries(sweepQuery(cursor, s).params);

describe('height sweep', () => {
  it('re-asks the boundary height and skips what it stored of it, whatever order the answer lists it in', () => {
    expect(params(fresh)).toEqual({ limit: '3' });
    const a = sweepStep([item('e', 105), item('d', 104), item('c', 104)], null, fresh, spec);
    expect(a.keep).toEqual([0, 1, 2]);
    expect(a.cursor).toEqual({ v: 1, done: null, sweep: { top: 105, before: 104, seen: ['d', 'c'], page: null } });
    expect(params(a.cursor)).toEqual({ limit: '3', createdBeforeOrAtHeight: '104' });
    // The indexer lists 104 again (the bound is inclusive), in another order, then 103.
    const b = sweepStep([item('c', 104), item('d', 104), item('b', 103)], null, a.cursor, spec);
    expect(b.keep).toEqual([2]);
    expect(b.cursor).toEqual({ v: 1, done: null, sweep: { top: 105, before: 103, seen: ['b'], page: null } });
    const c = sweepStep([item('b', 103), item('a', 102)], null, b.cursor, spec);
    expect(c.keep).toEqual([1]);
    expect(c).toMatchObject({ more: false, cursor: { v: 1, done: 105, sweep: null } });
  });

  it('turns to page numbers when a whole page is one height, keeping what it stored of that height', () => {
    const atBoundary: HeightCursor = { v: 1, done: null, sweep: { top: 105, before: 104, seen: ['d', 'c'], page: null } };
    // 104 holds at least a page (three or more; two of them stored): nothing of this page is stored now.
    const b = sweepStep([item('c', 104), item('b', 104), item('d', 104)], null, atBoundary, spec);
    expect(b.keep).toEqual([]);
    expect(b.cursor.sweep).toEqual({ top: 105, before: 104, seen: ['d', 'c'], page: { number: null, total: null, limit: 3 } });
  });

  it('walks a height holding more than a page by page number, from the last page back, then goes on below it', () => {
    // The newest page is entirely at 110: nothing is stored from it.
    const a = sweepStep([item('h3', 110), item('h1', 110), item('h2', 110)], null, fresh, spec);
    expect(a.keep).toEqual([]);
    expect(a.cursor.sweep).toEqual({ top: 110, before: 110, seen: [], page: { number: null, total: null, limit: 3 } });
    expect(params(a.cursor)).toEqual({ limit: '3', createdBeforeOrAtHeight: '110', page: '1' });
    // Probe: 8 items at or below 110, oldest first: the last page is 3.
    const b = sweepStep([item('x', 101), item('y', 102), item('z', 108)], 8, a.cursor, spec);
    expect(b.keep).toEqual([]);
    expect(params(b.cursor)).toEqual({ limit: '3', createdBeforeOrAtHeight: '110', page: '3' });
    // Page 3 (items 7, 8) and page 2 (4–6): 110's four items.
    const c = sweepStep([item('h3', 110), item('h4', 110)], 8, b.cursor, spec);
    expect(c.keep).toEqual([0, 1]);
    expect(params(c.cursor)).toEqual({ limit: '3', createdBeforeOrAtHeight: '110', page: '2' });
    const d = sweepStep([item('w', 109), item('h1', 110), item('h2', 110)], 8, c.cursor, spec);
    expect(d.keep).toEqual([1, 2]);
    // 109 is below 110: the height is complete; the sweep goes on by height below it.
    expect(d.cursor.sweep).toEqual({ top: 110, before: 109, seen: [], page: null });
  });

  it('refuses answers that break the endpoint’s promises, naming the field', () => {
    const at104: HeightCursor = { v: 1, done: null, sweep: { top: 105, before: 104, seen: [], page: null } };
    expect(() => sweepStep([item('a', 105)], null, at104, spec)).toThrow('trades[0].createdAtHeight: 105 is above the createdBeforeOrAtHeight 104 asked for');
    expect(() => sweepStep([item('a', 103), item('b', 104)], null, at104, spec)).toThrow('trades[1].createdAtHeight: 104 after 103: the answer is not newest first');
    expect(() => sweepStep([item('a', 4), item('b', 3), item('c', 2), item('d', 1)], null, fresh, spec)).toThrow('trades: 4 items, more than the 3 asked for');
    const paging: HeightCursor = { v: 1, done: null, sweep: { top: 110, before: 110, seen: [], page: { number: 2, total: 8, limit: 3 } } };
    expect(() => sweepStep([item('a', 110)], 9, paging, spec)).toThrow('totalResults: 9, but it was 8 on an earlier page');
    expect(() => sweepStep([item('a', 110)], undefined, paging, spec)).toThrow('totalResults: expected the count of results');
    const funding = { ...spec, list: 'historicalFunding', heightField: 'effectiveAtHeight', perHeight: 'one' as const };
    expect(() => sweepStep([item('a', 5), item('b', 5)], null, fresh, funding)).toThrow('historicalFunding[1].effectiveAtHeight: a second item at height 5');
  });

  it('stops at the configured start on the first sweep and at the last sweep’s top on later ones', () => {
    const first = sweepStep([item('c', 102), item('b', 101), item('a', 99)], null, fresh, spec);
    expect(first.keep).toEqual([0, 1]);
    expect(first.cursor).toEqual({ v: 1, done: 102, sweep: null });
    // A later run: newer items, down to 102.
    const later = sweepStep([item('e', 104), item('d', 103), item('c', 102)], null, first.cursor, spec);
    expect(later.keep).toEqual([0, 1]);
    expect(later.cursor).toEqual({ v: 1, done: 104, sweep: null });
    // Nothing new: the sweep ends at once, `done` unchanged.
    expect(sweepStep([item('e', 104)], null, later.cursor, spec).cursor).toEqual({ v: 1, done: 104, sweep: null });
    // Funding keeps the tick in force at the start (the newest one before it), on the first sweep only.
    const funding = { ...spec, fromHeight: undefined, fromMs: 101_500, keepOneBeforeStart: true, perHeight: 'one' as const };
    expect(sweepStep([item('t3', 103), item('t2', 101), item('t1', 100)], null, fresh, funding).keep).toEqual([0, 1]);
  });
});

describe('dydx-v4 options', () => {
  const parse = (o: unknown) => dydxOptions.safeParse(o);
  it('needs a start, something to read, and a time start for candles', () => {
    expect(parse({ markets: ['BTC-USD'], from: '2025-10-10T21:00:00Z' }).success).toBe(true);
    const issues = (o: unknown) => parse(o).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ markets: ['BTC-USD'], fromHeight: 5, read: ['trades', 'candles'] })).toEqual(['from: candles are paged by time: give "from" (an ISO time), or leave "candles" out of "read"']);
    expect(issues({ markets: ['BTC-USD'] })).toContain('from: say where to start: "from" (an ISO time) and/or "fromHeight" (a block height)');
    expect(issues({ subaccounts: [{ address: 'dydx1abcdefgh', subaccountNumber: 0 }], read: ['trades'], fromHeight: 1 })).toEqual([
      'markets: nothing to read: list "markets" (tickers) and/or "subaccounts" with "fills" in "read"',
    ]);
    expect(issues({ markets: ['BTC/USD'], fromHeight: 1, read: ['trades'] })).toEqual(['markets.0: expected a dYdX ticker such as "BTC-USD"']);
    expect(issues({ markets: ['BTC-USD'], fromHeight: 1, limit: 5000 })?.[0]).toMatch(/^limit: /);
  });
});
