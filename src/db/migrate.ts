import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql, type DatabaseIntrospector, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import type { Database } from './schema.ts';

/** The top-level migrations/ folder of this package, wherever it is run from. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Loads `migrations/NNNN-name.ts` files in name order. */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const files = readdirSync(this.folder).filter((f) => /^\d{4}-.+\.ts$/.test(f)).sort();
    for (const file of files) {
      const module = (await import(pathToFileURL(join(this.folder, file)).href)) as Migration;
      migrations[file.replace(/\.ts$/, '')] = module;
    }
    return migrations;
  }
}

export async function createMigrator(db: Kysely<Database>): Promise<Migrator> {
  // Kysely's Migrator already takes a Postgres advisory lock around every run (its PostgresAdapter), so
  // two processes never migrate at once; PGlite is single-process. Its bookkeeping tables are pinned to
  // the connection's current schema: left unqualified, Kysely looks for them in `public` and then
  // writes through search_path, which breaks as soon as a store lives in a schema of its own.
  const schema = await currentSchema(db);
  return new Migrator({ db: introspectingOnly(db, schema), provider: new FolderMigrationProvider(MIGRATIONS_DIR), migrationTableSchema: schema });
}

/**
 * `db` as the Migrator sees it: itself, but looking for its bookkeeping tables in `schema` only. Kysely's
 * own introspector reads every column of every table of every schema (`pg_get_serial_sequence(nspname ||
 * '.' || relname, attname)` for each), so another client changing ITS schema during that scan failed our
 * migration: `schema "<theirs>" does not exist` (twice in one suite run, where every test file drops its
 * schema on close), then `column "log_index" of relation "liquidations" does not exist` (a test migrating
 * its own schema down and up). Retrying the scan did not hold under load; not scanning other schemas does,
 * and it no longer reads the whole catalog of a database shared with other applications.
 */
function introspectingOnly(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string; is_view: boolean }>`
        select table_name as name, table_type = 'VIEW' as is_view from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.map((r) => ({ name: r.name, schema, isView: r.is_view, isForeign: false, columns: [] }));
    },
  };
  // The Kysely instance keeps its state in private fields: its methods must run on it, not on the proxy.
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function check(result: MigrationResultSet, what: string): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const message = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`${what} failed${failed ? ` at ${failed.migrationName}` : ''}: ${message}`);
  }
  return result;
}

/** Brings the schema to the latest version. Safe to call from every command and from many processes. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  return check(await (await createMigrator(db)).migrateToLatest(), 'migration');
}

/** Undoes the newest applied migration. */
export async function migrateDown(db: Kysely<Database>): Promise<MigrationResultSet> {
  return check(await (await createMigrator(db)).migrateDown(), 'migration down');
}

export async function migrationStatus(db: Kysely<Database>): Promise<{ name: string; executedAt: Date | null }[]> {
  const migrations = await (await createMigrator(db)).getMigrations();
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

/** The current schema's search_path head, for messages. */
export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}
