import { loadConfig, type LoadedConfig } from '../config/load.ts';
import { openDatabase, type LiqscopeDb } from '../db/connect.ts';
import type { EmbeddedAccess } from '../db/embedded-owner.ts';
import { migrateToLatest } from '../db/migrate.ts';

/** Options every command accepts (see main.ts). */
export interface GlobalOptions {
  config?: string;
  /** postgres:// URL, memory://, or a directory for the embedded database. */
  database?: string;
}

/** Raised by commands for a failure with its own exit code (e.g. 75 when another run holds a lock). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliContext {
  globals(): GlobalOptions;
  loadConfig(): Promise<LoadedConfig>;
  /**
   * Opens the database the options and config name, migrated to the latest schema. `access: 'read'`
   * (sql without --write, migrate status) only changes the advice given when another process owns the
   * embedded directory: use `db serve`.
   */
  openDb(options?: { migrate?: boolean; access?: EmbeddedAccess }): Promise<LiqscopeDb>;
}

export function createCliContext(globals: () => GlobalOptions): CliContext {
  let loaded: Promise<LoadedConfig> | undefined;
  const context: CliContext = {
    globals,
    loadConfig() {
      loaded ??= loadConfig(globals().config);
      return loaded;
    },
    async openDb(options = {}) {
      const { config } = await context.loadConfig();
      const target = globals().database;
      const isUrl = target !== undefined && /^(postgres(ql)?|memory):\/\//.test(target);
      const handle = await openDatabase({
        url: isUrl ? target : target === undefined ? config.database.url : undefined,
        path: isUrl ? undefined : (target ?? config.database.path),
        // An explicit --database path means that embedded database, whatever DATABASE_URL says.
        useEnvUrl: target === undefined,
        access: options.access ?? 'write',
      });
      if (options.migrate !== false) {
        try {
          await migrateToLatest(handle.db);
        } catch (error) {
          await handle.close();
          throw error;
        }
      }
      return handle;
    },
  };
  return context;
}
