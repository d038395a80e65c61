import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { withSnapshotReader } from '../../src/analytics/snapshot-reader.ts';
import { forEachDatabase } from '../helpers/db.ts';

/**
 * The oracle walk's second connection reads what the run's transaction saw when the snapshot was
 * exported: not a row another session commits afterwards, and not the run's own later writes; on PGlite,
 * embedded or served over the Postgres protocol, there is no second connection.
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

describe('snapshot reader through `db serve` (PGlite behind the Postgres protocol)', () => {
  it('is absent, and the run does not wait on a connection the multiplexer holds back', async () => {
    const pglite = await PGlite.create();
    const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    const handle = await openDatabase({ url: `postgres://postgres@${server.getServerConn()}/postgres`, useEnvUrl: false });
    try {
      const seen = await handle.db.transaction().execute((trx) => withSnapshotReader(handle.db, trx, async (reader) => reader === undefined));
      expect(seen).toBe(true);
    } finally {
      await handle.close();
      await server.stop();
      await pglite.close();
    }
  }, 30_000);
});
