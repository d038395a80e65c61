/**
 * SQL literals for the report's printed queries. A report prints every query with its parameters
 * written in (a time range, venues, a cascade id) so that an analyst can paste it into `liqscope sql`
 * or psql as it is; the renderer runs exactly the printed text, so the text and the numbers cannot
 * drift apart. Quoting follows standard_conforming_strings (on by default since Postgres 9.1, and in
 * PGlite): a single quote is doubled, nothing else is special.
 */

/** 'text' with quotes doubled. NUL cannot be stored in Postgres text and is refused. */
export function textLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a report parameter contains a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** `timestamptz '2025-10-10T21:15:03.127Z'`: ISO 8601 UTC with milliseconds (the stores' resolution). */
export function timeLiteral(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new Error('a report time parameter is not a valid date');
  return `timestamptz ${textLiteral(value.toISOString())}`;
}

/** `array['a', 'b']::text[]` (an empty list is never passed here: an empty filter is no filter). */
export function textArrayLiteral(values: readonly string[]): string {
  return `array[${values.map(textLiteral).join(', ')}]::text[]`;
}

/** A finite number as SQL text (no exponent notation, which Postgres reads as float8). */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`a report number parameter is not finite: ${value}`);
  return Number.isInteger(value) ? String(value) : value.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}

/** `and column = any(array[…])`, or nothing when the list is empty (no filter). */
export function anyOf(column: string, values: readonly string[]): string {
  return values.length === 0 ? '' : ` and ${column} = any(${textArrayLiteral(values)})`;
}
