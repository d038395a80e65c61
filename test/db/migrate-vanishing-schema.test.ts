import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrationStatus } from '../../src/db/migrate.ts';
import { openPostgresTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';

/**
 * Kysely's migrator scans the tables of every schema of the database; another client dropping its own
 * schema during that scan used to fail our migration with `schema "<theirs>" does not exist` (twice in
 * one suite run, where every test file drops its schema on close), and one dropping columns of its own
 * tables with `column "log_index" of relation "liquidations" does not exist` (a later suite run, where
 * a test migrates its schema down and up). The migrator now looks at our schema only (src/db/migrate.ts).
 */
describe.skipIf(!TEST_DATABASE_URL)('migrations while another client drops its schemas (needs LIQSCOPE_TEST_DATABASE_URL)', () => {
  it('are not failed by a schema that vanishes during the catalog scan', async () => {
    const handle = await openPostgresTestDb();
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    let stop = false;
    let churned = 0;
    // Schemas with serial columns (what the scan asks pg_get_serial_sequence about), created and dropped
    // as fast as the server allows, as test files and other stores do.
    const churning = (async () => {
      while (!stop) {
        const name = `vanish_${process.pid}_${churned++}`;
        await churn.query(`create schema ${name}; create table ${name}.a (id bigserial primary key); create table ${name}.b (id bigserial primary key)`);
        await churn.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      // at least 60 scans, and on until the other client has dropped 20 schemas
      for (let i = 0; i < 60 || churned <= 20; i++) {
        const status = await migrationStatus(handle.db);
        expect(status.every((m) => m.executedAt !== null)).toBe(true);
      }
      expect(churned).toBeGreaterThan(20);
    } finally {
      stop = true;
      await churning;
      await churn.end();
      await handle.close();
    }
  });

  it('are not failed by columns that vanish from another schema during the catalog scan', async () => {
    const handle = await openPostgresTestDb();
    const churn = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await churn.connect();
    const theirs = `vanish_cols_${process.pid}`;
    await churn.query(`drop schema if exists ${theirs} cascade; create schema ${theirs}`);
    let stop = false;
    let churned = 0;
    // A table of many serial columns that lose one column every few milliseconds, then start again.
    const columns = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const churning = (async () => {
      while (!stop) {
        churned++;
        await churn.query(`drop table if exists ${theirs}.t; create table ${theirs}.t (${columns.map((c) => `${c} bigserial`).join(', ')})`);
        for (const c of columns.slice(1)) {
          await churn.query(`alter table ${theirs}.t drop column ${c}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    })();
    try {
      // at least 60 scans, and on until the other client has dropped its table's columns three times
      for (let i = 0; i < 60 || churned <= 3; i++) {
        const status = await migrationStatus(handle.db);
        expect(status.every((m) => m.executedAt !== null)).toBe(true);
      }
      expect(churned).toBeGreaterThan(3);
    } finally {
      stop = true;
      await churning;
      await churn.query(`drop schema if exists ${theirs} cascade`);
      await churn.end();
      await handle.close();
    }
  });
});
