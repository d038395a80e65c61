import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { forEachDatabase } from '../helpers/db.ts';
import { ROW_COLUMNS, type RowTable } from '../../src/db/row-columns.ts';
import { CHECK_COLUMNS } from '../../src/analytics/oracle/check-columns.ts';

interface SchemaColumn {
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  is_identity: 'YES' | 'NO';
  column_default: string | null;
}

/** What the declared column map has to say about a column, in information_schema's words. */
function declared(table: RowTable) {
  return ROW_COLUMNS[table]
    .map((c) => ({
      name: c.name,
      udt: c.type === 'text[]' ? '_text' : c.type,
      default: c.default === undefined ? null : `${c.default}::${c.type === 'text[]' ? 'text[]' : c.type}`,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

forEachDatabase((dbName, open) => {
  describe(`insertRows column map on ${dbName}`, () => {
    it('names every column a row can write, with the migrated type and default, for every table', async () => {
      const handle = await open();
      try {
        for (const table of Object.keys(ROW_COLUMNS) as RowTable[]) {
          const { rows } = await sql<SchemaColumn>`
            select column_name, udt_name, is_nullable, is_identity, column_default from information_schema.columns
            where table_schema = current_schema() and table_name = ${table}`.execute(handle.db);
          // The server fills these itself; a bulk insert must leave them out.
          const written = rows.filter((c) => c.is_identity === 'NO' && c.column_default !== 'now()');
          expect(written.length, table).toBeGreaterThan(0);
          const actual = written
            .map((c) => ({
              name: c.column_name,
              udt: c.udt_name,
              // A NOT NULL column's default must be supplied by the insert (it names every column).
              default: c.is_nullable === 'NO' ? c.column_default : null,
            }))
            .sort((a, b) => a.name.localeCompare(b.name));
          expect(declared(table), table).toEqual(actual);
        }
      } finally {
        await handle.close();
      }
    });

    it('names every column an oracle check writes, with the migrated type (episode_id is set after)', async () => {
      const handle = await open();
      try {
        const { rows } = await sql<SchemaColumn>`
          select column_name, udt_name from information_schema.columns
          where table_schema = current_schema() and table_name = 'liquidation_oracle_checks' and column_name <> 'episode_id'`.execute(handle.db);
        const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
        expect(CHECK_COLUMNS.map((c) => ({ name: c.name, udt: c.type === 'text[]' ? '_text' : c.type })).sort(byName)).toEqual(
          rows.map((c) => ({ name: c.column_name, udt: c.udt_name })).sort(byName),
        );
      } finally {
        await handle.close();
      }
    });
  });
});
