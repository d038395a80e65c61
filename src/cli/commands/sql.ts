import type { Command } from 'commander';
import { sql } from 'kysely';
import { formatRows, type OutputFormat } from '../format-rows.ts';
import { CliError, type CliContext } from '../context.ts';

const FORMATS: OutputFormat[] = ['table', 'csv', 'json'];

export function register(program: Command, context: CliContext): void {
  program
    .command('sql')
    .description('run one SQL statement against the store (read-only unless --write)')
    .argument('<query>', 'the SQL statement')
    .option('-f, --format <format>', 'table | csv | json', 'table')
    .option('--write', 'allow statements that change data', false)
    .action(async (query: string, options: { format: string; write: boolean }) => {
      if (!FORMATS.includes(options.format as OutputFormat)) {
        throw new CliError(`sql: unknown --format "${options.format}" (expected ${FORMATS.join(', ')})`, 2);
      }
      const handle = await context.openDb();
      try {
        const result = await runStatement(handle.db, query, options.write);
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
 * Runs one statement. Without `write` it runs in a READ ONLY transaction, so the server itself refuses
 * any change (an INSERT, DDL, or a function with side effects) and nothing can be stored half-way.
 */
export async function runStatement(db: import('kysely').Kysely<any>, query: string, write: boolean): Promise<StatementResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      // Said as a statement rather than through Kysely's setAccessMode, which the PGlite dialect ignores.
      if (!write) await sql`set transaction read only`.execute(trx);
      const result = await sql.raw<Record<string, unknown>>(query).execute(trx);
      const rows = result.rows;
      const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
      return { rows, columns, affected: result.numAffectedRows };
    });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (!write && /read-only transaction/i.test(message)) {
      throw new CliError(`sql: the statement would change data and runs read-only; add --write to allow it (${message})`);
    }
    throw new CliError(`sql: ${message}`);
  }
}
