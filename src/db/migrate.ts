import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
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
  return new Migrator({ db, provider: new FolderMigrationProvider(MIGRATIONS_DIR), migrationTableSchema: schema });
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
  return check(await retryOnVanishedSchema(db, async () => (await createMigrator(db)).migrateToLatest()), 'migration');
}

/** Undoes the newest applied migration. */
export async function migrateDown(db: Kysely<Database>): Promise<MigrationResultSet> {
  return check(await retryOnVanishedSchema(db, async () => (await createMigrator(db)).migrateDown()), 'migration down');
}

export async function migrationStatus(db: Kysely<Database>): Promise<{ name: string; executedAt: Date | null }[]> {
  const migrations = await retryOnVanishedSchema(db, async () => (await createMigrator(db)).getMigrations());
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

/** Catalog scans tried before a race is reported (each waits 10 ms longer than the last). */
const RACE_TRIES = 10;

/**
 * Kysely's Migrator looks for its tables by introspecting every table of every schema of the database
 * (`has_schema_privilege(nspname, …)`, `pg_get_serial_sequence(nspname || '.' || relname, attname)`), so
 * another client changing ITS schema during that catalog scan fails our migration: `schema "<theirs>"
 * does not exist` when it drops the schema, `column "log_index" of relation "liquidations" does not
 * exist` when it drops and recreates its tables (both seen in suite runs, where every test file drops
 * its schema on close and one migrates down and up; the same happens to two stores sharing a server).
 * The scan runs before any migration, and nothing was changed when it fails, so it is simply run again.
 * A migration's own error (Kysely names the migration) and an error naming our own schema are real and
 * are not retried; a race that persists surfaces after ten tries.
 */
async function retryOnVanishedSchema<T>(db: Kysely<Database>, attempt: () => Promise<T>): Promise<T> {
  const ours = await currentSchema(db);
  for (let tries = 1; ; tries++) {
    try {
      const result = await attempt();
      const { error, results } = result as { error?: unknown; results?: { status: string }[] };
      const migrationFailed = results?.some((r) => r.status === 'Error') ?? false;
      if (migrationFailed || !isCatalogRace(error, ours) || tries >= RACE_TRIES) return result;
    } catch (error) {
      if (!isCatalogRace(error, ours) || tries >= RACE_TRIES) throw error;
    }
    // the other client's DDL is usually over within milliseconds
    await new Promise((resolve) => setTimeout(resolve, 10 * tries));
  }
}

/** Postgres's "no such schema / table / column" (3F000, 42P01, 42703), but not about our own schema. */
function isCatalogRace(error: unknown, ours: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== '3F000' && code !== '42P01' && code !== '42703') return false;
  return error.message !== `schema "${ours}" does not exist`;
}

/** The current schema's search_path head, for messages. */
export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? 'public';
}
