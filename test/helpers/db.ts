import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { openDatabase, type LiqscopeDb } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** Postgres server for tests, when CI (or a developer) provides one. */
export const TEST_DATABASE_URL = process.env.LIQSCOPE_TEST_DATABASE_URL;

export type OpenTestDb = (options?: { migrate?: boolean }) => Promise<LiqscopeDb>;

/** A fresh, migrated in-memory PGlite database (from the run's migrated dump, test/global-setup.ts). */
export async function openPgliteTestDb(options: { migrate?: boolean } = {}): Promise<LiqscopeDb> {
  if (options.migrate === false) return openDatabase({ url: 'memory://' });
  const handle = await openDatabase({ url: 'memory://', fromDump: await migratedDump() });
  // A no-op on the dump; it keeps the helper right should the dump ever lag the migrations.
  await migrateToLatest(handle.db);
  return handle;
}

let dump: Promise<Blob> | null = null;
function migratedDump(): Promise<Blob> {
  dump ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([bytes]));
  return dump;
}

/**
 * Makes `dir` a migrated embedded database (a copy of the run's migrated directory,
 * test/global-setup.ts) and returns it: for CLI tests whose subject is not a new store.
 */
export function migratedEmbeddedDir(dir: string): string {
  cpSync(inject('pgliteDirTemplate'), dir, { recursive: true });
  return dir;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgliteDirTemplate: string;
  }
}

/**
 * A fresh schema on the test Postgres server, dropped again on close, so files and tests never see
 * each other's rows even when they run at the same time.
 */
export async function openPostgresTestDb(options: { migrate?: boolean } = {}): Promise<LiqscopeDb & { schema: string }> {
  if (!TEST_DATABASE_URL) throw new Error('LIQSCOPE_TEST_DATABASE_URL is not set');
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return {
    ...handle,
    schema,
    async close() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
      await handle.close();
    },
  };
}

/**
 * Runs `suite` once on embedded PGlite and, when LIQSCOPE_TEST_DATABASE_URL is set, once more on that
 * Postgres server. `open()` returns a fresh migrated database each time it is called.
 *
 * @example
 * forEachDatabase((dbName, open) => {
 *   describe(`writes on ${dbName}`, () => {
 *     it('stores a batch once', async () => { const { db, close } = await open(); ...; await close(); });
 *   });
 * });
 */
export function forEachDatabase(suite: (name: 'pglite' | 'postgres', open: OpenTestDb) => void): void {
  suite('pglite', openPgliteTestDb);
  if (TEST_DATABASE_URL) suite('postgres', openPostgresTestDb);
}
