import type { Command } from 'commander';
import { sql, type Kysely } from 'kysely';
import type { QueryConfig } from 'pg';
import type { LiqscopeDb } from '../../db/connect.ts';
import { formatRows, type OutputFormat } from '../format-rows.ts';
import { CliError, type CliContext } from '../context.ts';
import { readOnlyRefusal } from '../read-only-query.ts';

const FORMATS: OutputFormat[] = ['table', 'csv', 'json'];

export function register(program: Command, context: CliContext): void {
  program
    .command('sql')
    .description('run one SQL statement against the store (one read-only query unless --write)')
    .argument('<query>', 'the SQL statement')
    .option('-f, --format <format>', 'table | csv | json', 'table')
    .option('--write', 'allow statements that change data (and any other statement the role may run)', false)
    .action(async (query: string, options: { format: string; write: boolean }) => {
      if (!FORMATS.includes(options.format as OutputFormat)) {
        throw new CliError(`sql: unknown --format "${options.format}" (expected ${FORMATS.join(', ')})`, 2);
      }
      // Refused before anything is opened: a statement that is not a query never reaches the server.
      const refusal = options.write ? undefined : readOnlyRefusal(query);
      if (refusal) throw new CliError(`sql: without --write only one query runs (SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN, SHOW): ${refusal}`);
      const handle = await context.openDb({ access: options.write ? 'write' : 'read' });
      try {
        const result = options.write ? await runWrite(handle.db, query) : await runReadOnly(handle, query);
        const columns = result.columns;
        if (columns.length === 0) {
          process.stdout.write(`ok${result.affected !== undefined ? ` (${result.affected} row${result.affected === 1n ? '' : 's'})` : ''}\n`);
        } else {
          process.stdout.write(formatRows(result.rows, columns, options.format as OutputFormat));
        }
      } finally {
        await handle.close();
      }
    });
}

export interface StatementResult {
  rows: Record<string, unknown>[];
  columns: string[];
  affected?: bigint;
}

/**
 * Runs one query read-only, with three guarantees that hold on Postgres and on PGlite alike:
 * - one statement: it goes out in the extended protocol (a prepared statement), where the server
 *   parses exactly one statement and refuses a second (`commit; delete from raw_logs`);
 * - in a READ ONLY transaction that it cannot end, because it is a query (readOnlyRefusal has refused
 *   COMMIT, ROLLBACK, BEGIN, SET and the like), and nothing but ROLLBACK follows it;
 * - no COPY (also refused by readOnlyRefusal).
 * What a query's functions may do is up to the role: as a superuser, functions such as dblink_exec,
 * lo_export or pg_terminate_backend reach past the transaction. Analysts get a read-only role
 * (docs/operations.md).
 */
export async function runReadOnly(handle: LiqscopeDb, query: string): Promise<StatementResult> {
  const refusal = readOnlyRefusal(query);
  if (refusal) throw new CliError(`sql: without --write only one query runs: ${refusal}`);
  try {
    if (handle.pool) {
      const client = await handle.pool.connect();
      try {
        await client.query('begin transaction read only');
        // pg reads `queryMode`; its type definitions do not declare it yet.
        const extended = { text: query, queryMode: 'extended' } as QueryConfig;
        const result = await client.query<Record<string, unknown>>(extended);
        return { rows: result.rows, columns: uniqueNames(result.fields.map((f) => f.name)) };
      } finally {
        await client.query('rollback').catch(() => {});
        // Never back into the pool: a query may leave session state behind (a session advisory lock, a
        // dblink connection), which the indexer's next transaction must not inherit.
        client.release(true);
      }
    }
    if (handle.pglite) {
      // PGlite's query() is the extended protocol too; its transaction() holds the engine for us alone.
      return await handle.pglite.transaction(async (tx) => {
        await tx.query('set transaction read only');
        const result = await tx.query<Record<string, unknown>>(query);
        await tx.rollback();
        return { rows: result.rows, columns: uniqueNames(result.fields.map((f) => f.name)) };
      });
    }
    throw new Error('sql: the store has neither a Postgres pool nor an embedded engine');
  } catch (error) {
    throw statementError(error, false);
  }
}

/** Column names as keys of a row object: a repeated name keeps one value, so it is shown once. */
function uniqueNames(names: string[]): string[] {
  return [...new Set(names)];
}

/** Runs a statement with --write: in one transaction, as the role allows (several statements on Postgres). */
export async function runWrite(db: Kysely<any>, query: string): Promise<StatementResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await sql.raw<Record<string, unknown>>(query).execute(trx);
      const rows = result.rows;
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
      return { rows, columns, affected: result.numAffectedRows };
    });
  } catch (error) {
    throw statementError(error, true);
  }
}

function statementError(error: unknown, write: boolean): CliError {
  if (error instanceof CliError) return error;
  const message = (error as Error).message ?? String(error);
  if (!write && /read-only transaction/i.test(message)) {
    return new CliError(`sql: the statement would change data and runs read-only; add --write to allow it (${message})`);
  }
  if (!write && /multiple commands into a prepared statement/i.test(message)) {
    return new CliError(`sql: without --write only one statement runs at a time (${message})`);
  }
  return new CliError(`sql: ${message}`);
}
