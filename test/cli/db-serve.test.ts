import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { CLI, runCli } from '../helpers/cli.ts';

const hasPsql = spawnSync('psql', ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('liqscope db serve', () => {
  const work = mkdtempSync(join(tmpdir(), 'liqscope-serve-'));
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the embedded database to Postgres clients on 127.0.0.1', async () => {
    const database = join(work, 'db');
    const seeded = await runCli(['--database', database, 'sql', '--write', "insert into tokens (chain_id, address, symbol, decimals) values (42161, '0xaf88d065e77c8cc2239327c5edb3a432268e5831', 'USDC', 6)"], { cwd: work });
    expect(seeded.code).toBe(0);
    const port = await freePort();
    const env = { ...process.env };
    delete env.VITEST;
    server = spawn(process.execPath, [CLI, '--database', database, 'db', 'serve', '--port', String(port)], { cwd: work, env });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server!.stdout!.on('data', (c: Buffer) => ((out += c.toString()), out.includes('serving') && resolve()));
      server!.once('exit', (code) => reject(new Error(`db serve exited with ${code}`)));
    });

    if (hasPsql) {
      const psql = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-At', '-c', 'select 1'], { encoding: 'utf8' });
      expect(psql.stderr).toBe('');
      expect(psql.stdout.trim()).toBe('1');
    } else {
      console.warn('psql is not installed: checking db serve with the pg client only');
    }
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    const { rows } = await client.query('select symbol, decimals from tokens');
    await client.end();
    expect(rows).toEqual([{ symbol: 'USDC', decimals: 6 }]);

    server.kill('SIGTERM');
    const code = await new Promise((resolve) => server!.once('exit', resolve));
    expect(code).toBe(0);
  });
});
