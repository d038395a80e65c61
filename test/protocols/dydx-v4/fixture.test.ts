import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDydxIndexerServer, type DydxIndexerServer } from '../../../src/sim/servers/dydx-indexer-server.ts';
import { forEachDatabase, openPgliteTestDb } from '../../helpers/db.ts';
import { A, B, byJson, D, FIXTURE_ADL, FIXTURE_LIQUIDATIONS, fixtureRows, index, M, name, O, storedEvents } from './support.ts';

/**
 * A hand-built indexer (support.ts: four blocks of BTC-USD, one of them holding twelve matches, more
 * than two pages of 5) read through the local indexer server, the HTTP source, the runner and the
 * store. Expectations are written by hand in support.ts. The server lists the items of one height in
 * a different order on every request, as the indexer may.
 */
let server: DydxIndexerServer;
beforeAll(async () => {
  server = await startDydxIndexerServer({ rows: fixtureRows(), tieOrder: 'shuffled' });
});
afterAll(() => server.close());

const everything = { markets: ['BTC-USD'], subaccounts: [A, B, D, O, M], read: ['trades', 'fills'], fromHeight: 1000, limit: 5 };

forEachDatabase((dbName, open) => {
  describe(`dYdX fixture into ${dbName}`, () => {
    it('stores every liquidation and the deleveraging exactly once across pages, a height of 12 trades passed by page number', async () => {
      const { db, close } = await open();
      try {
        const before = server.stats.log.length;
        await index(db, server.url, everything);
        const got = await storedEvents(db);
        expect(got.liquidations).toEqual([...FIXTURE_LIQUIDATIONS].sort(byJson));
        expect(got.adl).toEqual(FIXTURE_ADL);
        // Height 1001 was walked by page number (the probe, then the last pages back).
        const trades = server.stats.log.slice(before).filter((l) => l.startsWith('/v4/trades/'));
        expect(trades.filter((l) => /createdBeforeOrAtHeight=1001&page=/.test(l)).length).toBeGreaterThanOrEqual(3);
        // Every fill found its other side; every cursor ended its sweep at the newest height.
        expect((await db.selectFrom('pending_joins').selectAll().execute()).filter((j) => j.kind.startsWith('dydx-v4:taker') || !j.payload)).toEqual(
          // Only the liquidation fills whose maker (M) fills pair with them are read; the LIMIT makers are not.
          [],
        );
        const cursor = await db.selectFrom('cursors').select(['stream', 'position']).where('source_id', '=', 'dydx').orderBy('stream').execute();
        expect(cursor.find((c) => c.stream === 'trades:BTC-USD')?.position).toBe('{"v":1,"done":1003,"sweep":null}');
        expect(cursor.find((c) => c.stream === `fills:${name(A)}`)?.position).toBe('{"v":1,"done":1002,"sweep":null}');
        // Fees and the event id as the venue gave them; times at the block's.
        const first = got.rows.liquidations.find((r) => r.price === '59990')!;
        expect(first).toMatchObject({ fee_usd: '1.5', chain: 'dydx-mainnet-1', chain_id: null, asset: 'BTC', quote: 'USD', symbol: 'BTC-USD', time: new Date('2025-10-10T21:00:01Z') });
      } finally {
        await close();
      }
    });
  });
});

describe('dYdX fixture: one event, one row', () => {
  it('a liquidation read from the trades and from the fills is one row, whichever is read first; the fills name its account and counterparty', async () => {
    const tradesFirst = await openPgliteTestDb();
    const fillsFirst = await openPgliteTestDb();
    try {
      const trades = { markets: ['BTC-USD'], read: ['trades'], fromHeight: 1000, limit: 5 };
      const fills = { markets: [], subaccounts: [A, B, D, O, M], read: ['fills'], fromHeight: 1000, limit: 5 };
      await index(tradesFirst.db, server.url, trades, 'dydx-trades');
      const venueWide = await storedEvents(tradesFirst.db);
      // The trades name no subaccount: the same events, accounts unknown.
      expect(venueWide.liquidations).toEqual(FIXTURE_LIQUIDATIONS.map((r) => [null, ...r.slice(1, 6), null]).sort(byJson));
      expect(venueWide.adl).toEqual([[null, 'short', '0.75', '59000', '44250', '1001', null]]);
      await index(tradesFirst.db, server.url, fills, 'dydx-fills');
      const after = await storedEvents(tradesFirst.db);
      expect(after.liquidations).toEqual([...FIXTURE_LIQUIDATIONS].sort(byJson));
      expect(after.adl).toEqual(FIXTURE_ADL);
      // The trade's row kept its source and event id; the fill added its type and fee.
      const deleveraged = after.rows.liquidations.find((r) => r.account === name(D))!;
      expect(deleveraged.source_id).toBe('dydx-trades');
      expect(deleveraged.extra).toMatchObject({ type: 'DELEVERAGED', liquidity: 'TAKER', counterparty: name(O) });
      expect((deleveraged.extra as { eventId: string }).eventId).toMatch(/^000003e9[0-9a-f]{16}$/); // height 1001

      await index(fillsFirst.db, server.url, fills, 'dydx-fills');
      await index(fillsFirst.db, server.url, trades, 'dydx-trades');
      const reversed = await storedEvents(fillsFirst.db);
      expect(reversed.liquidations).toEqual(after.liquidations);
      expect(reversed.adl).toEqual(after.adl);
    } finally {
      await tradesFirst.close();
      await fillsFirst.close();
    }
  });

  it('a later run asks only for what is newer than the last, and adds it', async () => {
    const { db, close } = await openPgliteTestDb();
    const newer = await startDydxIndexerServer({ rows: fixtureRows('newer'), tieOrder: 'shuffled' });
    try {
      await index(db, server.url, everything);
      const second = await index(db, newer.url, everything);
      // trades: one page down to 1003 (done by the first run); fills: one page each.
      expect(newer.stats.byEndpoint).toEqual({ trades: 1, fills: 5 });
      expect(newer.stats.log.some((l) => /createdBeforeOrAtHeight/.test(l))).toBe(false);
      // Items at or below 1003 were not stored again: the two new trades, and the new liquidation's
      // two fills (B's, and the maker M's).
      expect(second.sources[0]!.records).toBe(4);
      const got = await storedEvents(db);
      expect(got.liquidations).toEqual([...FIXTURE_LIQUIDATIONS, [name(B), 'long', '1', '59800', '59800', '1004', name(M)]].sort(byJson));
      const { rows } = await sql<{ n: string }>`select count(*)::text as n from liquidations`.execute(db);
      expect(rows[0]!.n).toBe('6');
    } finally {
      await newer.close();
      await close();
    }
  });
});
