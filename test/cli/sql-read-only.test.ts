import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runReadOnly } from '../../src/cli/commands/sql.ts';
import { leadingKeyword, readOnlyRefusal } from '../../src/cli/read-only-query.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { forEachDatabase, openPostgresTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';

const work = mkdtempSync(join(tmpdir(), 'liqscope-sql-ro-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('leadingKeyword', () => {
  it('reads past whitespace, line comments, nested block comments and parentheses', () => {
    expect(leadingKeyword('  SELECT 1')).toBe('select');
    expect(leadingKeyword('-- a comment; commit\n\tcommit')).toBe('commit');
    expect(leadingKeyword('/* outer /* inner */ still a comment: select */ delete from t')).toBe('delete');
    expect(leadingKeyword('((select 1) union (select 2))')).toBe('select');
    expect(leadingKeyword('"select"')).toBe('');
    expect(leadingKeyword('/* never closed select 1')).toBe('');
    expect(leadingKeyword('')).toBe('');
  });

  it('accepts the query kinds only', () => {
    for (const query of ['select 1', 'WITH t AS (SELECT 1) SELECT * FROM t', 'values (1)', 'table blocks', 'explain select 1', 'show search_path']) {
      expect(readOnlyRefusal(query), query).toBeUndefined();
    }
    for (const statement of ['commit', 'end', 'abort', 'start transaction read write', 'savepoint a', 'prepare transaction \'x\'', 'reset all', 'call p()', 'do $$ begin end $$', 'lock table blocks', 'listen x', 'vacuum', 'checkpoint', 'copy blocks to stdout']) {
      expect(readOnlyRefusal(statement), statement).toBeDefined();
    }
  });
});

forEachDatabase((dbName, open) => {
  describe(`sql without --write on ${dbName}`, () => {
    const marker = join(work, `ran-${dbName}`);
    const seeded = async () => {
      const handle = await open();
      await sql`insert into sources (id, kind, protocol, venue, chain_id) values ('seed', 'evm', 'raw', 'test', 1)`.execute(handle.db);
      await sql`insert into blocks (chain_id, number, hash, parent_hash, timestamp) values (1, 7, '0xb7', '0xb6', now())`.execute(handle.db);
      await sql`insert into raw_logs (source_id, chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, data)
                select 'seed', 1, 7, '0xb7', '0xt', 0, i, '0xa', '\\x01' from generate_series(0, 2) as i`.execute(handle.db);
      return handle;
    };
    const state = async (handle: LiqscopeDb) => {
      const { rows } = await sql<{ raw: string; blocks: string; tables: string; tx: string }>`
        select (select count(*) from raw_logs)::text as raw, (select count(*) from blocks)::text as blocks,
               (select count(*) from information_schema.tables where table_schema = current_schema())::text as tables,
               current_setting('default_transaction_read_only') as tx`.execute(handle.db);
      return rows[0];
    };

    const refused: [string, RegExp][] = [
      ['commit; delete from raw_logs', /COMMIT would change the read-only transaction/],
      ['commit; begin read write; drop table blocks cascade', /COMMIT would change/],
      ['commit', /COMMIT would change/],
      ['rollback', /ROLLBACK would change/],
      ['begin read write', /BEGIN would change/],
      ['set transaction read write', /SET would change/],
      ['set session characteristics as transaction read write', /SET would change/],
      ['select 1; delete from raw_logs', /only one statement runs at a time/],
      ['/* a */ select 1; drop table blocks cascade', /only one statement runs at a time/],
      ['select 1; commit; delete from raw_logs', /only one statement runs at a time/],
      [`copy (select 1) to program 'touch ${marker}'`, /COPY runs on the server as its operating-system user/],
      [`copy (select 1) to '${marker}'`, /COPY runs on the server/],
      [`do $$ begin execute 'copy (select 1) to program ''touch ${marker}'''; end $$`, /DO is not a query/],
      ['delete from raw_logs', /DELETE is not a query/],
      ['with gone as (delete from raw_logs returning *) select count(*) from gone', /runs read-only; add --write/],
      ['explain analyze delete from raw_logs', /runs read-only; add --write/],
      ['select * into stolen from raw_logs', /runs read-only; add --write/],
      ['select * from raw_logs for update', /runs read-only; add --write/],
    ];

    it('refuses every statement that could end the transaction, run a second statement, COPY or write, and nothing changes', async () => {
      const handle = await seeded();
      try {
        const before = await state(handle);
        expect(before).toMatchObject({ raw: '3', blocks: '1', tx: 'off' });
        for (const [statement, message] of refused) {
          await expect(runReadOnly(handle, statement), statement).rejects.toThrow(message);
          expect(await state(handle), statement).toEqual(before);
        }
        expect(existsSync(marker)).toBe(false);
      } finally {
        await handle.close();
      }
    });

    it('runs one query in a read-only transaction, with its columns even when it returns no row', async () => {
      const handle = await seeded();
      try {
        expect(await runReadOnly(handle, 'show transaction_read_only')).toEqual({ rows: [{ transaction_read_only: 'on' }], columns: ['transaction_read_only'] });
        expect(await runReadOnly(handle, '-- latest\n(select number, hash from blocks order by number desc limit 1)')).toEqual({ rows: [{ number: '7', hash: '0xb7' }], columns: ['number', 'hash'] });
        expect(await runReadOnly(handle, 'select log_index from raw_logs where false')).toEqual({ rows: [], columns: ['log_index'] });
        // Session state set by a query does not outlive it: it ran in a transaction that was rolled back.
        await runReadOnly(handle, "select set_config('default_transaction_read_only', 'on', false)");
        expect((await state(handle))!.tx).toBe('off');
      } finally {
        await handle.close();
      }
    });
  });
});

/** The analyst role's statements, exactly as docs/operations.md gives them. */
function documentedAnalystRole(): string[] {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const block = /<!-- analyst-role:start[^>]*-->\s*```sql\n([\s\S]*?)```\s*<!-- analyst-role:end -->/.exec(doc)?.[1];
  if (!block) throw new Error('docs/operations.md: the analyst-role block is missing');
  return block
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .split(';')
    .map((statement) => statement.trim())
    .filter(Boolean);
}

describe.skipIf(!TEST_DATABASE_URL)('the read-only role docs/operations.md gives analysts (needs LIQSCOPE_TEST_DATABASE_URL)', () => {
  it('reads every table, today\'s and a later migration\'s, and can neither write, nor COPY to a program, nor read server files', async () => {
    const owner = await openPostgresTestDb();
    const role = `analyst_${randomBytes(4).toString('hex')}`;
    const database = new URL(TEST_DATABASE_URL!).pathname.slice(1);
    const current = (await sql<{ name: string }>`select current_user as name`.execute(owner.db)).rows[0]!.name;
    // The docs' names, mapped onto this test's: the indexer role is whoever ran the migrations here.
    const statements = documentedAnalystRole().map((statement) =>
      statement
        .replace(/\bliqscope_analyst\b/g, role)
        .replace(/\bliqscope_indexer\b/g, current)
        .replace(/database liqscope\b/g, `database ${database}`)
        .replace(/schema liqscope\b/g, `schema ${owner.schema}`)
        .replace(/search_path = liqscope\b/g, `search_path = ${owner.schema}`),
    );
    expect(statements.length).toBeGreaterThanOrEqual(6);
    const asAnalyst = new URL(TEST_DATABASE_URL!);
    asAnalyst.username = role;
    asAnalyst.password = 'change-me';
    const analyst = new pg.Client({ connectionString: asAnalyst.toString() });
    try {
      for (const statement of statements) await sql.raw(statement).execute(owner.db);
      await sql`insert into blocks (chain_id, number, hash, parent_hash, timestamp) values (1, 7, '0xb7', '0xb6', now())`.execute(owner.db);
      await analyst.connect();
      expect((await analyst.query('select current_user as me')).rows).toEqual([{ me: role }]);
      expect((await analyst.query('select number from blocks')).rows).toEqual([{ number: '7' }]);
      // A table a later migration creates (as the indexer role) is readable without a new grant.
      await sql`create table later_table (x int)`.execute(owner.db);
      await sql`insert into later_table values (1)`.execute(owner.db);
      expect((await analyst.query('select x from later_table')).rows).toEqual([{ x: 1 }]);
      // Even with the read-only default turned off in its own session, the role cannot write.
      await analyst.query('set default_transaction_read_only = off');
      await expect(analyst.query('delete from blocks')).rejects.toThrow(/permission denied/);
      await expect(analyst.query('create table mine (x int)')).rejects.toThrow(/permission denied/);
      await expect(analyst.query("copy (select 1) to program 'true'")).rejects.toThrow(/permission denied|must be superuser/);
      await expect(analyst.query("select pg_read_file('/etc/hostname')")).rejects.toThrow(/permission denied/);
    } finally {
      await analyst.end().catch(() => {});
      await sql.raw(`drop owned by ${role}`).execute(owner.db);
      await sql.raw(`drop role ${role}`).execute(owner.db);
      await owner.close();
    }
  });
});
