import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { indexConfig, SourceLockedError } from '../../src/indexer/index-config.ts';
import { acquireSourceLock, SourceLockLostError } from '../../src/indexer/source-lock.ts';
import { openDatabase } from '../../src/db/connect.ts';
import type { Database } from '../../src/db/schema.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { CLI, REPO_ROOT, urlWithSchema } from '../helpers/cli.ts';
import { openPostgresTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { protocols, EMITTER, emitPings, pingConfig, PING_TOPIC0, storedPings, type Emitted } from './support.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';

const chain = withAnvil(42161);
const work = mkdtempSync(join(tmpdir(), 'liqscope-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface IndexChild {
  child: ChildProcess;
  /** stderr so far */
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `liqscope index` as a child process with debug logs (each written batch logs "batch written"). */
function indexChild(configPath: string, args: string[] = []): IndexChild {
  const env: NodeJS.ProcessEnv = { ...process.env, LIQSCOPE_LOG_LEVEL: 'debug' };
  delete env.VITEST;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'index', '--config', configPath, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a failed CLI run printed besides its JSON log lines: exactly one `liqscope:` line. A crash
 * ("Unhandled 'error' event" and a stack trace) would print lines of its own.
 */
function failureLine(stderr: string): string {
  const plain = stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
  expect(plain, stderr.slice(-3000)).toHaveLength(1);
  expect(plain[0]).toMatch(/^liqscope: /);
  return plain[0]!;
}

/** What a source holds is exactly the emitted logs up to its cursor: no gap, no duplicate. */
async function expectExactPrefix(db: Kysely<Database>, sourceId: string, emitted: Emitted[]): Promise<bigint> {
  const cursor = await db.selectFrom('cursors').select('position').where('source_id', '=', sourceId).executeTakeFirst();
  const position = cursor ? BigInt(cursor.position) : -1n;
  // The CLI runs use the built-in raw protocol: raw logs only, no decoded rows.
  expect((await storedPings(db, sourceId)).raw).toEqual(emitted.filter((e) => e.block <= position));
  return position;
}

describe('two `liqscope index` processes on one embedded directory (issue 10)', () => {
  it('the second exits 75 naming the first, which keeps the directory whole: every event stored once', async () => {
    const { emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 60, perBlock: 10, gap: 1 });
    const dbPath = join(work, 'two-runs-db');
    const configPath = join(work, 'two-runs.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        database: { path: dbPath },
        chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, maxBlockRange: 20, concurrency: 1, pollInterval: 0.2 } },
        // No endBlock: with --follow the first run goes on after the range (a run with an end stops there).
        sources: [{ name: 'twice', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), options: { topic0: [PING_TOPIC0] } }],
      }),
    );
    const first = indexChild(configPath, ['--follow']);
    await until('the first run to write a batch', () => first.stderr().includes('batch written'));
    const second = indexChild(configPath);
    expect(await second.exited, second.stderr()).toBe(75);
    expect(first.child.exitCode).toBeNull(); // the first was running all along
    const line = failureLine(second.stderr());
    expect(line).toMatch(new RegExp(`^liqscope: the embedded database \\S+two-runs-db is open in another process \\(pid ${first.child.pid}: liqscope index --config \\S+ --follow`));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const { db, close } = await openDatabase({ path: dbPath, useEnvUrl: false });
    try {
      expect(await expectExactPrefix(db, 'twice', emitted)).toBe(lastBlock);
      const { rows } = await sql<{ n: string; keys: string }>`select count(*)::text as n, count(distinct (source_id, block_number, log_index))::text as keys from raw_logs`.execute(db);
      expect(rows[0]).toEqual({ n: String(emitted.length), keys: String(emitted.length) });
    } finally {
      await close();
    }
  });
});

// Advisory locks exist only on a Postgres server; PGlite has one owner process per directory.
describe.skipIf(!TEST_DATABASE_URL)('two index runs on one Postgres (needs LIQSCOPE_TEST_DATABASE_URL)', () => {
  it('the second run in-process gets SourceLockedError while the first holds the lock; data stays exact', async () => {
    const { emitted, firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 50, perBlock: 10, gap: 1 });
    const first = await openPostgresTestDb();
    // A second pool on the same schema: another "process" as far as Postgres is concerned.
    const second = await openDatabase({ url: TEST_DATABASE_URL!, schema: first.schema, poolSize: 2 });
    const controller = new AbortController();
    try {
      const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock) });
      const run = indexConfig(first.db, config, { protocols, follow: true, signal: controller.signal, dbKind: 'postgres' });
      run.catch(() => {});
      for (let i = 0; i < 200 && (await storedPings(first.db)).raw.length < emitted.length; i++) await new Promise((r) => setTimeout(r, 100));
      await expect(indexConfig(second.db, config, { protocols, dbKind: 'postgres' })).rejects.toBeInstanceOf(SourceLockedError);
      controller.abort();
      await run;
      // With the first run gone, the lock is free again.
      const again = await indexConfig(second.db, config, { protocols, dbKind: 'postgres' });
      expect(again.sources[0]!.records).toBe(0);
      const stored = await storedPings(first.db);
      expect(stored.raw).toEqual(emitted);
      expect(stored.decoded).toEqual(emitted);
    } finally {
      controller.abort();
      await second.close();
      await first.close();
    }
  });

  it('`liqscope index` exits 75 while another run holds the lock', async () => {
    const { firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 5, perBlock: 2, gap: 0 });
    const db = await openPostgresTestDb();
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-lock-'));
    const controller = new AbortController();
    try {
      const source = { name: 'locked', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), options: { topic0: [PING_TOPIC0] } };
      const chains = { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, pollInterval: 0.2 } };
      const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock) });
      const holder = indexConfig(db.db, { ...config, sources: [{ ...source, kind: 'evm', venue: undefined, endBlock: undefined }] }, { protocols: PROTOCOLS, follow: true, signal: controller.signal, dbKind: 'postgres' });
      holder.catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));
      const configPath = join(dir, 'liqscope.config.json');
      writeFileSync(configPath, JSON.stringify({ database: { url: urlWithSchema(TEST_DATABASE_URL!, db.schema) }, chains, sources: [source] }));
      const code = await new Promise<number | null>((resolve, reject) => {
        const env = { ...process.env };
        delete env.VITEST;
        const child = spawn(process.execPath, [CLI, 'index', '--config', configPath], { cwd: REPO_ROOT, env, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      });
      expect(code).toBe(75);
      controller.abort();
      await holder;
    } finally {
      controller.abort();
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('a source lock whose session ends (issue 10; needs LIQSCOPE_TEST_DATABASE_URL)', () => {
  it('pg_terminate_backend on the lock session: no crash, every query through the guard fails, and the lock is free for another process', async () => {
    const handle = await openPostgresTestDb();
    const sourceId = `lost-${handle.schema}`;
    const lock = await acquireSourceLock(handle.db, 'postgres', sourceId);
    try {
      const guarded = lock.guard(handle.db);
      expect(await guarded.selectFrom('cursors').select('source_id').execute()).toEqual([]);
      const sessions = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${`liqscope lock ${sourceId}`}`.execute(handle.db);
      expect(sessions.rows).toHaveLength(1);
      await expect(acquireSourceLock(handle.db, 'postgres', sourceId)).rejects.toBeInstanceOf(SourceLockedError);

      await sql`select pg_terminate_backend(${sessions.rows[0]!.pid})`.execute(handle.db);
      await until('the loss to be seen', () => lock.lost !== undefined, 10_000);
      expect(lock.lost).toBeInstanceOf(SourceLockLostError);
      expect(lock.lost!.message).toMatch(/terminating connection due to administrator command/);
      await expect(guarded.selectFrom('cursors').selectAll().execute()).rejects.toBeInstanceOf(SourceLockLostError);
      await expect(guarded.transaction().execute((trx) => sql`select 1`.execute(trx))).rejects.toBeInstanceOf(SourceLockLostError);
      // The unguarded handle still works, and the server freed the lock with the session.
      const other = await acquireSourceLock(handle.db, 'postgres', sourceId);
      await other.release();
    } finally {
      await lock.release();
      await handle.close();
    }
  });

  it('keeps the lock through a server idle_session_timeout far shorter than the run', async () => {
    const handle = await openPostgresTestDb();
    const url = new URL(TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${handle.schema} -c idle_session_timeout=300`);
    const idle = await openDatabase({ url: url.toString() });
    const sourceId = `idle-${handle.schema}`;
    try {
      const lock = await acquireSourceLock(idle.db, 'postgres', sourceId);
      await new Promise((r) => setTimeout(r, 1500));
      expect(lock.lost).toBeUndefined();
      await expect(acquireSourceLock(handle.db, 'postgres', sourceId)).rejects.toBeInstanceOf(SourceLockedError);
      // The pool's own idle sessions were ended by the server meanwhile: the pool replaces them quietly.
      expect(await lock.guard(idle.db).selectFrom('cursors').select('source_id').execute()).toEqual([]);
      await lock.release();
      const next = await acquireSourceLock(handle.db, 'postgres', sourceId);
      await next.release();
    } finally {
      await idle.close();
      await handle.close();
    }
  });

  it('a lock session that stops answering (a silent network cut) counts as lost after one heartbeat interval', async () => {
    const handle = await openPostgresTestDb();
    const target = new URL(TEST_DATABASE_URL!);
    const proxy = await freezableProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(TEST_DATABASE_URL!);
    url.host = `127.0.0.1:${proxy.port}`;
    url.searchParams.set('options', `-c search_path=${handle.schema}`);
    const through = await openDatabase({ url: url.toString() });
    const sourceId = `silent-${handle.schema}`;
    try {
      // 500 ms: a heartbeat answered late on a loaded machine must not count as a cut here.
      const lock = await acquireSourceLock(through.db, 'postgres', sourceId, { heartbeatMs: 500 });
      await new Promise((r) => setTimeout(r, 1600));
      expect(lock.lost).toBeUndefined(); // heartbeats answered
      proxy.freeze(); // bytes stop flowing both ways; no error, no close
      await until('the loss to be seen', () => lock.lost !== undefined, 5000);
      expect(lock.lost!.message).toMatch(/lost its lock because the database session holding it ended \(it did not answer for 500 ms\)/);
      await expect(lock.guard(through.db).selectFrom('cursors').selectAll().execute()).rejects.toBeInstanceOf(SourceLockLostError);
      await lock.release();
    } finally {
      proxy.close();
      await through.close().catch(() => {});
      await handle.close();
    }
  });

  /**
   * A config whose run lasts: small ranges, one request at a time, paced. No endBlock: a run goes to the
   * chain's head (the last emitted block) and, with --follow, stays.
   */
  function slowConfig(url: string, name: string, firstBlock: bigint): string {
    const path = join(work, `${name}.config.json`);
    writeFileSync(
      path,
      JSON.stringify({
        database: { url },
        chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, maxBlockRange: 15, concurrency: 1, requestsPerSecond: 10, pollInterval: 0.2 } },
        sources: [{ name, protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), options: { topic0: [PING_TOPIC0] } }],
      }),
    );
    return path;
  }

  it('`liqscope index` whose lock session is terminated mid-run stops with one line and exit 1, leaving an exact prefix', async () => {
    const { emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 300, perBlock: 5, gap: 2 });
    const db = await openPostgresTestDb();
    try {
      const name = `killed-${db.schema}`;
      const run = indexChild(slowConfig(urlWithSchema(TEST_DATABASE_URL!, db.schema), name, firstBlock), ['--follow']);
      await until('the first batch', () => run.stderr().includes('batch written'));
      const killed = await sql<{ ok: boolean }>`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = ${`liqscope lock ${name}`}`.execute(db.db);
      expect(killed.rows).toEqual([{ ok: true }]);
      expect(await run.exited).toBe(1);
      expect(failureLine(run.stderr())).toMatch(/^liqscope: source .*lost its lock because the database session holding it ended \(terminating connection due to administrator command\); stopped before writing another batch/);
      const cursor = await expectExactPrefix(db.db, name, emitted);
      expect(cursor).toBeLessThan(lastBlock); // it did stop mid-way
      // The next run takes the lock afresh and finishes the range.
      const again = indexChild(slowConfig(urlWithSchema(TEST_DATABASE_URL!, db.schema), name, firstBlock));
      expect(await again.exited, again.stderr()).toBe(0);
      expect(await expectExactPrefix(db.db, name, emitted)).toBe(lastBlock);
    } finally {
      await db.close();
    }
  });

  it('`liqscope index --follow` outlives idle_session_timeout (1 s) and stops cleanly on SIGTERM', async () => {
    const { emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 20, perBlock: 5, gap: 1 });
    const db = await openPostgresTestDb();
    try {
      const name = `idle-${db.schema}`;
      const url = new URL(TEST_DATABASE_URL!);
      url.searchParams.set('options', `-c search_path=${db.schema} -c idle_session_timeout=1000`);
      const run = indexChild(slowConfig(url.toString(), name, firstBlock), ['--follow']);
      await until('the whole range', async () => {
        if (run.child.exitCode !== null) throw new Error(`index exited ${run.child.exitCode}: ${run.stderr().slice(-2000)}`);
        return (await storedPings(db.db, name)).raw.length === emitted.length;
      });
      await new Promise((r) => setTimeout(r, 3000)); // the lock session idles three timeouts long
      expect(run.child.exitCode).toBeNull();
      run.child.kill('SIGTERM');
      expect(await run.exited, run.stderr().slice(-2000)).toBe(0);
      expect(run.stderr()).not.toMatch(/Unhandled|lost its lock/);
      expect(await expectExactPrefix(db.db, name, emitted)).toBe(lastBlock);
    } finally {
      await db.close();
    }
  });
});

/** A TCP proxy to Postgres that can stop forwarding without closing anything, as a cut network does. */
async function freezableProxy(host: string, port: number): Promise<{ port: number; freeze(): void; close(): void }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection(port, host);
    sockets.push(client, upstream);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (chunk: Buffer) => {
        if (!frozen) to.write(chunk);
      });
      from.on('error', () => {});
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
