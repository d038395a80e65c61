import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { describe, expect, it } from 'vitest';
import { withSnapshotReader } from '../../src/analytics/snapshot-reader.ts';
import { forEachDatabase } from '../helpers/db.ts';

/**
 * The oracle walk's second connection reads what the run's transaction saw when the snapshot was
 * exported: not a row another session commits afterwards, and not the run's own later writes; on PGlite
 * there is no second connection.
 */
const count = async (db: Kysely<Database>) => Number((await sql<{ n: string }>`select count(*)::text as n from liquidations`.execute(db)).rows[0]!.n);

forEachDatabase((dbName, open) => {
  describe(`snapshot reader on ${dbName}`, () => {
    it(dbName === 'postgres' ? 'reads the run snapshot on its own connection' : 'is absent: the transaction reads', async () => {
      const handle = await open();
      try {
        const { db } = handle;
        const liquidation = (uid: string) => ({ venue: 'gmx-v2', chain_id: 42161, market: '0xm', time: new Date('2025-10-10T21:15:00Z'), uid });
        await db.insertInto('liquidations').values(liquidation('before')).execute();
        const seen = await db.transaction().execute(async (trx) =>
          withSnapshotReader(db, trx, async (reader) => {
            if (!reader) return null;
            const [runPid, readerPid] = await Promise.all([
              sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx),
              sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(reader),
            ]);
            // another session commits a row, the run writes one: the reader sees neither
            await db.insertInto('liquidations').values(liquidation('committed-later')).execute();
            await trx.insertInto('liquidations').values(liquidation('run-own')).execute();
            return { samePid: runPid.rows[0]!.pid === readerPid.rows[0]!.pid, reader: await count(reader), run: await count(trx) };
          }),
        );
        if (dbName === 'pglite') {
          expect(seen).toBeNull();
        } else {
          expect(seen).toEqual({ samePid: false, reader: 1, run: 3 });
        }
      } finally {
        await handle.close();
      }
    });
  });
});
