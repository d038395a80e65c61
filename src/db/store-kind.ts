import { PGliteAdapter, type Kysely, type Transaction } from 'kysely';

export type StoreKind = 'postgres' | 'pglite';

/**
 * Which engine a Kysely handle (or transaction) talks to. The SQL is the same for both; a few hot paths
 * pass parameters differently because the drivers serialise them differently (see insertRawLogs).
 */
export function storeKind(db: Kysely<any> | Transaction<any>): StoreKind {
  return db.getExecutor().adapter instanceof PGliteAdapter ? 'pglite' : 'postgres';
}
