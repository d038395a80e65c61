import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { startHyperliquidInfoServer, type InfoFault, type InfoRequestView } from '../../../src/sim/servers/hyperliquid-info-server.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { writeSyntheticRecording, type SyntheticRecording } from './api-support.ts';

/**
 * The info API source against a server that misbehaves as real ones do: 429s with Retry-After, 500s,
 * answers slower than the request timeout and bodies cut short are retried and change nothing of the
 * result; an answer of the wrong shape, or one still cut short when the budget runs out, fails the run
 * with an error naming the source, the page and the field, and nothing of that page is written — the
 * pages before it are, and a rerun completes from there.
 */
let dir: string;
let synth: SyntheticRecording;
const HEAVY = '0x3333333333333333333333333333333333333333';
const CROWDED = '0x4444444444444444444444444444444444444444';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'liqscope-hl-api-faults-'));
  synth = writeSyntheticRecording(dir, { heavy: HEAVY, crowded: CROWDED });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The BTC candles (4,321: nine answers) as trade_bars rows would hold them. */
const btcBars = (upTo = Infinity) =>
  synth.candles
    .get('BTC')!
    .slice(0, upTo)
    .map((c) => JSON.stringify([c.t, c.o, c.h, c.l, c.c, c.v, String(c.n)]));

/** A source of its own venue (bars are keyed by venue, market, interval and time), reading BTC candles. */
function config(url: string, name: string, extra: { requestTimeout?: number; requestBudget?: number; fills?: boolean } = {}) {
  const first = synth.candles.get('BTC')![0]!.t as number;
  return configSchema.parse({
    sources: [
      {
        name,
        venue: name,
        kind: 'http',
        protocol: 'hyperliquid',
        url,
        weightPerMinute: 1_000_000,
        ...(extra.requestTimeout ? { requestTimeout: extra.requestTimeout } : {}),
        ...(extra.requestBudget ? { requestBudget: extra.requestBudget } : {}),
        options: {
          ...(extra.fills ? { fills: { users: [HEAVY] } } : { candles: { coins: ['BTC'], start: new Date(first).toISOString() } }),
          replay: { until: new Date(synth.now).toISOString() },
        },
      },
    ],
  });
}

forEachDatabase((dbName, open) => {
  describe(`Hyperliquid info API faults, into ${dbName}`, () => {
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    }, 60_000);
    afterAll(() => handle.close());

    const bars = async (venue: string) =>
      (
        await sql<{ time: Date; open: string; high: string; low: string; close: string; volume: string; trades: string }>`
          select time, open::text, high::text, low::text, close::text, volume::text, trades::text from trade_bars where venue = ${venue} order by time`.execute(handle.db)
      ).rows.map((b) => JSON.stringify([b.time.getTime(), b.open, b.high, b.low, b.close, b.volume, b.trades]));

    it('retries 429 (after its Retry-After), 500, a slow answer and a truncated body, and stores exactly what a clean run stores', async () => {
      const plan = (r: InfoRequestView): InfoFault | null =>
        r.n === 2 ? { kind: 'status', status: 429, retryAfterSeconds: 1 }
        : r.n === 4 ? { kind: 'status', status: 500 }
        : r.n === 6 ? { kind: 'slow', delayMs: 3_000 }
        : r.n === 8 ? { kind: 'truncated' }
        : null;
      const server = await startHyperliquidInfoServer({ outDir: dir, now: synth.now, weightPerMinute: null, faults: plan });
      try {
        const summary = await indexConfig(handle.db, config(server.url, 'hl-retry', { requestTimeout: 1.5 }), { protocols: PROTOCOLS, rpc: { backoffBaseMs: 20, backoffMaxMs: 100 } });
        expect(await bars('hl-retry')).toEqual(btcBars());
        const log = server.stats.requests;
        const seen = JSON.stringify({ server: log.map((r) => [r.n, r.fault, r.status, r.atMs - log[0]!.atMs]), client: summary.sources[0]!.errors });
        expect(summary.sources[0]!.retries, seen).toBe(4);
        expect(log.map((r) => r.fault).filter(Boolean)).toEqual(['status', 'status', 'slow', 'truncated']);
        // the retry of the 429 waited for its Retry-After
        expect(log[2]!.atMs - log[1]!.atMs).toBeGreaterThanOrEqual(1_000);
      } finally {
        await server.close();
      }
    }, 60_000);

    it('fails on an answer of the wrong shape naming source, page and field; the pages before it are stored, nothing of it; a rerun completes', async () => {
      // the fourth answer has a candle whose open is a number, not a decimal string
      const plan = (r: InfoRequestView): InfoFault | null =>
        r.nOfType === 4 ? { kind: 'malformed', edit: (answer) => (answer as Record<string, unknown>[]).map((c, i) => (i === 17 ? { ...c, o: 123 } : c)) } : null;
      const server = await startHyperliquidInfoServer({ outDir: dir, now: synth.now, weightPerMinute: null, faults: plan });
      try {
        const run = indexConfig(handle.db, config(server.url, 'hl-shape'), { protocols: PROTOCOLS });
        const error = (await run.then(() => null, (e: unknown) => e)) as Error;
        // answers start at the previous answer's last candle: 500 + 499 + 499 candles before the bad one
        const pageStart = new Date(synth.candles.get('BTC')![1_497]!.t as number).toISOString();
        expect(error.message).toBe(
          `source hl-shape: candleSnapshot BTC 1m from ${pageStart} on hl-shape (${new URL(server.url).host}): [17].o: expected a positive decimal string, got number 123`,
        );
        expect(await bars('hl-shape')).toEqual(btcBars(1_498));
        const cursor = await handle.db.selectFrom('cursors').select('position').where('source_id', '=', 'hl-shape').executeTakeFirstOrThrow();
        expect(Number(cursor.position)).toBe(synth.candles.get('BTC')![1_497]!.t);
      } finally {
        await server.close();
      }
      const clean = await startHyperliquidInfoServer({ outDir: dir, now: synth.now, weightPerMinute: null });
      try {
        await indexConfig(handle.db, config(clean.url, 'hl-shape'), { protocols: PROTOCOLS });
        expect(await bars('hl-shape')).toEqual(btcBars());
        // the rerun asked from the stored cursor, not from the start
        expect(clean.stats.requests[0]!.body).toMatchObject({ req: { startTime: synth.candles.get('BTC')![1_497]!.t } });
      } finally {
        await clean.close();
      }
    }, 60_000);

    it('a bad fill fails its page with the path of the field in the answer', async () => {
      const plan = (r: InfoRequestView): InfoFault | null =>
        r.nOfType === 2 ? { kind: 'malformed', edit: (answer) => (answer as Record<string, unknown>[]).map((f, i) => (i === 3 ? { ...f, px: '-1' } : f)) } : null;
      const server = await startHyperliquidInfoServer({ outDir: dir, now: synth.now, weightPerMinute: null, faults: plan });
      try {
        const error = (await indexConfig(handle.db, config(server.url, 'hl-fill', { fills: true }), { protocols: PROTOCOLS }).then(() => null, (e: unknown) => e)) as Error;
        expect(error.message).toMatch(/^source hl-fill: userFillsByTime 0x3{40} from \S+ on hl-fill \(127\.0\.0\.1:\d+\): \[3\]\.px: expected a positive decimal string, got string "-1"$/);
        // the first answer (2,000 fills of the newest 10,000) is stored, nothing of the second
        const { rows } = await sql<{ n: string }>`
          select (select count(*) from liquidations where source_id = 'hl-fill') + (select count(*) from adl_events where source_id = 'hl-fill')
            + (select count(*) from trades where source_id = 'hl-fill') as n`.execute(handle.db);
        expect(Number(rows[0]!.n)).toBe(2_000);
      } finally {
        await server.close();
      }
    }, 60_000);

    it('fails once a body still arrives cut short when the request budget runs out, naming the source and page; only the pages before it are stored', async () => {
      const plan = (r: InfoRequestView): InfoFault | null => (r.nOfType >= 2 ? { kind: 'truncated' } : null);
      const server = await startHyperliquidInfoServer({ outDir: dir, now: synth.now, weightPerMinute: null, faults: plan });
      try {
        const error = (await indexConfig(handle.db, config(server.url, 'hl-cut', { requestBudget: 1 }), { protocols: PROTOCOLS, rpc: { backoffBaseMs: 50, backoffMaxMs: 200, budgetMs: 1_000 } }).then(
          () => null,
          (e: unknown) => e,
        )) as Error;
        const pageStart = new Date(synth.candles.get('BTC')![499]!.t as number).toISOString();
        expect(error.message).toMatch(
          new RegExp(`^candleSnapshot BTC 1m from ${pageStart.replace(/\./g, '\\.')} on hl-cut \\(127\\.0\\.0\\.1:\\d+\\): failed after \\d+ attempts in [\\d.]+ s; last error: the answer is not JSON \\(\\d+ bytes: `),
        );
        expect(await bars('hl-cut')).toEqual(btcBars(500));
      } finally {
        await server.close();
      }
    }, 60_000);
  });
});
