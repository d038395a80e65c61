import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { PGlite, types } from '@electric-sql/pglite';
import pg from 'pg';
import type { Database } from './schema.ts';
import { acquireEmbeddedOwner, type EmbeddedAccess, type EmbeddedOwner } from './embedded-owner.ts';
import { logger, redactUrl } from '../logger.ts';

export interface LiqscopeDb {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, safe to print (credentials redacted). */
  location: string;
  /** The embedded engine, for `db serve` and `sql`; absent on Postgres. */
  pglite?: PGlite;
  /** The Postgres pool under Kysely, for `sql`, which needs the wire protocol's extended mode; absent on PGlite. */
  pool?: pg.Pool;
  /** This process's ownership of the embedded directory (on disk only), for `db serve` to say where it serves. */
  owner?: EmbeddedOwner;
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
  /**
   * What the caller means to do, for the advice given when another process owns the embedded directory
   * (read-only callers are told to go through `db serve`). Default 'write'.
   */
  access?: EmbeddedAccess;
  /**
   * `memory://` only: start from this dump of an embedded database (PGlite's `dumpDataDir`) instead of
   * an empty one. Loading a migrated dump takes about 1.1 s against 2.5 s for a new cluster and its
   * migrations (the test suite opens hundreds).
   */
  fromDump?: Blob;
}

// NUMERIC and INT8 come back from pg as strings, which is what we want: exact. PGlite turns INT8 into
// a JS number by default; make it behave like pg so that code and tests see one type on both.
const pgliteParsers = { [types.INT8]: (value: string) => value };

/** Embedded directories open in this process: two engines on one directory corrupt it as two processes do. */
const openHere = new Set<string>();

/**
 * Opens the store: Postgres when a URL is given (or DATABASE_URL is set), else embedded PGlite on disk.
 * An embedded directory has one owner process at a time: opening one that another process has open
 * throws EmbeddedDirectoryBusyError (src/db/embedded-owner.ts).
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
  let owner: EmbeddedOwner | undefined;
  if (url !== 'memory://') {
    owner = await acquireEmbeddedOwner(resolve(options.path ?? '.liqscope/db'), { access: options.access ?? 'write' });
    if (openHere.has(owner.directory)) {
      await owner.release();
      throw new Error(`the embedded database ${owner.directory} is already open in this process; close that handle first`);
    }
    openHere.add(owner.directory);
  }
  const dataDir = owner?.directory;
  const giveUp = async () => {
    if (!owner) return;
    openHere.delete(owner.directory);
    await owner.release();
  };
  let pglite: PGlite;
  try {
    if (options.fromDump && dataDir) throw new Error('openDatabase: fromDump starts a memory:// database only');
    pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(options.fromDump ? { loadDataDir: options.fromDump } : {}), parsers: pgliteParsers });
  } catch (error) {
    await giveUp();
    throw new Error(`cannot open the embedded database at ${dataDir ?? 'memory://'}: ${(error as Error).message}`);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    kind: 'pglite',
    location: dataDir ?? 'memory://',
    pglite,
    ...(owner ? { owner } : {}),
    async close() {
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        await giveUp();
      }
    },
  };
}

/** Builds a Postgres session outside the pool (see dedicatedSession). */
type SessionFactory = (applicationName: string) => pg.Client;
const sessionFactories = new WeakMap<Kysely<any>, SessionFactory>();

/**
 * A new, unconnected Postgres session on the same server, database and schema as `db`, outside its pool,
 * with an 'error' listener still to be added by the caller. The per-source lock lives on one: it must
 * stay open for the whole run and its loss must be seen at once (a pooled client's errors are not the
 * lock's to see). Throws for a Kysely that openDatabase did not open on Postgres.
 */
export function dedicatedSession(db: Kysely<any>, applicationName: string): pg.Client {
  const factory = sessionFactories.get(db);
  if (!factory) throw new Error('dedicatedSession: this database was not opened by openDatabase on a Postgres server');
  return factory(applicationName);
}

/**
 * Without a user in the URL, pg sends $PGUSER or $USER, and no user at all where neither is set (cron,
 * containers), which the server refuses: then the account's name goes in the URL, as psql would use it.
 * (In pg's config, the URL's fields override `user`, even an absent one.)
 */
function withDefaultUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  const name = osUserName();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username || !name) return url;
  parsed.username = encodeURIComponent(name);
  return parsed.toString();
}

/** The account's name; undefined where it has none (a container's uid without a passwd entry). */
function osUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Postgres limits application_name to 63 bytes. */
const appName = (name: string) => name.slice(0, 63);

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<LiqscopeDb> {
  const schema = options.schema;
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const clientConfig: pg.ClientConfig = {
    connectionString: withDefaultUser(url),
    // TCP keepalive, so a server that vanished without a word (network cut, failover) is noticed.
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
  if (schema) {
    const client = new pg.Client(clientConfig);
    client.on('error', () => {}); // a failure surfaces as the rejected query below
    await client.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ ...clientConfig, application_name: 'liqscope', max: options.poolSize ?? 10 });
  // A session the server ends (pg_terminate_backend, idle_session_timeout, a restart) makes its client
  // emit 'error'. pg-pool listens on idle clients only; a checked-out client with no listener would
  // crash the process with "Unhandled 'error' event". The query in flight, if any, gets the error
  // too, and pg-pool drops the dead client when it comes back.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug({ err: error }, 'database session ended'));
  });
  pool.on('error', (error) => logger.debug({ err: error }, 'idle database session ended'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  sessionFactories.set(db, (applicationName) => new pg.Client({ ...clientConfig, application_name: appName(applicationName) }));
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url) + (schema ? ` (schema ${schema})` : ''),
    pool,
    async close() {
      await db.destroy();
    },
  };
}
