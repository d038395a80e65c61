import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation, writeSimOutput, type SimOutput } from '../../../src/sim/run-sim.ts';
import { hyperliquidInfoSourceConfig, startHyperliquidInfoServer } from '../../../src/sim/servers/hyperliquid-info-server.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { MINUTE, storedSnapshot, T0, writeSyntheticRecording, type SyntheticRecording } from './api-support.ts';

/**
 * The info API source through the runner into the store, against the local info server:
 * - the simulator's candles and metaAndAssetCtxs samples stored exactly as its files hold them (the
 *   expectations read the files here, independently of the page readers), and the watched users'
 *   fills as the same rows the node fill files make (one row when both sources read a fill);
 * - a synthetic recording whose paging meets the hard cases: thousands of candles and fills over many
 *   answers, a page boundary inside 1,500 fills of one millisecond, 2,100 fills in one millisecond, and
 *   the newest-5,000-candles and newest-10,000-fills limits.
 */
let sim: SimOutput;
let simDir: string;
let synthDir: string;
let synth: SyntheticRecording;
const HEAVY = '0x1111111111111111111111111111111111111111';
const CROWDED = '0x2222222222222222222222222222222222222222';

beforeAll(() => {
  sim = runSimulation(loadScenario('oct-10-2025').scenario);
  simDir = mkdtempSync(join(tmpdir(), 'liqscope-hl-api-sim-'));
  writeSimOutput(simDir, sim);
  synthDir = mkdtempSync(join(tmpdir(), 'liqscope-hl-api-synth-'));
  synth = writeSyntheticRecording(synthDir, { heavy: HEAVY, crowded: CROWDED });
}, 120_000);
afterAll(() => {
  rmSync(simDir, { recursive: true, force: true });
  rmSync(synthDir, { recursive: true, force: true });
});

const rows = async <T,>(db: Kysely<Database>, query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows;

/** The simulator's node fills of `users`, read from its file: uid `tid:user` by what the fill is. */
function nodeFillUids(users: ReadonlySet<string>) {
  const out = { liquidations: [] as string[], adl: [] as string[], trades: [] as string[] };
  for (const [rel, content] of sim.files) {
    if (!rel.startsWith('hyperliquid/node_fills_by_block/')) continue;
    for (const line of content.split('\n')) {
      if (!line) continue;
      for (const [user, fill] of (JSON.parse(line) as { events: [string, { tid: number; dir: string }][] }).events) {
        if (!users.has(user.toLowerCase())) continue;
        const uid = `${fill.tid}:${user.toLowerCase()}`;
        if (fill.dir.startsWith('Liquidated')) out.liquidations.push(uid);
        else if (fill.dir === 'Auto-Deleveraging') out.adl.push(uid);
        else out.trades.push(uid);
      }
    }
  }
  return { liquidations: out.liquidations.sort(), adl: out.adl.sort(), trades: out.trades.sort() };
}

forEachDatabase((dbName, open) => {
  describe(`Hyperliquid info API into ${dbName}`, () => {
    // one store for the file's tests: each reads only its own sources' rows
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    }, 60_000);
    afterAll(() => handle.close());
    it("stores the simulator's candles and samples exactly; watched users' fills are the node fills' rows", async () => {
      const server = await startHyperliquidInfoServer({ outDir: simDir });
      const { db } = handle;
      try {
        const source = hyperliquidInfoSourceConfig(server, { name: 'hl-api' });
        const watched = new Set((source.options as { fills: { users: string[] } }).fills.users);
        expect(watched.size).toBe(5);
        await indexConfig(db, configSchema.parse({ sources: [source] }), { protocols: PROTOCOLS });

        // candles: every file's candles, field for field
        const wantBars: string[] = [];
        for (const [rel, content] of sim.files) {
          const m = /^hyperliquid\/info\/candleSnapshot\/([^/]+)\/1m\.json$/.exec(rel);
          if (!m) continue;
          for (const c of JSON.parse(content) as { t: number; o: string; h: string; l: string; c: string; v: string; n: number }[]) {
            wantBars.push(JSON.stringify([m[1], m[1], c.t, c.o, c.h, c.l, c.c, c.v, String(c.n), null, []]));
          }
        }
        expect(wantBars.length).toBe(140);
        const bars = await rows(db, sql<{ market: string; asset: string; time: Date; open: string; high: string; low: string; close: string; volume: string; trades: string; volume_usd: string | null; flags: string[] }>`
          select market, asset, time, open::text, high::text, low::text, close::text, volume::text, trades::text, volume_usd::text, flags from trade_bars where source_id = 'hl-api'`);
        expect(bars.map((b) => JSON.stringify([b.market, b.asset, b.time.getTime(), b.open, b.high, b.low, b.close, b.volume, b.trades, b.volume_usd, b.flags])).sort()).toEqual(wantBars.sort());

        // samples: every line, every coin, oracle and mark as two venues
        const wantPrices: string[] = [];
        const ctxFile = sim.files.get('hyperliquid/info/metaAndAssetCtxs.jsonl')!;
        for (const line of ctxFile.split('\n').filter(Boolean)) {
          const { time, response } = JSON.parse(line) as { time: number; response: [{ universe: { name: string }[] }, Record<string, unknown>[]] };
          response[0].universe.forEach(({ name }, i) => {
            const ctx = response[1][i]!;
            const extra = { midPx: ctx.midPx, funding: ctx.funding, openInterest: ctx.openInterest, premium: ctx.premium, impactPxs: ctx.impactPxs };
            wantPrices.push(JSON.stringify(['hyperliquid', name, name, time, ctx.oraclePx, `${time}:${name}`, extra]));
            wantPrices.push(JSON.stringify(['hyperliquid-mark', name, name, time, ctx.markPx, `${time}:${name}`, extra]));
          });
        }
        expect(wantPrices.length).toBe(163 * 10 * 2);
        const prices = await rows(db, sql<{ venue: string; market: string; asset: string; time: Date; price: string; uid: string; extra: Record<string, unknown> }>`
          select venue, market, asset, time, price::text, uid, extra from oracle_prices where source_id = 'hl-api'`);
        expect(prices.map((p) => JSON.stringify([p.venue, p.market, p.asset, p.time.getTime(), p.price, p.uid, { midPx: p.extra.midPx, funding: p.extra.funding, openInterest: p.extra.openInterest, premium: p.extra.premium, impactPxs: p.extra.impactPxs }])).sort()).toEqual(wantPrices.sort());

        // fills of the watched users: the uids node fill files give them, in the same tables
        const want = nodeFillUids(watched);
        expect(want.liquidations.length).toBeGreaterThan(20);
        const uids = async (table: 'liquidations' | 'adl_events' | 'trades') =>
          (await rows(db, sql<{ uid: string }>`select uid from ${sql.table(table)} where source_id = 'hl-api'`)).map((r) => r.uid).sort();
        expect(await uids('liquidations')).toEqual(want.liquidations);
        expect(await uids('adl_events')).toEqual(want.adl);
        expect(await uids('trades')).toEqual(want.trades);
        // against the ground truth too: account, market, side, size, price, mark price, time
        const num = (v: string | null) => (v === null ? null : String(Number(v)));
        const gtWatched = sim.groundTruth.liquidations
          .filter((l) => l.venue === 'hyperliquid' && watched.has(l.account))
          .map((l) => JSON.stringify([l.account, l.market, l.side, num(l.size), num(l.price), num(l.markPrice), l.timeMs]))
          .sort();
        const apiLiquidations = await rows(db, sql<{ account: string; market: string; side: string; size: string; price: string; mark_price: string; time: Date }>`
          select account, market, side, size::text, price::text, mark_price::text, time from liquidations where source_id = 'hl-api'`);
        expect(apiLiquidations.map((r) => JSON.stringify([r.account, r.market, r.side, num(r.size), num(r.price), num(r.mark_price), r.time.getTime()])).sort()).toEqual(gtWatched);

        // the node fill files read into the same store: every liquidation once, the watched users' included
        await indexConfig(db, configSchema.parse({ sources: [{ name: 'hl-files', kind: 'files', protocol: 'hyperliquid', paths: [join(simDir, 'hyperliquid', 'node_fills_by_block')] }] }), { protocols: PROTOCOLS });
        const [counts] = await rows(db, sql<{ all: string; distinct: string }>`select count(*)::text as all, count(distinct uid)::text as distinct from liquidations where source_id in ('hl-api', 'hl-files')`);
        const gtCount = sim.groundTruth.liquidations.filter((l) => l.venue === 'hyperliquid').length;
        expect(counts).toEqual({ all: String(gtCount), distinct: String(gtCount) });
        const [adlCount] = await rows(db, sql<{ n: string }>`select count(*)::text as n from adl_events where source_id in ('hl-api', 'hl-files')`);
        expect(Number(adlCount!.n)).toBe(sim.groundTruth.adlEvents.filter((a) => a.venue === 'hyperliquid').length);
      } finally {
        await server.close();
      }
    }, 120_000);

    it('pages thousands of candles and fills exactly, through one-millisecond crowds and the retention limits; a second run changes nothing', async () => {
      const server = await startHyperliquidInfoServer({ outDir: synthDir, now: synth.now, weightPerMinute: null });
      const { db } = handle;
      try {
        const config = configSchema.parse({
          sources: [
            {
              name: 'hl-synth',
              kind: 'http',
              protocol: 'hyperliquid',
              url: server.url,
              // pacing is api-rate.test's subject; here it would only make the test wait
              weightPerMinute: 1_000_000,
              options: {
                candles: { coins: ['BTC', 'ETH'], start: new Date(T0).toISOString() },
                fills: { users: [HEAVY, CROWDED], start: new Date(T0).toISOString() },
                replay: { until: new Date(synth.now).toISOString() },
              },
            },
          ],
        });
        await indexConfig(db, config, { protocols: PROTOCOLS });
        const first = await storedSnapshot(db, 'hl-synth');

        // candles: BTC whole; ETH from the oldest of the newest 5,000 minutes at the server's now
        const oldestKept = (Math.floor(synth.now / MINUTE) - 4_999) * MINUTE;
        const wantBars = [...synth.candles.entries()]
          .flatMap(([coin, list]) => list.filter((c) => (c.t as number) >= oldestKept).map((c) => JSON.stringify([coin, c.t, c.o, c.h, c.l, c.c, c.v, String(c.n)])))
          .sort();
        expect(synth.candles.get('BTC')!.every((c) => (c.t as number) >= oldestKept)).toBe(true);
        expect(wantBars.length).toBeGreaterThan(4_321 + 4_900);
        const bars = first.bars as { market: string; time: Date; open: string; high: string; low: string; close: string; volume: string; trades: string }[];
        expect(bars.map((b) => JSON.stringify([b.market, b.time.getTime(), b.open, b.high, b.low, b.close, b.volume, b.trades])).sort()).toEqual(wantBars);

        // fills: heavy's newest 10,000; crowded's first 2,000 of its crowded millisecond, then the 10 after
        const heavy = synth.fills.filter((f) => f.user === HEAVY).slice(-10_000);
        const crowdedAll = synth.fills.filter((f) => f.user === CROWDED);
        const crowded = [...crowdedAll.slice(0, 2_000), ...crowdedAll.slice(2_100)];
        expect(crowded.length).toBe(2_010);
        const want = { liquidations: [] as string[], adl: [] as string[], trades: [] as string[] };
        for (const { user, fill } of [...heavy, ...crowded]) {
          const uid = `${fill.tid as number}:${user}`;
          const dir = fill.dir as string;
          (dir.startsWith('Liquidated') ? want.liquidations : dir === 'Auto-Deleveraging' ? want.adl : want.trades).push(JSON.stringify([uid, fill.px, fill.sz, fill.time]));
        }
        const got = (list: unknown[]) => (list as { uid: string; price: string; size: string; time: Date }[]).map((r) => JSON.stringify([r.uid, r.price, r.size, r.time.getTime()])).sort();
        expect(got(first.liquidations)).toEqual(want.liquidations.sort());
        expect(got(first.adl)).toEqual(want.adl.sort());
        expect(got(first.trades)).toEqual(want.trades.sort());
        expect(first.liquidations.length + first.adl.length + first.trades.length).toBe(12_010);

        // the paging went through the crowd: a request started at the crowded millisecond of `heavy`
        const heavyRequests = server.stats.requests.filter((r) => r.type === 'userFillsByTime' && r.body.user === HEAVY);
        const block = synth.fills.filter((f) => f.user === HEAVY)[5_200]!.fill.time;
        expect(heavyRequests.some((r) => r.body.startTime === block)).toBe(true);
        expect(heavyRequests.length).toBeGreaterThanOrEqual(6);

        // what the API cannot serve is on record: candles before the newest 5,000, the crowd's overflow,
        // and heavy's fills before its newest 10,000
        const gaps = (first.gaps as { record_ref: string; event: string }[]).map((g) => g.record_ref.split(' ')[0]).sort();
        expect(gaps).toEqual(['candles:BTC:1m', 'candles:ETH:1m', `fills:${HEAVY}`, `fills:${CROWDED}`]);
        const crowdGap = (first.gaps as { record_ref: string; reason: string }[]).find((g) => g.record_ref.startsWith(`fills:${CROWDED}`))!;
        expect(crowdGap.record_ref).toBe(`fills:${CROWDED} at ${new Date(crowdedAll[0]!.fill.time as number).toISOString()}`);

        // a second run asks again from each cursor and stores nothing new
        await indexConfig(db, config, { protocols: PROTOCOLS });
        expect(await storedSnapshot(db, 'hl-synth')).toEqual(first);
      } finally {
        await server.close();
      }
    }, 120_000);
  });
});
