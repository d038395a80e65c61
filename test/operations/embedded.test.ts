import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { FillsWriter } from './fills.ts';
import { metricsAddress, spawnLiqscope, type Spawned } from './support.ts';

/**
 * `liqscope run` on the embedded database: one process. PGlite holds the database in the memory of the
 * process that opened it, so a second worker would not share it but corrupt it (issue 10); the second
 * is refused with a message that says why and what to do instead, and exits 75 (EX_TEMPFAIL).
 */
const BOUND_S = 10;
const dir = mkdtempSync(join(tmpdir(), 'liqscope-embedded-run-'));
const workers: Spawned[] = [];
afterAll(() => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('liqscope run on the embedded database', () => {
  it('runs as one process: a second one is refused with a clear message (75); the first indexes and stops with 0 on SIGTERM', async () => {
    const fillsRoot = join(dir, 'node_fills_by_block');
    mkdirSync(fillsRoot, { recursive: true });
    const fills = new FillsWriter(fillsRoot);
    fills.append(21, 5);
    const dbPath = join(dir, 'db');
    const configPath = join(dir, 'liqscope.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        database: { path: dbPath },
        sources: [{ name: 'fills', kind: 'files', protocol: 'hyperliquid', paths: [fillsRoot] }],
        schedule: { index: '* * * * * *', shutdownTimeoutSeconds: BOUND_S, jobs: { analyze: false } },
        metrics: { port: 0, lagInterval: 60 },
      }),
    );
    // Both at once: whichever opens the directory first is its owner; the other must be refused.
    for (const id of ['e1', 'e2']) workers.push(spawnLiqscope(['run', '--config', configPath, '--worker', id], { env: { LIQSCOPE_LOG_LEVEL: 'info' } }));
    const refused = await Promise.race(workers.map((w) => w.exited.then(() => w)));
    const owner = workers.find((w) => w !== refused)!;
    const exit = await refused.exited;
    expect(exit.code, refused.stderr()).toBe(75);
    const message = refused.lines.find((l) => l.startsWith('liqscope: run:'));
    expect(message, refused.stderr()).toBeDefined();
    // Names the directory and its owner, says why, and what to do instead.
    expect(message).toContain(`the embedded database ${dbPath} is open in another process (pid ${owner.child.pid}: liqscope run`);
    expect(message).toContain('On the embedded database liqscope run is one process: stop the other one, or run several workers against a Postgres server (database.url');

    // The owner runs: its index job stores the file's five lines.
    await metricsAddress(owner, 90_000);
    await owner.waitForLine((_l, json) => json?.job === 'index:fills' && json.outcome === 'ok' && (json.figures as { records?: number } | null)?.records === 5, 60_000);
    const asked = Date.now();
    owner.child.kill('SIGTERM');
    const stopped = await owner.exited;
    expect(stopped.code, owner.lines.slice(-5).join('\n')).toBe(0);
    expect(stopped.at - asked).toBeLessThan(BOUND_S * 1000);

    // Now the directory is free: every line stored once.
    const { db, close } = await openDatabase({ path: dbPath });
    try {
      const rows = await db.selectFrom('liquidations').select('uid').where('source_id', '=', 'fills').execute();
      expect(rows.map((r) => r.uid).sort()).toEqual([...fills.liquidationUids].sort());
    } finally {
      await close();
    }
  });
});
