import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runCli, urlWithSchema } from '../helpers/cli.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';

interface Target {
  name: string;
  /** value of --database */
  database: () => string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

const work = mkdtempSync(join(tmpdir(), 'liqscope-sql-'));
const targets: Target[] = [
  {
    name: 'embedded PGlite on disk',
    database: () => join(work, 'db'),
    async setup() {},
    async teardown() {},
  },
];
if (TEST_DATABASE_URL) {
  const schema = `t_cli_${process.pid}`;
  targets.push({
    name: 'Postgres',
    database: () => urlWithSchema(TEST_DATABASE_URL!, schema),
    async setup() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
      await client.end();
    },
    async teardown() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const target of targets) {
  describe(`liqscope migrate + sql on ${target.name}`, () => {
    beforeAll(() => target.setup());
    afterAll(() => target.teardown());
    const cli = (args: string[]) => runCli(['--database', target.database(), ...args], { cwd: work, env: { DATABASE_URL: '' } });

    it('migrates a new store and counts 0 liquidations', async () => {
      const migrate = await cli(['migrate']);
      expect(migrate.stderr).toBe('');
      expect(migrate.code).toBe(0);
      const count = await cli(['sql', 'select count(*) from liquidations']);
      expect(count.code).toBe(0);
      expect(count.stdout).toBe('0\n');
    });

    it('refuses a write without --write and leaves the data as it was', async () => {
      const refused = await cli(['sql', "insert into tokens (chain_id, address, symbol, decimals) values (1, '0x01', 'A', 18)"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/--write/);
      const ddl = await cli(['sql', 'drop table liquidations']);
      expect(ddl.code).toBe(1);
      const still = await cli(['sql', 'select count(*) from tokens']);
      expect(still.stdout).toBe('0\n');
      const liquidations = await cli(['sql', 'select count(*) from liquidations']);
      expect(liquidations.code).toBe(0);
    });

    it('writes with --write and renders csv and json exactly', async () => {
      const write = await cli(['sql', '--write', "insert into tokens (chain_id, address, symbol, decimals) values (1, '0x02', 'B,\"x\"', 18), (2, '0x03', 'C', 6)"]);
      expect(write.code).toBe(0);
      const csv = await cli(['sql', '--format', 'csv', 'select chain_id, symbol, decimals from tokens order by chain_id']);
      expect(csv.stdout).toBe('chain_id,symbol,decimals\r\n1,"B,""x""",18\r\n2,C,6\r\n');
      const json = await cli(['sql', '--format', 'json', "select 123456789012345678901234567890::numeric as big, 'x' as s"]);
      expect(JSON.parse(json.stdout)).toEqual([{ big: '123456789012345678901234567890', s: 'x' }]);
    });

    it('names a bad --format and exits 2 (usage)', async () => {
      const bad = await cli(['sql', '--format', 'xml', 'select 1']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--format "xml"/);
    });
  });
}

describe('liqscope CLI usage errors', () => {
  it('an unknown command exits 2 with a message', async () => {
    const run = await runCli(['frobnicate'], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });
  it('migrate with a bad action exits 2 naming it', async () => {
    const run = await runCli(['--database', 'memory://', 'migrate', 'sideways'], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown action "sideways"/);
  });
});
