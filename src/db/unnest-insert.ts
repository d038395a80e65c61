import { sql, type RawBuilder } from 'kysely';
import type { ColumnSpec } from './row-columns.ts';

/**
 * `insert into <table> (<columns>) select … from unnest(<one array per column>) as u(<columns>) <tail>`:
 * the statement's size and parameter count do not grow with the rows (src/db/row-arrays.ts builds the
 * arrays). `tail` is an ON CONFLICT clause, if any.
 */
export function unnestInsert(table: string, columns: readonly ColumnSpec[], arrays: readonly string[], tail: RawBuilder<unknown> = sql``): RawBuilder<unknown> {
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  const selected = sql.join(columns.map(selectExpression));
  const params = sql.join(columns.map((c, j) => sql`${arrays[j]}::${sql.raw(c.type === 'text[]' ? 'text' : c.type)}[]`));
  return sql`insert into ${sql.table(table)} (${names}) select ${selected} from unnest(${params}) as u(${names}) ${tail}`;
}

/** A column of the unnest() row: text[] values arrive as array-literal text (row-arrays.ts); defaults fill NULLs. */
function selectExpression(column: ColumnSpec): RawBuilder<unknown> {
  const value = column.type === 'text[]' ? sql`u.${sql.id(column.name)}::text[]` : sql`u.${sql.id(column.name)}`;
  return column.default ? sql`coalesce(${value}, ${sql.raw(column.default)})` : value;
}
