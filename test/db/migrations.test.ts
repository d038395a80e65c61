import { describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { forEachDatabase } from '../helpers/db.ts';
import { createMigrator, migrateDown, migrateToLatest, migrationStatus } from '../../src/db/migrate.ts';

const CANONICAL_TABLES = [
  'adl_events', 'blocks', 'cursors', 'decode_errors', 'fact_provenance', 'job_runs', 'liquidations', 'markets', 'oracle_prices',
  'pending_joins', 'raw_logs', 'sources', 'tokens', 'trade_bars', 'trades', 'venue_events',
];
/** The analytics' result tables (0004 cascades and ADL, 0005 oracle checks): written by `liqscope analyze` only. */
const ANALYTICS_TABLES = [
  'account_equity', 'adl_gap_sweep', 'adl_waves', 'analysis_runs', 'cascade_adl_members', 'cascade_assets', 'cascade_gap_sweep',
  'cascade_members', 'cascade_stages', 'cascades', 'liquidation_oracle_checks', 'oracle_episodes', 'oracle_feed_health',
];
const ALL_TABLES = [...CANONICAL_TABLES, ...ANALYTICS_TABLES].sort();

async function tablesOf(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%' order by table_name`.execute(db);
  // Sorted here: the server's collation may order '_' differently.
  return rows.map((r) => r.table_name).sort();
}

async function viewsOf(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.views where table_schema = current_schema()`.execute(db);
  return rows.map((r) => r.table_name).sort();
}

forEachDatabase((dbName, open) => {
  describe(`migrations on ${dbName}`, () => {
    it('go up, down to nothing, and up again to the same schema', async () => {
      const handle = await open({ migrate: false });
      try {
        expect(await tablesOf(handle.db)).toEqual([]);
        await migrateToLatest(handle.db);
        expect(await tablesOf(handle.db)).toEqual(ALL_TABLES);
        expect((await migrationStatus(handle.db)).every((m) => m.executedAt !== null)).toBe(true);

        const applied = (await migrationStatus(handle.db)).length;
        const views = await viewsOf(handle.db);
        for (let i = 0; i < applied; i++) await migrateDown(handle.db);
        expect(await tablesOf(handle.db)).toEqual([]);
        expect(await viewsOf(handle.db)).toEqual([]);
        expect((await migrationStatus(handle.db)).every((m) => m.executedAt === null)).toBe(true);

        await migrateToLatest(handle.db);
        expect(await tablesOf(handle.db)).toEqual(ALL_TABLES);
        expect(await viewsOf(handle.db)).toEqual(views);
        // Running it again is a no-op, as every command does on start.
        const again = await migrateToLatest(handle.db);
        expect(again.results).toEqual([]);
      } finally {
        await handle.close();
      }
    });

    it("0008: deleting cascades deletes their members and ADL members, and no one else's", async () => {
      const handle = await open();
      try {
        const run = (text: string) => sql.raw(text).execute(handle.db);
        await run(`insert into analysis_runs (started_at, range_from, range_to, scope, params) values (now(), now(), now(), 'all', '{}')`);
        const cascade = (id: string) => `('${id}', (select min(id) from analysis_runs), 'all', '{}', now(), now(), 0, '{}', '{}', 2, 2, 0, 0, 0, 0, 0, 0)`;
        await run(`insert into cascades (cascade_id, run_id, scope, params, start_time, end_time, duration_seconds, venues, assets,
          liquidations, liquidations_long, liquidations_short, accounts, cross_margin_accounts, adl_fills, adl_accounts, adl_usd)
          values ${['C-1', 'C-2', 'C-3'].map(cascade).join(', ')}`);
        await run(`insert into cascade_members (cascade_id, liquidation_id) values ('C-1', 1), ('C-1', 2), ('C-2', 3), ('C-3', 4)`);
        await run(`insert into cascade_adl_members (cascade_id, adl_event_id) values ('C-1', 10), ('C-2', 11), ('C-3', 12)`);

        await run(`delete from cascades where cascade_id in ('C-1', 'C-3')`);
        const { rows: members } = await sql<{ cascade_id: string; liquidation_id: string }>`
          select cascade_id, liquidation_id::text from cascade_members order by liquidation_id`.execute(handle.db);
        expect(members).toEqual([{ cascade_id: 'C-2', liquidation_id: '3' }]);
        const { rows: adl } = await sql<{ cascade_id: string; adl_event_id: string }>`
          select cascade_id, adl_event_id::text from cascade_adl_members`.execute(handle.db);
        expect(adl).toEqual([{ cascade_id: 'C-2', adl_event_id: '11' }]);
        // A delete that matches nothing deletes nothing.
        await run(`delete from cascades where cascade_id = 'C-9'`);
        const { rows: left } = await sql<{ n: number }>`select count(*)::int as n from cascade_members`.execute(handle.db);
        expect(left[0]!.n).toBe(1);
      } finally {
        await handle.close();
      }
    });

    /** Liquidations 1..n (ids from the identity, in insert order) and a check for each. */
    async function liquidationsWithChecks(db: Kysely<any>, n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 1; i <= n; i++) {
        const { rows } = await sql<{ id: string }>`insert into liquidations (venue, market, time, uid, source_id, block_number)
          values ('gmx-v2', '0xm', now(), ${`u${i}`}, 's', ${100 + i}) returning id::text as id`.execute(db);
        ids.push(rows[0]!.id);
      }
      await sql`insert into liquidation_oracle_checks (liquidation_id, run_id, venue, market, time, tolerance_pct, verdict)
        select id, '1', venue, market, time, 0.1, 'unknown' from liquidations`.execute(db);
      return ids;
    }
    const checkIds = async (db: Kysely<any>) =>
      (await sql<{ id: string }>`select liquidation_id::text as id from liquidation_oracle_checks order by liquidation_id`.execute(db)).rows.map((r) => r.id);

    it("0010: deleting liquidations (a rewind) deletes their oracle checks, and no one else's", async () => {
      const handle = await open();
      try {
        const ids = await liquidationsWithChecks(handle.db, 4);
        // as the indexer rewinds a source: its rows from a block on
        await sql`delete from liquidations where source_id = 's' and block_number >= 103`.execute(handle.db);
        expect(await checkIds(handle.db)).toEqual(ids.slice(0, 2));
        await sql`delete from liquidations where id = -1`.execute(handle.db);
        expect(await checkIds(handle.db)).toEqual(ids.slice(0, 2));
        // and the reverse of 0010 restores the key: a check without its liquidation is refused again
        await migrateDown(handle.db);
        await expect(sql`insert into liquidation_oracle_checks (liquidation_id, run_id, venue, market, time, tolerance_pct, verdict)
          values (-5, '1', 'gmx-v2', '0xm', now(), 0.1, 'unknown')`.execute(handle.db)).rejects.toThrow(/foreign key/);
        await sql`delete from liquidations where id = ${ids[0]!}`.execute(handle.db);
        expect(await checkIds(handle.db)).toEqual(ids.slice(1, 2));
      } finally {
        await handle.close();
      }
    });

    if (dbName === 'postgres') {
      it('0010: a rewind during an analyze run waits for it, then deletes the checks the run wrote', async () => {
        const handle = await open();
        try {
          const ids = await liquidationsWithChecks(handle.db, 2);
          await sql`delete from liquidation_oracle_checks`.execute(handle.db);
          let rewound = false;
          let rewind: Promise<void> | undefined;
          await handle.db.transaction().execute(async (analyzeTrx) => {
            // what analyze takes first (src/analytics/analyze.ts)
            await sql`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':liqscope:analyze', 0))`.execute(analyzeTrx);
            rewind = handle.db.transaction().execute(async (indexerTrx) => {
              await sql`delete from liquidations where id = ${ids[1]!}`.execute(indexerTrx);
              rewound = true;
            });
            // The rewind's delete is blocked in its trigger while the run holds the lock.
            await new Promise((r) => setTimeout(r, 300));
            expect(rewound).toBe(false);
            // The run writes a check for the liquidation the rewind is deleting (it read it before).
            await sql`insert into liquidation_oracle_checks (liquidation_id, run_id, venue, market, time, tolerance_pct, verdict)
              select id, '1', venue, market, time, 0.1, 'unknown' from liquidations`.execute(analyzeTrx);
          });
          await rewind;
          expect(rewound).toBe(true);
          expect(await checkIds(handle.db)).toEqual([ids[0]!]);
        } finally {
          await handle.close();
        }
      });
    }

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
  
    it('0002 migrates rows written before it: chain from chain_id, asset and quote from the registry, unknown sides, GMX price_raw, venue_events.extra', async () => {
      const handle = await open({ migrate: false });
      try {
        const migrator = await createMigrator(handle.db);
        const to0001 = await migrator.migrateTo('0001-canonical-schema');
        expect(to0001.error).toBeUndefined();
        const run = (text: string) => sql.raw(text).execute(handle.db);
        const time = "'2025-10-10T21:15:03Z'";
        // The registry as the 0001-era sync wrote it (no asset columns yet).
        await run(`insert into markets (venue, chain_id, market, symbol) values
          ('gmx-v2', 42161, '0x70d95587d40a2caf56bd97485ab3eec10bee6336', 'ETH/USD'),
          ('chainlink', 42161, '0x942d00008d658dbb40745bbec89a93c253f9b882', 'BTC/USD'),
          ('synthetix-perps-v3', 8453, '100', 'SOL/USD')`);
        await run(`insert into tokens (chain_id, address, symbol, decimals) values (42161, '0x82af49447d8a07e3bd95bd0d56f35241523fbab1', 'WETH', 18)`);
        await run(`insert into liquidations (venue, chain_id, market, account, side, time, uid, flags) values
          ('gmx-v2', 42161, '0x70d95587d40a2caf56bd97485ab3eec10bee6336', 'a', 'long', ${time}, 'l1', '{}'),
          ('synthetix-perps-v3', 8453, '100', 'b', 'long', ${time}, 'l2', '{unknown_market,side_unknown}'),
          ('gmx-v2', 42161, '0xunknown', 'c', 'short', ${time}, 'l3', '{unknown_market}')`);
        await run(`insert into oracle_prices (venue, chain_id, market, price, time, uid, extra) values
          ('gmx-v2', 42161, '0x82af49447d8a07e3bd95bd0d56f35241523fbab1', '3500.5', ${time}, 'o1', '{"minPriceRaw": "3500000000000000", "maxPriceRaw": "3501000000000001"}'),
          ('chainlink', 42161, '0x942d00008d658dbb40745bbec89a93c253f9b882', '122510', ${time}, 'o2', '{}')`);
        await run(`insert into venue_events (venue, chain_id, kind, time, uid, data) values ('gmx-v2', 42161, 'adl_state', ${time}, 'v1', '{"isLong": true}')`);

        await migrateToLatest(handle.db);
        const { rows: liqs } = await sql<{ uid: string; chain: string; asset: string | null; quote: string | null; side: string | null }>`
          select uid, chain, asset, quote, side from liquidations order by uid`.execute(handle.db);
        expect(liqs).toEqual([
          { uid: 'l1', chain: 'arbitrum', asset: 'ETH', quote: 'USD', side: 'long' },
          { uid: 'l2', chain: 'base', asset: 'SOL', quote: 'USD', side: null },
          { uid: 'l3', chain: 'arbitrum', asset: null, quote: null, side: 'short' },
        ]);
        const { rows: prices } = await sql<{ uid: string; asset: string; quote: string; price_raw: string | null }>`
          select uid, asset, quote, price_raw::text from oracle_prices order by uid`.execute(handle.db);
        // (3500000000000000 + 3501000000000001) / 2, by hand.
        expect(prices.map((p) => [p.uid, p.asset, p.quote, p.price_raw === null ? null : Number(p.price_raw)])).toEqual([
          ['o1', 'ETH', 'USD', 3500500000000000.5],
          ['o2', 'BTC', 'USD', null],
        ]);
        expect(prices[0]!.price_raw).toMatch(/^3500500000000000\.50*$/);
        const { rows: events } = await sql<{ chain: string; extra: unknown }>`select chain, extra from venue_events`.execute(handle.db);
        expect(events).toEqual([{ chain: 'arbitrum', extra: { isLong: true } }]);
      } finally {
        await handle.close();
      }
    });
  });
});
