import { describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { forEachDatabase } from '../helpers/db.ts';
import { migrateDown, migrateToLatest, migrationStatus } from '../../src/db/migrate.ts';

const CANONICAL_TABLES = [
  'adl_events', 'blocks', 'cursors', 'decode_errors', 'liquidations', 'markets', 'oracle_prices',
  'pending_joins', 'raw_logs', 'sources', 'tokens', 'trades', 'venue_events',
];

async function tablesOf(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

forEachDatabase((dbName, open) => {
  describe(`migrations on ${dbName}`, () => {
    it('go up, down to nothing, and up again to the same schema', async () => {
      const handle = await open({ migrate: false });
      try {
        expect(await tablesOf(handle.db)).toEqual([]);
        await migrateToLatest(handle.db);
        expect(await tablesOf(handle.db)).toEqual(CANONICAL_TABLES);
        expect((await migrationStatus(handle.db)).every((m) => m.executedAt !== null)).toBe(true);

        const applied = (await migrationStatus(handle.db)).length;
        for (let i = 0; i < applied; i++) await migrateDown(handle.db);
        expect(await tablesOf(handle.db)).toEqual([]);
        expect((await migrationStatus(handle.db)).every((m) => m.executedAt === null)).toBe(true);

        await migrateToLatest(handle.db);
        expect(await tablesOf(handle.db)).toEqual(CANONICAL_TABLES);
        // Running it again is a no-op, as every command does on start.
        const again = await migrateToLatest(handle.db);
        expect(again.results).toEqual([]);
      } finally {
        await handle.close();
      }
    });

    it('stores on-chain integers beyond 2^64 exactly in NUMERIC columns', async () => {
      const handle = await open();
      try {
        // A GMX v2 size in USD × 10^30: 12,345,678.9 USD.
        const sizeUsdRaw = 12_345_678_900_000_000_000_000_000_000_000_000_000n;
        await handle.db.insertInto('liquidations').values({
          venue: 'gmx-v2', chain_id: 42161, market: '0xm', account: '0xa', side: 'long',
          size_raw: sizeUsdRaw, size_usd: '12345678.9', time: new Date('2025-10-10T21:15:03.127Z'), uid: 'x:1',
        }).execute();
        const row = await handle.db.selectFrom('liquidations').select(['size_raw', 'size_usd', 'time']).executeTakeFirstOrThrow();
        expect(row.size_raw).toBe('12345678900000000000000000000000000000');
        expect(row.size_usd).toBe('12345678.9');
        expect(row.time.toISOString()).toBe('2025-10-10T21:15:03.127Z');
      } finally {
        await handle.close();
      }
    });
  });
});
