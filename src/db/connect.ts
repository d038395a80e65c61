import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { PGlite, types } from '@electric-sql/pglite';
import pg from 'pg';
import type { Database } from './schema.ts';
import { redactUrl } from '../logger.ts';

export interface LiqscopeDb {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, safe to print (credentials redacted). */
  location: string;
  /** The embedded engine, for `db serve`; absent on Postgres. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` for a server, `memory://` for a throwaway embedded database. */
  url?: string;
  /** Directory of the embedded database when no URL is given. Default `.liqscope/db`. */
  path?: string;
  /** Postgres only: schema to create (if missing) and use as search_path; tests use one per file. */
  schema?: string;
  /** Postgres pool size. */
  poolSize?: number;
  /** Fall back to the DATABASE_URL environment variable when `url` is absent (default true). */
  useEnvUrl?: boolean;
}

// NUMERIC and INT8 come back from pg as strings, which is what we want: exact. PGlite turns INT8 into
// a JS number by default; make it behave like pg so that code and tests see one type on both.
const pgliteParsers = { [types.INT8]: (value: string) => value };

/**
 * Opens the store: Postgres when a URL is given (or DATABASE_URL is set), else embedded PGlite on disk.
 *
 * @example
 * const { db, close } = await openDatabase({ url: 'memory://' });
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<LiqscopeDb> {
  const url = options.url ?? (options.useEnvUrl === false ? undefined : process.env.DATABASE_URL);
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  if (url && url !== 'memory://') {
    throw new Error(`database url ${redactUrl(url)}: expected postgres://… or memory://`);
  }
  const dataDir = url === 'memory://' ? undefined : resolve(options.path ?? '.liqscope/db');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), parsers: pgliteParsers });
  } catch (error) {
    throw new Error(`cannot open the embedded database at ${dataDir ?? 'memory://'}: ${(error as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    location: dataDir ?? 'memory://',
    pglite,
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<LiqscopeDb> {
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  if (schema) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url) + (schema ? ` (schema ${schema})` : ''),
    async close() {
      await db.destroy();
    },
  };
}
