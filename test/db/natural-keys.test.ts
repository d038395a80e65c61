import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { forEachDatabase } from '../helpers/db.ts';
import type { Database, NewAdlEvent, NewLiquidation, NewOraclePrice, NewTrade } from '../../src/db/schema.ts';

const time = new Date('2025-10-10T21:16:04.831Z');

/** Writes a batch the way every writer does: one transaction, ON CONFLICT DO NOTHING on the natural key. */
async function writeBatch(db: Kysely<Database>, batch: {
  liquidations: NewLiquidation[]; adl: NewAdlEvent[]; prices: NewOraclePrice[]; trades: NewTrade[];
}): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('liquidations').values(batch.liquidations).onConflict((oc) => oc.doNothing()).execute();
    await trx.insertInto('adl_events').values(batch.adl).onConflict((oc) => oc.doNothing()).execute();
    await trx.insertInto('oracle_prices').values(batch.prices).onConflict((oc) => oc.doNothing()).execute();
    await trx.insertInto('trades').values(batch.trades).onConflict((oc) => oc.doNothing()).execute();
  });
}

function sampleBatch() {
  const liquidations: NewLiquidation[] = [
    // on chain: same uid on two chains are two different events
    { venue: 'gmx-v2', chain_id: 42161, market: 'm1', account: 'a1', side: 'long', time, uid: '0xt1:3' },
    { venue: 'gmx-v2', chain_id: 43114, market: 'm1', account: 'a1', side: 'long', time, uid: '0xt1:3' },
    // off chain (chain_id NULL): the fill id is the natural key
    { venue: 'hyperliquid', chain_id: null, market: 'BTC', account: 'a2', side: 'short', time, uid: 'tid-1:a2' },
    { venue: 'hyperliquid', chain_id: null, market: 'BTC', account: 'a3', side: 'short', time, uid: 'tid-1:a3' },
  ];
  const adl: NewAdlEvent[] = [
    { venue: 'hyperliquid', chain_id: null, market: 'BTC', account: 'w1', counterparty: 'a2', side: 'long', time, uid: 'tid-2:w1' },
  ];
  const prices: NewOraclePrice[] = [
    { venue: 'chainlink', chain_id: 1, market: '0xfeed', price: '2297.50276106', price_raw: 229750276106n, time, uid: '0xt2:0' },
    { venue: 'chainlink', chain_id: 1, market: '0xfeed', price: '2297.38', price_raw: 229738000000n, time, uid: '0xt3:0' },
  ];
  const trades: NewTrade[] = [
    { venue: 'dydx-v4', chain_id: null, market: 'ETH-USD', account: 'd1', side: 'long', action: 'fill', time, uid: 'fill-9' },
  ];
  return { liquidations, adl, prices, trades };
}

async function counts(db: Kysely<Database>) {
  const count = async (table: keyof Database) =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return { liquidations: await count('liquidations'), adl: await count('adl_events'), prices: await count('oracle_prices'), trades: await count('trades') };
}

forEachDatabase((dbName, open) => {
  describe(`natural unique keys on ${dbName}`, () => {
    it('a batch written twice is stored once, on chain and off chain', async () => {
      const handle = await open();
      try {
        await writeBatch(handle.db, sampleBatch());
        const once = await counts(handle.db);
        expect(once).toEqual({ liquidations: 4, adl: 1, prices: 2, trades: 1 });
        await writeBatch(handle.db, sampleBatch());
        expect(await counts(handle.db)).toEqual(once);
        // The stored values are the first write's, exactly.
        const prices = await handle.db.selectFrom('oracle_prices').select(['uid', 'price', 'price_raw']).orderBy('uid').execute();
        expect(prices).toEqual([
          { uid: '0xt2:0', price: '2297.50276106', price_raw: '229750276106' },
          { uid: '0xt3:0', price: '2297.38', price_raw: '229738000000' },
        ]);
      } finally {
        await handle.close();
      }
    });

    it('rejects a side that is neither long nor short, leaving the table unchanged', async () => {
      const handle = await open();
      try {
        await writeBatch(handle.db, sampleBatch());
        const bad = sampleBatch();
        bad.liquidations = [...bad.liquidations, { ...bad.liquidations[0]!, uid: 'new', side: 'up' as 'long' }];
        await expect(writeBatch(handle.db, bad)).rejects.toThrow(/check constraint|violates/);
        expect((await counts(handle.db)).liquidations).toBe(4);
      } finally {
        await handle.close();
      }
    });
  });
});
