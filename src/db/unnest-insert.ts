import { sql, type RawBuilder } from 'kysely';
import type { ColumnArray } from './row-arrays.ts';
import type { ColumnSpec } from './row-columns.ts';

/**
 * `insert into <table> (<columns>) select … from unnest(<one array per column>) as u(<columns>) <tail>`:
 * the statement's size and parameter count do not grow with the rows (src/db/row-arrays.ts builds the
 * arrays). `tail` is an ON CONFLICT clause, if any.
 */
export function unnestInsert(table: string, columns: readonly ColumnSpec[], arrays: readonly ColumnArray[], tail: RawBuilder<unknown> = sql``): RawBuilder<unknown> {
  if (arrays.length !== columns.length) throw new Error(`unnestInsert ${table}: ${arrays.length} arrays for ${columns.length} columns`);
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  const selected = sql.join(columns.map((c, j) => selectExpression(c, arrays[j]!)));
  const params = sql.join(columns.map((c, j) => {
    const array = arrays[j]!;
    return typeof array === 'string' ? sql`${array}::${sql.raw(elementType(c))}[]` : sql`${array.indexes}::int4[]`;
  }));
  return sql`insert into ${sql.table(table)} (${names}) select ${selected} from unnest(${params}) as u(${names}) ${tail}`;
}

/** text[] values travel as array-literal text per row (row-arrays.ts), cast back per row. */
const elementType = (column: ColumnSpec) => (column.type === 'text[]' ? 'text' : column.type);

/**
 * A column of the unnest() row: a repeated column's value looked up in its dictionary by the row's index
 * (the dictionary is one parameter, parsed once); text[] values cast back; defaults fill NULLs.
 */
function selectExpression(column: ColumnSpec, array: ColumnArray): RawBuilder<unknown> {
  const u = sql`u.${sql.id(column.name)}`;
  const value = typeof array !== 'string'
    ? sql`(${array.dictionary}::${sql.raw(elementType(column))}[])[${u}]`
    : column.type === 'text[]' ? sql`${u}::text[]` : u;
  const typed = typeof array !== 'string' && column.type === 'text[]' ? sql`${value}::text[]` : value;
  return column.default ? sql`coalesce(${typed}, ${sql.raw(column.default)})` : typed;
}
