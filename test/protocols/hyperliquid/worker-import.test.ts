import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { compressFrameSync } from 'lz4-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import type { GroundTruth } from '../../../src/sim/ground-truth.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation } from '../../../src/sim/run-sim.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { A, B, C, D, FIXTURE_LINES, MALFORMED_LINE, T3 } from './fixture.ts';

/**
 * Hyperliquid node fills imported with decoding in the files source's reading worker (forced here with
 * `filesWorkerMinBytes: 0`; by default only files of 16 MiB or more go there, like archive hours): the
 * hand-written fixture gives the rows computed by hand in decode.test.ts, a malformed line fails its
 * batch naming file:line and field with nothing of it written and the cursor before it, and the
 * simulator's hour gives exactly its ground truth.
 */
let root: string;
let gt: GroundTruth;
let simDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'liqscope-hl-worker-'));
  const fixture = join(root, 'fixture/hourly/20251010/21.lz4');
  mkdirSync(dirname(fixture), { recursive: true });
  writeFileSync(fixture, compressFrameSync(Buffer.from(`${FIXTURE_LINES.join('\n')}\n`)));
  const malformed = join(root, 'malformed/hourly/20251010/21');
  mkdirSync(dirname(malformed), { recursive: true });
  writeFileSync(malformed, `${[...FIXTURE_LINES, MALFORMED_LINE].join('\n')}\n`);
  const sim = runSimulation(loadScenario('oct-10-2025').scenario);
  gt = sim.groundTruth;
  simDir = join(root, 'sim');
  for (const [rel, content] of sim.files) {
    if (!/^hyperliquid\/node_fills_by_block\//.test(rel)) continue;
    const path = join(simDir, `${rel.slice('hyperliquid/'.length)}.lz4`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, compressFrameSync(Buffer.from(content)));
  }
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const importDir = (db: Kysely<Database>, dir: string, batchLines: number) =>
  indexConfig(db, configSchema.parse({ sources: [{ name: 'hl', kind: 'files', protocol: 'hyperliquid', paths: [dir], batchLines }] }), {
    protocols: PROTOCOLS,
    filesWorkerMinBytes: 0,
  });

forEachDatabase((dbName, open) => {
  describe(`Hyperliquid node fills decoded in the files worker, into ${dbName}`, () => {
    it('store the hand-written fixture\'s rows and bars', async () => {
      const { db, close } = await open();
      try {
        await importDir(db, join(root, 'fixture'), 2);
        const liquidations = await db.selectFrom('liquidations').select(['uid', 'account', 'side', 'size', 'price', 'mark_price', 'time']).orderBy('uid').execute();
        // decode.test.ts: A's market liquidation (tid 102), B's backstop (104), C's liquidation into D's ADL (105)
        expect(liquidations.map((r) => [r.uid, r.account, r.side, Number(r.size), Number(r.price), Number(r.mark_price), r.time.toISOString()])).toEqual([
          [`102:${A}`, A, 'long', 0.2, 104500, 104560.1, '2025-10-10T21:15:03.127Z'],
          [`104:${B}`, B, 'short', 3.5, 3460.2, 3459.9, '2025-10-10T21:15:03.950Z'],
          [`105:${C}`, C, 'long', 120.5, 182.15, 182.2, '2025-10-10T21:15:03.950Z'],
        ]);
        const adl = await db.selectFrom('adl_events').select(['uid', 'account', 'counterparty', 'side']).execute();
        expect(adl).toEqual([{ uid: `105:${D}`, account: D, counterparty: C, side: 'short' }]);
        const trades = await db.selectFrom('trades').select(['uid', 'flags']).execute();
        expect(trades).toEqual([{ uid: `106:${T3}`, flags: ['unknown_dir'] }]);
        const { rows: bars } = await sql<{ market: string; time: Date; trades: string; open: string; high: string; low: string; close: string; volume: string }>`
          select market, time, trades::text, open::text, high::text, low::text, close::text, volume::text from trade_bars order by market, time`.execute(db);
        expect(bars.map((b) => [b.market, b.time.toISOString(), Number(b.trades), b.open, b.high, b.low, b.close, Number(b.volume)])).toEqual([
          ['BTC', '2025-10-10T21:15:03.000Z', 3, '104582.5', '104582.5', '104400', '104400', 1],
          ['ETH', '2025-10-10T21:15:04.000Z', 1, '3461.0', '3461.0', '3461.0', '3461.0', 1],
          ['XYZ', '2025-10-10T21:15:03.000Z', 1, '1.5', '1.5', '1.5', '1.5', 10],
        ]);
      } finally {
        await close();
      }
    });

    it('fail on a malformed line naming file:line and field, with nothing of its batch written and the cursor before it', async () => {
      const { db, close } = await open();
      try {
        const error = await importDir(db, join(root, 'malformed'), 2).then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(error?.message).toBe(
          'source hl: writing hourly/20251010/21 lines 5–5 failed: hourly/20251010/21:5: events[0][1].px: expected a positive decimal string, got number 104582.5',
        );
        // lines 1–4 (two batches) are stored; line 5's batch is not, and the cursor stands after line 4
        const uids = await db.selectFrom('liquidations').select('uid').orderBy('uid').execute();
        expect(uids.map((r) => r.uid)).toEqual([`102:${A}`, `104:${B}`, `105:${C}`]);
        const fourLines = FIXTURE_LINES.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0);
        const cursor = await db.selectFrom('cursors').select('position').where('source_id', '=', 'hl').executeTakeFirstOrThrow();
        expect(cursor.position).toBe(`4 bytes=${fourLines}`);
      } finally {
        await close();
      }
    });

    it('store exactly the simulator\'s ground truth liquidations, ADL fills and book trades', async () => {
      const { db, close } = await open();
      try {
        const summary = await importDir(db, simDir, 500);
        const num = (v: string | null) => (v === null ? null : String(Number(v)));
        const liquidations = await db.selectFrom('liquidations').select(['account', 'market', 'side', 'size', 'price', 'mark_price', 'time']).execute();
        expect(liquidations.map((r) => JSON.stringify([r.account, r.market, r.side, num(r.size), num(r.price), num(r.mark_price), r.time.getTime()])).sort()).toEqual(
          gt.liquidations
            .filter((l) => l.venue === 'hyperliquid')
            .map((l) => JSON.stringify([l.account, l.market, l.side, num(l.size), num(l.price), num(l.markPrice), l.timeMs]))
            .sort(),
        );
        const adl = await db.selectFrom('adl_events').select(['account', 'market', 'side', 'size', 'price', 'time', 'counterparty']).execute();
        expect(adl.map((r) => JSON.stringify([r.account, r.market, r.side, num(r.size), num(r.price), r.time.getTime(), r.counterparty])).sort()).toEqual(
          gt.adlEvents
            .filter((a) => a.venue === 'hyperliquid')
            .map((a) => JSON.stringify([a.account, a.market, a.side, num(a.size), num(a.price), a.timeMs, a.liquidatedAccount]))
            .sort(),
        );
        // per coin: the background trades plus the market liquidations (sent to the book)
        const { rows: bars } = await sql<{ market: string; trades: string }>`select market, sum(trades)::text as trades from trade_bars group by market`.execute(db);
        const background = gt.background.venues.hyperliquid?.markets ?? {};
        expect(bars.length).toBeGreaterThan(0);
        for (const bar of bars) {
          const market = gt.liquidations.filter((l) => l.venue === 'hyperliquid' && l.market === bar.market && l.method === 'market').length;
          expect(Number(bar.trades), bar.market).toBe((background[bar.market]?.trades ?? 0) + market);
        }
        expect(summary.sources[0]!.records).toBeGreaterThan(0);
      } finally {
        await close();
      }
    });
  });
});
