import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { CLI, runCli } from '../helpers/cli.ts';

const work = mkdtempSync(join(tmpdir(), 'liqscope-one-owner-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const env = { DATABASE_URL: '', LIQSCOPE_SERVE_PASSWORD: '' };

/** `liqscope db serve` in the background, resolved once it serves. */
async function serve(database: string, port: number): Promise<ChildProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.VITEST;
  const child = spawn(process.execPath, [CLI, '--database', database, 'db', 'serve', '--port', String(port)], { cwd: work, env: childEnv });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => ((out += c.toString()), out.includes('serving') && resolve()));
    child.once('exit', (code) => reject(new Error(`db serve exited with ${code}`)));
  });
  return child;
}

describe('an embedded directory has one owner process (issue 10)', () => {
  it('while `db serve` owns it, other commands exit 75 naming its pid and pointing at the server; after a SIGKILL the next command runs at once', async () => {
    const database = join(work, 'served');
    const seeded = await runCli(['--database', database, 'sql', '--write', "insert into tokens (chain_id, address, symbol, decimals) values (1, '0x01', 'A', 18)"], { cwd: work, env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const port = await freePort();
    const server = await serve(database, port);
    const url = `postgres://127.0.0.1:${port}/postgres`;

    for (const args of [['sql', 'select count(*) from tokens'], ['sql', '--write', 'delete from tokens'], ['migrate'], ['migrate', 'status']]) {
      const run = await runCli(['--database', database, ...args], { cwd: work, env });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(75);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^liqscope: the embedded database \\S+served is open in another process \\(pid ${server.pid}: liqscope --database \\S+ db serve`));
      expect(lines[0]).toContain(`liqscope sql --database ${url} "<query>"`);
    }
    // Through the server, the same data is there, and a write too.
    const through = await runCli(['--database', `postgres://postgres@127.0.0.1:${port}/postgres`, 'sql', 'select symbol from tokens'], { cwd: work, env });
    expect(through.stdout, through.stderr).toBe('A\n');

    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    const after = await runCli(['--database', database, 'sql', 'select count(*) from tokens'], { cwd: work, env });
    expect(after.stderr).toBe('');
    expect(after.stdout).toBe('1\n');
    expect(after.code).toBe(0);
  });

  it('a read-only command is told to go through `db serve`; a writing one to wait (or use Postgres)', async () => {
    const database = join(work, 'held');
    // This test process is the owner: another process is refused whichever process owns it.
    const holder = await openDatabase({ path: database, useEnvUrl: false });
    try {
      const read = await runCli(['--database', database, 'sql', 'select 1'], { cwd: work, env });
      expect(read.code).toBe(75);
      expect(read.stderr).toMatch(new RegExp(`\\(pid ${process.pid}: `));
      expect(read.stderr).toContain(`make \`liqscope db serve --database ${holder.location}\` its one owner and connect through that`);
      const migrate = await runCli(['--database', database, 'migrate'], { cwd: work, env });
      expect(migrate.code).toBe(75);
      expect(migrate.stderr).toContain('Wait for it to finish, or use a Postgres server for concurrent runs');
    } finally {
      await holder.close();
    }
    const free = await runCli(['--database', database, 'migrate', 'status'], { cwd: work, env });
    expect(free.code, free.stderr).toBe(0);
  });
});
