import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { compressFrameSync } from 'lz4-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { openDatabase } from '../../../src/db/connect.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import type { GroundTruth } from '../../../src/sim/ground-truth.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation, type SimOutput } from '../../../src/sim/run-sim.ts';
import { CLI, REPO_ROOT } from '../../helpers/cli.ts';
import { forEachDatabase } from '../../helpers/db.ts';

/**
 * The simulator's Hyperliquid node fills through the whole pipeline (files source, decoder, runner,
 * store): the rows stored equal the ground truth's Hyperliquid liquidations and ADL fills, plain and
 * LZ4 alike; a second import changes nothing; a SIGKILLed import of many files resumes exactly once.
 */
let gt: GroundTruth;
let sim: SimOutput;
let root: string;
let plainDir: string;
let lz4Dir: string;
beforeAll(() => {
  sim = runSimulation(loadScenario('oct-10-2025').scenario);
  gt = sim.groundTruth;
  root = mkdtempSync(join(tmpdir(), 'liqscope-hl-import-'));
  plainDir = join(root, 'plain');
  lz4Dir = join(root, 'lz4');
  for (const [rel, content] of sim.files) {
    if (!/^hyperliquid\/node_fills(_by_block)?\//.test(rel)) continue;
    const path = rel.slice('hyperliquid/'.length);
    mkdirSync(dirname(join(plainDir, path)), { recursive: true });
    mkdirSync(dirname(join(lz4Dir, path)), { recursive: true });
    writeFileSync(join(plainDir, path), content);
    writeFileSync(join(lz4Dir, `${path}.lz4`), compressFrameSync(Buffer.from(content)));
  }
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (dir: string) =>
  configSchema.parse({ sources: [{ name: 'hl', kind: 'files', protocol: 'hyperliquid', paths: [dir], batchLines: 50 }] });

/** What the store holds, as sorted JSON keys comparable with the ground truth's. */
async function stored(db: Kysely<Database>) {
  const liquidations = await db.selectFrom('liquidations').select(['account', 'market', 'asset', 'side', 'size', 'price', 'mark_price', 'time']).where('venue', '=', 'hyperliquid').execute();
  const adl = await db.selectFrom('adl_events').select(['account', 'market', 'asset', 'side', 'size', 'price', 'mark_price', 'time', 'counterparty']).where('venue', '=', 'hyperliquid').execute();
  const num = (v: string | null) => (v === null ? null : String(Number(v)));
  const { rows: bars } = await sql<{ market: string; trades: string; volume: string }>`
    select market, sum(trades)::text as trades, sum(volume)::text as volume from trade_bars where venue = 'hyperliquid' group by market order by market`.execute(db);
  return {
    liquidations: liquidations.map((r) => JSON.stringify([r.account, r.market, r.asset, r.side, num(r.size), num(r.price), num(r.mark_price), r.time.getTime()])).sort(),
    adl: adl.map((r) => JSON.stringify([r.account, r.market, r.asset, r.side, num(r.size), num(r.price), num(r.mark_price), r.time.getTime(), r.counterparty])).sort(),
    bars,
  };
}

function expected() {
  const num = (v: string) => String(Number(v));
  return {
    liquidations: gt.liquidations
      .filter((l) => l.venue === 'hyperliquid')
      .map((l) => JSON.stringify([l.account, l.market, l.market, l.side, num(l.size), num(l.price), num(l.markPrice), l.timeMs]))
      .sort(),
    adl: gt.adlEvents
      .filter((a) => a.venue === 'hyperliquid')
      .map((a) => JSON.stringify([a.account, a.market, a.market, a.side, num(a.size), num(a.price), num(a.markPrice), a.timeMs, a.liquidatedAccount]))
      .sort(),
  };
}

forEachDatabase((dbName, open) => {
  describe(`Hyperliquid node fills imported into ${dbName}`, () => {
    it('store exactly the ground truth (plain and LZ4 alike), and a second import changes nothing', async () => {
      const want = expected();
      expect(want.liquidations.length).toBeGreaterThan(1000);
      const plain = await open();
      const lz4 = await open();
      try {
        await indexConfig(plain.db, config(plainDir), { protocols: PROTOCOLS });
        const first = await stored(plain.db);
        expect(first.liquidations).toEqual(want.liquidations);
        expect(first.adl).toEqual(want.adl);
        // Bars: per coin, the background trades plus the market liquidations (sent to the book).
        const background = gt.background.venues.hyperliquid?.markets ?? {};
        for (const bar of first.bars) {
          const market = gt.liquidations.filter((l) => l.venue === 'hyperliquid' && l.market === bar.market && l.method === 'market').length;
          expect(Number(bar.trades), bar.market).toBe((background[bar.market]?.trades ?? 0) + market);
        }
        const again = await indexConfig(plain.db, config(plainDir), { protocols: PROTOCOLS });
        expect(again.sources[0]!.records).toBe(0);
        expect(await stored(plain.db)).toEqual(first);

        await indexConfig(lz4.db, config(lz4Dir), { protocols: PROTOCOLS });
        expect(await stored(lz4.db)).toEqual(first);
      } finally {
        await plain.close();
        await lz4.close();
      }
    });
  });
});

describe('liqscope import hyperliquid-fills killed with SIGKILL', () => {
  it('resumes after a kill mid-import of many files with no gap and no duplicate (rows and bars)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'liqscope-hl-kill-'));
    try {
      // The simulated hour's lines cut into 24 LZ4 files (the archive's hourly layout), so the kill lands
      // between files as well as inside one.
      const many = join(work, 'many');
      const lines = [...sim.files.entries()]
        .filter(([rel]) => /^hyperliquid\/node_fills_by_block\//.test(rel))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([, content]) => content.split('\n').filter(Boolean));
      const per = Math.ceil(lines.length / 24);
      for (let h = 0; h < 24; h++) {
        const path = join(many, 'hourly', '20251010', String(h));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(`${path}.lz4`, compressFrameSync(Buffer.from(`${lines.slice(h * per, (h + 1) * per).join('\n')}\n`)));
      }
      const killedDb = join(work, 'killed');
      const cleanDb = join(work, 'clean');
      const run = (database: string, killAfterBatches?: number) =>
        new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
          const env: NodeJS.ProcessEnv = { ...process.env, LIQSCOPE_LOG_LEVEL: 'debug' };
          delete env.VITEST;
          delete env.DATABASE_URL;
          const child = spawn(process.execPath, [CLI, '--database', database, 'import', 'hyperliquid-fills', many, '--batch-lines', '40'], { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] });
          let batches = 0;
          child.stderr.on('data', (chunk: Buffer) => {
            batches += chunk.toString().split('batch written').length - 1;
            if (killAfterBatches !== undefined && batches >= killAfterBatches) child.kill('SIGKILL');
          });
          child.once('error', reject);
          child.once('exit', (code, signal) => resolve({ code, signal }));
        });
      const killed = await run(killedDb, 30);
      expect(killed.signal).toBe('SIGKILL');
      expect((await run(killedDb)).code).toBe(0);
      expect((await run(cleanDb)).code).toBe(0);
      const read = async (path: string) => {
        const handle = await openDatabase({ path });
        try {
          await migrateToLatest(handle.db);
          const { rows } = await sql<Record<string, unknown>>`
            select market, interval, time, trades, volume, buy_volume, sell_volume, open, high, low, close from trade_bars order by market, time`.execute(handle.db);
          return { ...(await stored(handle.db)), allBars: rows };
        } finally {
          await handle.close();
        }
      };
      const want = expected();
      const after = await read(killedDb);
      expect(after.liquidations).toEqual(want.liquidations);
      expect(after.adl).toEqual(want.adl);
      expect(after.allBars).toEqual((await read(cleanDb)).allBars);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
