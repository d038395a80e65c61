import { describe, expect, it } from 'vitest';
import { barRows, liquidationRows, oracleRows, PAGE_ROWS, type PagedReader } from '../../../src/analytics/oracle/store-pages.ts';
import { forEachDatabase } from '../../helpers/db.ts';

/**
 * The oracle step's keyset-paged readers walk every row exactly once, in (time, id) order, across page
 * boundaries, including pages that fall inside a run of rows sharing one time whose ids cross a power of
 * ten (where the order of ids as text and as numbers differ).
 */
const T0 = new Date('2025-10-10T21:15:00Z');
const ROWS = 2 * PAGE_ROWS + 7;

async function readAll<T>(reader: PagedReader<T>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    await reader.fill();
    const row = reader.head;
    if (row === null) return out;
    out.push(row);
    reader.shift();
  }
}

forEachDatabase((dbName, open) => {
  describe(`oracle step page readers on ${dbName}`, () => {
    it('every oracle price and liquidation once, in (time, id) order, when pages split a run of equal times', async () => {
      const handle = await open();
      try {
        const { db } = handle;
        // all rows but the first and the last at one time: ids 1..ROWS cross 10, 100, 1000 and 10000
        const timeOf = (i: number) => (i === 0 ? new Date(T0.getTime() - 1000) : i === ROWS - 1 ? new Date(T0.getTime() + 1000) : T0);
        for (let i = 0; i < ROWS; i += 2000) {
          const n = Math.min(2000, ROWS - i);
          await db
            .insertInto('oracle_prices')
            .values(Array.from({ length: n }, (_, k) => ({ venue: 'chainlink', chain_id: 42161, market: '0xfeed', asset: 'ETH', quote: 'USD', price: '4000', time: timeOf(i + k), uid: `p${i + k}` })))
            .execute();
          await db
            .insertInto('liquidations')
            .values(Array.from({ length: n }, (_, k) => ({ venue: 'gmx-v2', chain_id: 42161, market: '0xmarket', asset: 'ETH', quote: 'USD', time: timeOf(i + k), uid: `l${i + k}` })))
            .execute();
        }
        const prices = await readAll(oracleRows(db, { asset: 'ETH', quote: 'USD' }, new Date(T0.getTime() - 60_000)));
        const liquidations = await readAll(liquidationRows(db, { asset: 'ETH', quote: 'USD' }, new Date(T0.getTime() - 60_000), new Date(T0.getTime() + 60_000), []));
        for (const rows of [prices, liquidations]) {
          expect(rows).toHaveLength(ROWS);
          const keys = rows.map((r) => [r.time.getTime(), BigInt(r.id)] as const);
          expect(new Set(keys.map(([, id]) => id)).size).toBe(ROWS);
          const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
          expect(keys).toEqual(sorted);
        }
      } finally {
        await handle.close();
      }
    }, 120_000);

    it('bars of several venues at one second, across a page boundary, once each', async () => {
      const handle = await open();
      try {
        const { db } = handle;
        const venues = ['dydx-v4', 'hyperliquid', 'binance'];
        const seconds = Math.ceil(PAGE_ROWS / venues.length) + 5;
        const rows = [];
        for (let s = 0; s < seconds; s++) {
          for (const venue of venues) rows.push({ venue, market: 'ETH', asset: 'ETH', quote: 'USD', interval: '1s' as const, time: new Date(T0.getTime() + s * 1000), close: '4000', trades: 1, volume: '1' });
        }
        for (let i = 0; i < rows.length; i += 2000) await db.insertInto('trade_bars').values(rows.slice(i, i + 2000)).execute();
        const read = await readAll(barRows(db, { asset: 'ETH', quote: 'USD' }, '1s', T0));
        expect(read).toHaveLength(rows.length);
        expect(new Set(read.map((r) => `${r.venue}@${r.time.getTime()}`)).size).toBe(rows.length);
      } finally {
        await handle.close();
      }
    }, 120_000);
  });
});
