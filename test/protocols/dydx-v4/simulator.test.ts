import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import type { GroundTruth } from '../../../src/sim/ground-truth.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation } from '../../../src/sim/run-sim.ts';
import { dydxDemoSource } from '../../../src/sim/servers/dydx-demo-source.ts';
import { startDydxIndexerServer, type DydxIndexerServer } from '../../../src/sim/servers/dydx-indexer-server.ts';
import { DYDX_MAKER } from '../../../src/sim/writers/dydx-pages.ts';
import { forEachDatabase } from '../../helpers/db.ts';

/**
 * The simulator's dYdX venue (oct-10-2025: 199 liquidation fills, 31 of them deleveraged) through the
 * local indexer server, the HTTP source, the runner and the store: the rows equal the ground truth's
 * dYdX liquidations and deleveraging, and the bars and oracle prices equal the simulator's candle and
 * funding pages. Pages of 10 (heights hold up to 19 trades of a market: some are walked by page
 * number), ties in a new order on every request, and a dYdX-style 429 every 40 requests.
 */
let gt: GroundTruth;
let outDir: string;
let server: DydxIndexerServer;
const files = new Map<string, string>();
beforeAll(async () => {
  const sim = runSimulation(loadScenario('oct-10-2025').scenario);
  gt = sim.groundTruth;
  outDir = mkdtempSync(join(tmpdir(), 'liqscope-dydx-sim-'));
  for (const [rel, content] of sim.files) {
    if (!rel.startsWith('dydx/') && rel !== 'scenario.json') continue;
    files.set(rel, content);
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileSync(join(outDir, rel), content);
  }
  server = await startDydxIndexerServer({ outDir, tieOrder: 'shuffled', faults: [{ kind: 'rate-limit', every: 40, retryAfterMs: 30 }] });
}, 120_000);
afterAll(async () => {
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

const num = (v: string | null | undefined) => (v === null || v === undefined ? null : String(Number(v)));
const sub = (address: string) => `${address}/0`;

function expectedEvents() {
  const venues = new Set(gt.venues.filter((v) => v.kind === 'dydx').map((v) => v.id));
  return {
    // A book liquidation's other side is the simulator's market maker; a deleveraged one's the ADL'd account.
    liquidations: gt.liquidations
      .filter((l) => venues.has(l.venue))
      .map((l) => JSON.stringify([sub(l.account), `${l.market}-USD`, l.market, l.side, num(l.size), num(l.price), l.timeMs, sub(l.counterparty ?? DYDX_MAKER)]))
      .sort(),
    adl: gt.adlEvents
      .filter((a) => venues.has(a.venue))
      .map((a) => JSON.stringify([sub(a.account), `${a.market}-USD`, a.market, a.side, num(a.size), num(a.price), a.timeMs, sub(a.liquidatedAccount!)]))
      .sort(),
  };
}

/** The simulator's candles and funding ticks as its pages hold them. */
function expectedMarketData(fromMs: number) {
  const candles: string[] = [];
  const ticks: { ticker: string; price: string; effectiveAt: string; rate: string; effectiveAtHeight: string }[] = [];
  for (const [rel, content] of files) {
    if (/^dydx\/v4\/candles\//.test(rel)) {
      for (const c of (JSON.parse(content) as { candles: Record<string, string | number>[] }).candles) {
        candles.push(JSON.stringify([c.ticker, '1m', Date.parse(c.startedAt as string), Number(c.trades), num(c.baseTokenVolume as string), num(c.usdVolume as string), num(c.open as string), num(c.high as string), num(c.low as string), num(c.close as string)]));
      }
    }
    if (/^dydx\/v4\/historicalFunding\//.test(rel)) ticks.push(...(JSON.parse(content) as { historicalFunding: typeof ticks }).historicalFunding);
  }
  // Ticks from the start on, and the one in force at the start (the newest before it).
  const oracle: string[] = [];
  for (const ticker of new Set(ticks.map((t) => t.ticker))) {
    const mine = ticks.filter((t) => t.ticker === ticker).sort((a, b) => Date.parse(a.effectiveAt) - Date.parse(b.effectiveAt));
    const before = mine.filter((t) => Date.parse(t.effectiveAt) < fromMs).at(-1);
    for (const t of mine.filter((x) => x === before || Date.parse(x.effectiveAt) >= fromMs)) {
      oracle.push(JSON.stringify([t.ticker, num(t.price), Date.parse(t.effectiveAt), t.effectiveAtHeight, t.rate]));
    }
  }
  return { candles: candles.sort(), oracle: oracle.sort() };
}

async function stored(db: Kysely<Database>) {
  const liq = await db.selectFrom('liquidations').selectAll().where('venue', '=', 'dydx-v4').execute();
  const adl = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'dydx-v4').execute();
  const bars = await db.selectFrom('trade_bars').selectAll().where('venue', '=', 'dydx-v4').execute();
  const oracle = await db.selectFrom('oracle_prices').selectAll().where('venue', '=', 'dydx-v4').execute();
  const extra = (e: unknown) => e as Record<string, string>;
  return {
    liquidations: liq.map((r) => JSON.stringify([r.account, r.market, r.asset, r.side, num(r.size), num(r.price), r.time.getTime(), extra(r.extra).counterparty ?? null])).sort(),
    adl: adl.map((r) => JSON.stringify([r.account, r.market, r.asset, r.side, num(r.size), num(r.price), r.time.getTime(), r.counterparty])).sort(),
    candles: bars.map((b) => JSON.stringify([b.market, b.interval, b.time.getTime(), Number(b.trades), num(b.volume), num(b.volume_usd), num(b.open), num(b.high), num(b.low), num(b.close)])).sort(),
    oracle: oracle.map((o) => JSON.stringify([o.market, num(o.price), o.time.getTime(), o.block_number, extra(o.extra).rate])).sort(),
    sizeUsd: liq.map((r) => [r.size, r.price, r.size_usd] as const),
  };
}

forEachDatabase((dbName, open) => {
  describe(`the simulator's dYdX venue indexed into ${dbName}`, () => {
    it('stores exactly its liquidations, deleveraging, candles and oracle prices; a second run changes nothing', async () => {
      const { db, close } = await open();
      try {
        const source = dydxDemoSource(outDir, server.url)!;
        const options: Record<string, unknown> = { ...(source.options as Record<string, unknown>), limit: 10 };
        const config = configSchema.parse({ sources: [{ ...source, options }] });
        const logStart = server.stats.log.length;
        const first = await indexConfig(db, config, { protocols: PROTOCOLS });
        const want = expectedEvents();
        expect(want.liquidations).toHaveLength(199);
        expect(want.adl).toHaveLength(31);
        const got = await stored(db);
        expect(got.liquidations).toEqual(want.liquidations);
        expect(got.adl).toEqual(want.adl);
        const market = expectedMarketData(Date.parse(options.from as string));
        expect(got.candles).toEqual(market.candles);
        expect(got.oracle).toEqual(market.oracle);
        // size_usd is price × size, exactly (decimal strings, no float on the way).
        for (const [size, price, usd] of got.sizeUsd) {
          const scale = (s: string) => (s.split('.')[1] ?? '').length;
          const digits = (s: string) => BigInt(s.replace('.', ''));
          expect(digits(size!) * digits(price!)).toBe(digits(usd!) * 10n ** BigInt(scale(size!) + scale(price!) - scale(usd!)));
        }
        // Some heights held a whole page and were walked by page number; the 429s were waited out.
        expect(server.stats.log.slice(logStart).some((l) => l.startsWith('/v4/trades/') && /&page=\d+/.test(l))).toBe(true);
        expect(first.sources[0]!.retries).toBeGreaterThan(0);
        const { rows } = await sql<{ n: string }>`select count(*)::text as n from pending_joins`.execute(db);
        expect(rows[0]!.n).toBe('0');

        const again = await indexConfig(db, config, { protocols: PROTOCOLS });
        // Each stream asks for its newest page once; only the candle in progress at the end is read again.
        expect(again.sources[0]!.batches).toBe((options.subaccounts as unknown[]).length + 3 * (options.markets as unknown[]).length);
        expect(await stored(db)).toEqual(got);
      } finally {
        await close();
      }
    }, 240_000);
  });
});
