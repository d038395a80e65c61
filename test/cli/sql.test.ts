import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

    describe('without --write, one read-only query and nothing else (issue 10)', () => {
      const marker = join(work, `copy-ran-${target.name.replace(/\W+/g, '-')}`);
      const counts = async () => {
        const run = await cli(['sql', '--format', 'csv', 'select (select count(*) from raw_logs) as raw_logs, (select count(*) from blocks) as blocks']);
        expect(run.code, run.stderr).toBe(0);
        return run.stdout;
      };
      beforeAll(async () => {
        const seed = await cli([
          'sql',
          '--write',
          "with s as (insert into sources (id, kind, protocol, venue, chain_id) values ('seed', 'evm', 'raw', 'test', 1) returning id), " +
            "b as (insert into blocks (chain_id, number, hash, parent_hash, timestamp) values (1, 7, '0xb7', '0xb6', now()) returning number) " +
            "insert into raw_logs (source_id, chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, data) " +
            "select s.id, 1, b.number, '0xb7', '0xt', 0, i, '0xa', '\\x01' from s, b, generate_series(0, 2) as i",
        ]);
        expect(seed.code, seed.stderr).toBe(0);
        expect(await counts()).toBe('raw_logs,blocks\r\n3,1\r\n');
      });

      // The statements of the issue, through the CLI (test/cli/sql-read-only.test.ts has the rest).
      it('refuses the issue\'s statements with one line and exit 1, and nothing changes', async () => {
        const attacks: [string, RegExp][] = [
          ['commit; delete from raw_logs', /COMMIT would change the read-only transaction/],
          ['commit; begin read write; drop table blocks cascade', /COMMIT would change the read-only transaction/],
          ['select 1; delete from raw_logs', /only one statement runs at a time/],
          [`copy (select 1) to program 'touch ${marker}'`, /COPY runs on the server as its operating-system user/],
        ];
        for (const [statement, message] of attacks) {
          const run = await cli(['sql', statement]);
          expect(run.code, statement).toBe(1);
          expect(run.stdout).toBe('');
          expect(run.stderr).toMatch(message);
          expect(run.stderr.trim().split('\n')).toHaveLength(1);
        }
        expect(await counts()).toBe('raw_logs,blocks\r\n3,1\r\n');
        expect(existsSync(marker)).toBe(false);
      });

      it('runs a query, and names the columns of an empty result', async () => {
        expect((await cli(['sql', '--format', 'csv', '/* top */ (select log_index from raw_logs order by 1 limit 2)'])).stdout).toBe('log_index\r\n0\r\n1\r\n');
        expect((await cli(['sql', '--format', 'csv', 'select number from blocks where false'])).stdout).toBe('number\r\n');
      });

      it('--write still writes', async () => {
        const run = await cli(['sql', '--write', 'delete from raw_logs where log_index = 2']);
        expect(run.stdout).toBe('ok (1 row)\n');
        expect(await counts()).toBe('raw_logs,blocks\r\n2,1\r\n');
      });
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
