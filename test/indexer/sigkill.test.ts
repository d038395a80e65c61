import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { CLI, REPO_ROOT } from '../helpers/cli.ts';
import { EMITTER, emitPings, PING_TOPIC0 } from './support.ts';

const chain = withAnvil(42161);
const dir = mkdtempSync(join(tmpdir(), 'liqscope-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Spawns `liqscope index`. With `killAtBatch`, waits for the child's debug line of its n-th written batch,
 * then SIGKILLs it after a random 0–`jitterMs` ms, so kills land mid-run at random points.
 */
function runIndex(configPath: string, kill?: { atBatch: number; jitterMs: number; signal?: NodeJS.Signals; args?: string[] }): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; delay?: number }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LIQSCOPE_LOG_LEVEL: 'debug' };
    delete env.VITEST;
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [CLI, 'index', '--config', configPath, ...(kill?.args ?? [])], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let batches = 0;
    let delay: number | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-4000);
      batches += text.split('batch written').length - 1;
      if (kill && delay === undefined && batches >= kill.atBatch) {
        delay = Math.floor(Math.random() * kill.jitterMs);
        setTimeout(() => child.kill(kill.signal ?? 'SIGKILL'), delay);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stderr, ...(delay !== undefined ? { delay } : {}) }));
  });
}

async function readStored(path: string) {
  const { db, close } = await openDatabase({ path });
  try {
    // A kill may land before the child finished migrating; migrations are idempotent.
    await migrateToLatest(db);
    const cursor = await db.selectFrom('cursors').select('position').where('source_id', '=', 'killme').executeTakeFirst();
    const rows = await db.selectFrom('raw_logs').select(['topic1', 'block_number']).where('source_id', '=', 'killme').execute();
    return { cursor: cursor ? BigInt(cursor.position) : null, seqs: rows.map((r) => Number(BigInt(r.topic1!))) };
  } finally {
    await close();
  }
}

describe('liqscope index killed with SIGKILL', () => {
  it('resumes after kills at several random points with no gap and no duplicate', async () => {
    const { emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 400, perBlock: 10, gap: 2 });
    const dbPath = join(dir, 'db');
    const configPath = join(dir, 'liqscope.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        database: { path: dbPath },
        // Small ranges, one request at a time, paced: the run lasts long enough to be killed mid-way.
        chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, maxBlockRange: 15, concurrency: 1, requestsPerSecond: 20, pollInterval: 1 } },
        sources: [
          { name: 'killme', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), endBlock: Number(lastBlock), options: { topic0: [PING_TOPIC0] } },
        ],
      }),
    );
    // Kill points: right after a run's first written batch plus a random delay (often mid-transaction
    // of the next batch). Each kill is followed by a check that the store holds an exact prefix.
    const cursors: (bigint | null)[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await runIndex(configPath, { atBatch: 1, jitterMs: 1500 });
      if (result.signal === null) {
        // The run finished before the kill fired: no more kill points left in this range.
        expect(result.code, result.stderr).toBe(0);
        break;
      }
      expect(result.signal, result.stderr).toBe('SIGKILL');
      delays.push(result.delay!);
      const stored = await readStored(dbPath);
      cursors.push(stored.cursor);
      // Whatever is stored at a kill is exactly the emitted events up to the cursor, each once.
      expect(new Set(stored.seqs).size).toBe(stored.seqs.length);
      const expectedPrefix = emitted.filter((e) => stored.cursor !== null && e.block <= stored.cursor).map((e) => e.seq);
      expect(stored.seqs.sort((a, b) => a - b)).toEqual(expectedPrefix);
    }
    // At least two kills landed mid-way (after some progress and before the end).
    const midway = cursors.filter((c) => c !== null && c >= firstBlock && c < lastBlock);
    expect(midway.length, `cursors at kills: ${cursors.join(', ')} (delays ${delays.join(', ')} ms)`).toBeGreaterThanOrEqual(2);

    const final = await runIndex(configPath);
    expect(final.code, final.stderr).toBe(0);
    const stored = await readStored(dbPath);
    expect(stored.cursor).toBe(lastBlock);
    expect(stored.seqs.sort((a, b) => a - b)).toEqual(emitted.map((e) => e.seq));
  });

  it('`index --follow` stops on SIGTERM after finishing its batch, exit 0, exact prefix stored', async () => {
    const { emitted, firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 200, perBlock: 10, gap: 2 });
    const termDir = mkdtempSync(join(tmpdir(), 'liqscope-term-'));
    try {
      const dbPath = join(termDir, 'db');
      const configPath = join(termDir, 'liqscope.config.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          database: { path: dbPath },
          chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, maxBlockRange: 15, concurrency: 1, requestsPerSecond: 20, pollInterval: 1 } },
          sources: [{ name: 'killme', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), options: { topic0: [PING_TOPIC0] } }],
        }),
      );
      const result = await runIndex(configPath, { atBatch: 1, jitterMs: 1000, signal: 'SIGTERM', args: ['--follow'] });
      expect(result.signal, result.stderr).toBeNull();
      expect(result.code, result.stderr).toBe(0);
      const stored = await readStored(dbPath);
      expect(stored.cursor).not.toBeNull();
      const expectedPrefix = emitted.filter((e) => e.block <= stored.cursor!).map((e) => e.seq);
      expect(stored.seqs.sort((a, b) => a - b)).toEqual(expectedPrefix);
    } finally {
      rmSync(termDir, { recursive: true, force: true });
    }
  });
});
