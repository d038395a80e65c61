import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { oracleParamsSchema } from '../../../src/analytics/oracle/params.ts';
import { CHECK_BATCH } from '../../../src/analytics/oracle/walk-asset.ts';
import { walkAsset, type WalkSettings } from '../../../src/analytics/oracle/walk-asset.ts';
import type { Database } from '../../../src/db/schema.ts';
import { forEachDatabase } from '../../helpers/db.ts';

/**
 * The oracle walk writes a page of checks while it walks on: every liquidation's check is handed over
 * once and in time order, the walk returns only when the last write is done, and a write that fails is
 * the error the walk throws (not the aborted transaction's complaint of the reads queued behind it).
 */
const T0 = Date.parse('2025-10-10T21:00:00Z');
const LIQUIDATIONS = 2 * CHECK_BATCH + 5;

async function store(db: Kysely<Database>): Promise<void> {
  for (let i = 0; i < LIQUIDATIONS; i += 2000) {
    const n = Math.min(2000, LIQUIDATIONS - i);
    // one liquidation and one oracle round every 100 ms, the round first
    await db
      .insertInto('oracle_prices')
      .values(Array.from({ length: n }, (_, k) => ({ venue: 'chainlink', chain_id: 42161, market: '0xfeed', asset: 'ETH', quote: 'USD', price: `${4000 - (i + k) / 100}`, time: new Date(T0 + (i + k) * 100), uid: `p${i + k}` })))
      .execute();
    await db
      .insertInto('liquidations')
      .values(Array.from({ length: n }, (_, k) => ({ venue: 'gmx-v2', chain_id: 42161, market: '0xmarket', asset: 'ETH', quote: 'USD', side: 'long' as const, time: new Date(T0 + (i + k) * 100 + 50), uid: `l${i + k}` })))
      .execute();
  }
}

function settings(writeChecks: WalkSettings['writeChecks']): WalkSettings {
  return {
    from: new Date(T0 - 60_000),
    to: new Date(T0 + LIQUIDATIONS * 100 + 60_000),
    venues: [],
    params: oracleParamsSchema.parse({}),
    feedRules: { configured: [], known: [] },
    rulesByVenue: new Map(),
    ruleParamsByVenue: new Map(),
    groupOf: (venue) => venue,
    liquidatingGroups: new Set(['gmx-v2']),
    writeChecks,
  };
}

forEachDatabase((dbName, open) => {
  describe(`oracle walk writes on ${dbName}`, () => {
    it('hands every check over once, in time order, and returns after the last write', async () => {
      const handle = await open();
      try {
        await store(handle.db);
        const written: string[] = [];
        let inFlight = 0;
        const result = await walkAsset(handle.db, { asset: 'ETH', quote: 'USD' }, [{ venue: 'chainlink', market: '0xfeed' }], settings(async (checks) => {
          expect(inFlight).toBe(0); // one write at a time
          inFlight++;
          await new Promise((r) => setTimeout(r, 20));
          written.push(...checks.map((c) => c.liquidation.id));
          inFlight--;
        }));
        expect(inFlight).toBe(0);
        const { rows } = await sql<{ id: string }>`select id::text as id from liquidations order by time, id`.execute(handle.db);
        expect(result.checks).toBe(LIQUIDATIONS);
        expect(written).toEqual(rows.map((r) => r.id));
      } finally {
        await handle.close();
      }
    }, 120_000);

    it('a failed write is the error the walk throws, though reads were queued behind it', async () => {
      const handle = await open();
      try {
        await store(handle.db);
        let calls = 0;
        const walk = handle.db.transaction().execute((trx) =>
          walkAsset(trx, { asset: 'ETH', quote: 'USD' }, [{ venue: 'chainlink', market: '0xfeed' }], settings(async () => {
            calls++;
            // the first page's write fails and aborts the transaction; the walk has more pages to read
            if (calls === 1) await sql`select 1 / 0`.execute(trx);
          })),
        );
        await expect(walk).rejects.toThrow(/division by zero/);
        expect(calls).toBe(1);
      } finally {
        await handle.close();
      }
    }, 120_000);
  });
});
