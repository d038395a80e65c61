import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    delete env.LIQSCOPE_SERVE_PASSWORD;
    server = spawn(process.execPath, [CLI, '--database', database, 'db', 'serve', '--port', String(port)], { cwd: work, env });
    let stderr = '';
    server.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server!.stdout!.on('data', (c: Buffer) => ((out += c.toString()), out.includes('serving') && resolve()));
      server!.once('exit', (code) => reject(new Error(`db serve exited with ${code}`)));
    });
    // No password: said out loud, since every local user can connect as superuser.
    for (let i = 0; i < 100 && !stderr.includes('no password'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/no password: any user of this machine can connect, as superuser/);

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

/** `liqscope db serve` in the background; resolves once it serves, with what it printed. */
async function startServe(work: string, database: string, serveArgs: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; stdout: string; stderr: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.VITEST;
  delete env.LIQSCOPE_SERVE_PASSWORD;
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [CLI, '--database', database, 'db', 'serve', ...serveArgs], { cwd: work, env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => ((out += c.toString()), out.includes('Ctrl-C') && out.endsWith('\n') && out.split('\n').length > 2 && resolve(out)));
    child.once('exit', (code) => reject(new Error(`db serve exited with ${code}: ${stderr}`)));
  });
  return { child, stdout, stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Connects with node-postgres; resolves to the query's rows, or rejects with the server's message. */
async function query(config: pg.ClientConfig, text: string): Promise<unknown[]> {
  const client = new pg.Client({ database: 'postgres', ...config });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query(text)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

function psql(args: string[], password: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('psql', [...args, '-U', 'postgres', '-w', '-At'], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: password } });
}

describe('liqscope db serve with a password or a private socket (issue 10)', () => {
  const work = mkdtempSync(join(tmpdir(), 'liqscope-serve-auth-'));
  const database = join(work, 'db');
  const running: ChildProcess[] = [];
  afterAll(() => {
    for (const child of running) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('LIQSCOPE_SERVE_PASSWORD: SCRAM-SHA-256 with the right password, refused with a wrong one or none', async () => {
    const seeded = await runCli(['--database', database, 'sql', '--write', "insert into tokens (chain_id, address, symbol, decimals) values (1, '0x01', 'SECRET', 18)"], { cwd: work, env: { DATABASE_URL: '' } });
    expect(seeded.code, seeded.stderr).toBe(0);
    const port = await freePort();
    const serve = await startServe(work, database, ['--port', String(port)], { LIQSCOPE_SERVE_PASSWORD: 'correct horse' });
    running.push(serve.child);
    expect(serve.stdout).toContain(`serving ${database} on postgres://127.0.0.1:${port}/postgres`);
    expect(serve.stdout).toContain('PGPASSWORD=');
    expect(serve.stderr()).not.toMatch(/no password/);
    const at = { host: '127.0.0.1', port };

    await expect(query({ ...at, user: 'postgres', password: 'wrong' }, 'select symbol from tokens')).rejects.toThrow(/password authentication failed for user "postgres"/);
    await expect(query({ ...at, user: 'postgres', password: '' }, 'select symbol from tokens')).rejects.toThrow();
    expect(await query({ ...at, user: 'postgres', password: 'correct horse' }, 'select symbol from tokens')).toEqual([{ symbol: 'SECRET' }]);
    // Any user name with the password: every client is the superuser (documented).
    expect(await query({ ...at, user: 'bi_tool', password: 'correct horse' }, "select current_setting('is_superuser') as su")).toEqual([{ su: 'on' }]);
    if (hasPsql) {
      const bad = psql(['-h', '127.0.0.1', '-p', String(port), '-c', 'select 1'], 'nope');
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/password authentication failed/);
      const good = psql(['-h', '127.0.0.1', '-p', String(port), '-c', 'select symbol from tokens'], 'correct horse');
      expect(good.stderr).toBe('');
      expect(good.stdout.trim()).toBe('SECRET');
    }
    expect(readFileSync(join(database, 'liqscope-owner.txt'), 'utf8')).toContain(`serving: postgres://127.0.0.1:${port}/postgres`);
    expect(await stop(serve.child)).toBe(0);
  });

  it('--socket-dir with --password-file: a Unix socket in a 0700 directory, no TCP port, password required', async () => {
    const socketDir = join(work, 'run');
    const passwordFile = join(work, 'password');
    writeFileSync(passwordFile, 'from a file\n', { mode: 0o600 });
    const port = await freePort();
    const serve = await startServe(work, database, ['--port', String(port), '--socket-dir', socketDir, '--password-file', passwordFile]);
    running.push(serve.child);
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    expect(existsSync(join(socketDir, `.s.PGSQL.${port}`))).toBe(true);
    expect(serve.stdout).toContain(`psql -h ${socketDir} -p ${port} -U postgres`);
    await expect(query({ host: '127.0.0.1', port, user: 'postgres', password: 'from a file' }, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    await expect(query({ host: socketDir, port, user: 'postgres', password: 'wrong' }, 'select 1')).rejects.toThrow(/password authentication failed/);
    expect(await query({ host: socketDir, port, user: 'postgres', password: 'from a file' }, 'select symbol from tokens')).toEqual([{ symbol: 'SECRET' }]);
    if (hasPsql) expect(psql(['-h', socketDir, '-p', String(port), '-c', 'select symbol from tokens'], 'from a file').stdout.trim()).toBe('SECRET');
    expect(await stop(serve.child)).toBe(0);
    expect(existsSync(join(socketDir, `.s.PGSQL.${port}`))).toBe(false);
  });

  it('refuses a --socket-dir other users can enter (exit 2), before opening anything', async () => {
    const open = join(work, 'shared-run');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const run = await runCli(['--database', database, 'db', 'serve', '--socket-dir', open], { cwd: work, env: { DATABASE_URL: '' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--socket-dir \S+shared-run is open to other users \(mode 755\)/);
  });
});
