import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/connect.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { startHyperliquidInfoServer, type HyperliquidInfoServer, type InfoFault } from '../../../src/sim/servers/hyperliquid-info-server.ts';
import { CLI } from '../../helpers/cli.ts';
import { storedSnapshot, T0, writeSyntheticRecording, type StoredSnapshot, type SyntheticRecording } from './api-support.ts';

/**
 * `liqscope index` with an info API source, as an operator runs it: killed with SIGKILL in the middle of
 * paging, then run again, it stores exactly what an uninterrupted run stores (no gap, no duplicate);
 * and the API URL's key appears in no output — debug logs, the summary, the failure line of a bad
 * page, the `sources` table.
 */
const KEY = 'hlKey7Q2xZ9pW4vN8sT1';
const HEAVY = '0x5555555555555555555555555555555555555555';
const CROWDED = '0x6666666666666666666666666666666666666666';
let work: string;
let synth: SyntheticRecording;
let server: HyperliquidInfoServer;
let fault: ((n: number) => InfoFault | null) | null = null;
/** Everything any process printed, for the key check. */
const printed: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'liqscope-hl-api-cli-'));
  const data = join(work, 'data');
  synth = writeSyntheticRecording(data, { heavy: HEAVY, crowded: CROWDED }, 'small');
  server = await startHyperliquidInfoServer({ outDir: data, now: synth.now, weightPerMinute: null, faults: (r) => fault?.(r.n) ?? null });
  // the key in the URL's path, as keyed providers put it; the config takes it from the environment
  writeFileSync(
    join(work, 'liqscope.config.json'),
    JSON.stringify({
      sources: [
        {
          name: 'hl-api',
          kind: 'http',
          protocol: 'hyperliquid',
          url: '${HL_INFO_URL}',
          weightPerMinute: 1_000_000,
          options: {
            candles: { coins: ['BTC'], start: new Date(T0).toISOString() },
            fills: { users: [CROWDED], start: new Date(T0).toISOString() },
            replay: { until: new Date(synth.now).toISOString() },
          },
        },
      ],
    }),
  );
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

const env = () => ({ HL_INFO_URL: `${server.url}/k/${KEY}`, LIQSCOPE_LOG_LEVEL: 'debug' });

/** `liqscope index` into `database`, SIGKILLed after `killAfter` written batches when given. */
function index(database: string, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env() };
    delete childEnv.VITEST;
    delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, [CLI, '--database', database, 'index'], { cwd: work, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let batches = 0;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      printed.push(chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      printed.push(text);
      batches += text.split('batch written').length - 1;
      if (killAfter !== undefined && batches >= killAfter) child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

async function snapshot(database: string): Promise<StoredSnapshot> {
  const handle = await openDatabase({ path: database });
  try {
    await migrateToLatest(handle.db);
    return await storedSnapshot(handle.db, 'hl-api');
  } finally {
    await handle.close();
  }
}

describe('liqscope index with a Hyperliquid info API source', () => {
  it('killed with SIGKILL mid-paging and run again, stores exactly what an uninterrupted run stores', async () => {
    const killedDb = join(work, 'killed');
    const cleanDb = join(work, 'clean');
    // 8 answers in all (BTC 5, crowded 3): the kill lands in the middle of paging
    const killed = await index(killedDb, 4);
    expect(killed.signal).toBe('SIGKILL');
    const partial = await snapshot(killedDb);
    const rowsOf = (s: StoredSnapshot) => s.bars.length + s.liquidations.length + s.adl.length + s.trades.length;
    expect(rowsOf(partial)).toBeGreaterThan(0);
    expect((await index(killedDb)).code).toBe(0);
    expect((await index(cleanDb)).code).toBe(0);
    const clean = await snapshot(cleanDb);
    expect(rowsOf(partial)).toBeLessThan(rowsOf(clean));
    expect(clean.bars.length).toBe(2_100);
    expect(clean.liquidations.length + clean.adl.length + clean.trades.length).toBe(2_010);
    expect(await snapshot(killedDb)).toEqual(clean);
  }, 300_000);

  it('never prints the API key: debug logs, summaries, the failure of a bad page, the sources table', async () => {
    const failingDb = join(work, 'failing');
    // the third request of this run answers a candle that is not one
    const before = server.stats.requests.length;
    fault = (n) => (n === before + 3 ? { kind: 'malformed', edit: () => [{ t: 'not a candle' }] } : null);
    const failed = await index(failingDb);
    fault = null;
    expect(failed.code).toBe(1);
    const failure = failed.output.trim().split('\n').at(-1)!;
    // the failure names the source, the request, the endpoint by host and the field
    expect(failure).toMatch(/^liqscope: source hl-api: candleSnapshot BTC 1m from \S+ on hl-api \(127\.0\.0\.1:\d+\): \[0\]\.t: expected unix milliseconds/);
    // what analysts read of the source: its host, not its URL
    const handle = await openDatabase({ path: join(work, 'clean') });
    try {
      const row = await handle.db.selectFrom('sources').select('config').where('id', '=', 'hl-api').executeTakeFirstOrThrow();
      const config = JSON.stringify(row.config);
      printed.push(config);
      expect(config).toContain(new URL(server.url).host);
    } finally {
      await handle.close();
    }
    const all = printed.join('');
    // the runs above printed debug logs (batches, requests) and summaries
    expect(all).toContain('batch written');
    expect(all).not.toContain(KEY);
  }, 200_000);
});
