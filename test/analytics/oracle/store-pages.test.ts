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

    it("an asset's rows only, from its range, when other assets, quotes and no asset are interleaved in time across pages", async () => {
      const handle = await open();
      try {
        const { db } = handle;
        // two rows every 25 ms from T0 - 90 s to T0 + 137.5 s; neighbours in key order (ETC < ETH < ETHFI), another quote, no asset
        const kinds: { asset: string | null; quote: string | null }[] = [
          { asset: 'ETH', quote: 'USD' }, { asset: 'ETHFI', quote: 'USD' }, { asset: 'ETH', quote: 'USD' }, { asset: 'ETC', quote: 'USD' },
          { asset: 'ETH', quote: 'EUR' }, { asset: null, quote: null }, { asset: 'ETH', quote: 'USD' },
        ];
        const count = 18_200;
        const start = T0.getTime() - 90_000;
        const rows = Array.from({ length: count }, (_, i) => ({ ...kinds[i % kinds.length]!, time: new Date(start + 25 * Math.floor(i / 2)), n: i }));
        for (let i = 0; i < rows.length; i += 2000) {
          const slice = rows.slice(i, i + 2000);
          await db.insertInto('oracle_prices').values(slice.map((r) => ({ venue: 'chainlink', chain_id: 42161, market: '0xfeed', asset: r.asset, quote: r.quote, price: '4000', time: r.time, uid: `p${r.n}` }))).execute();
          await db.insertInto('liquidations').values(slice.map((r) => ({ venue: 'gmx-v2', chain_id: 42161, market: '0xmarket', asset: r.asset, quote: r.quote, time: r.time, uid: `l${r.n}` }))).execute();
        }
        const from = new Date(T0.getTime() - 30_000);
        const to = new Date(T0.getTime() + 120_000);
        const eth = rows.filter((r) => r.asset === 'ETH' && r.quote === 'USD');
        const expectedPrices = eth.filter((r) => r.time >= from).map((r) => `p${r.n}`);
        const expectedLiquidations = eth.filter((r) => r.time >= from && r.time < to).map((r) => `l${r.n}`);
        // both readers cross a page boundary, and rows lie before `from` and after `to`
        expect(expectedLiquidations.length).toBeGreaterThan(PAGE_ROWS);
        expect(expectedPrices.length).toBeGreaterThan(expectedLiquidations.length);

        const uidOf = async (table: 'oracle_prices' | 'liquidations', ids: string[]) => {
          const found = await db.selectFrom(table).select(['id', 'uid']).where('id', 'in', ids).execute();
          const byId = new Map(found.map((r) => [String(r.id), r.uid]));
          return ids.map((id) => byId.get(id));
        };
        const prices = await readAll(oracleRows(db, { asset: 'ETH', quote: 'USD' }, from));
        const liquidations = await readAll(liquidationRows(db, { asset: 'ETH', quote: 'USD' }, from, to, []));
        // in time order, and row n was inserted before row n + 1 at the same time: the expected order is n's
        expect(await uidOf('oracle_prices', prices.map((r) => r.id))).toEqual(expectedPrices);
        expect(await uidOf('liquidations', liquidations.map((r) => r.id))).toEqual(expectedLiquidations);
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
