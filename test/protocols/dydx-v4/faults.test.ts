import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { eventIdOf } from '../../../src/protocols/dydx-v4/event-ids.ts';
import { startDydxIndexerServer, type DydxIndexerServer } from '../../../src/sim/servers/dydx-indexer-server.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';
import { A, B, byJson, D, dydxConfig, FIXTURE_ADL, FIXTURE_LIQUIDATIONS, fixtureRows, index, M, name, O, storedEvents } from './support.ts';

/**
 * The indexer misbehaving (support.ts's hand-built blocks behind the local server): a malformed page
 * and a truncated one stop the source with the source, the request and the field named, nothing of
 * that page written and its cursor where it was; rate limits as dYdX sends them, server errors and slow
 * answers are waited out and change nothing in what is stored.
 */
let server: DydxIndexerServer;
beforeAll(async () => {
  // Ties newest event first: which items of height 1002 the first page holds is known by hand.
  server = await startDydxIndexerServer({ rows: fixtureRows() });
});
afterAll(() => server.close());

const trades = { markets: ['BTC-USD'], read: ['trades'], fromHeight: 1000, limit: 5 };
const cursors = async (db: Awaited<ReturnType<typeof openPgliteTestDb>>['db']) =>
  Object.fromEntries((await db.selectFrom('cursors').select(['stream', 'position']).execute()).map((c) => [c.stream, c.position]));

describe('dYdX pages that cannot be read', () => {
  it('a malformed page fails naming the source, the request and the field; nothing of it is written, its cursor stays; once fixed the run completes', async () => {
    const { db, close } = await openPgliteTestDb();
    try {
      server.setFaults([{ kind: 'malformed', when: (r) => r.endpoint === 'trades' && r.query.get('createdBeforeOrAtHeight') === '1002' }]);
      const error = await index(db, server.url, trades).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(
        /^source dydx: trades BTC-USD at or below height 1002 on dydx \(127\.0\.0\.1:\d+\): trades\[0\]\.size: expected a positive decimal string, got number 12$/,
      );
      // The first page (1003's two trades, then 1002's newest three: the liquidation among them) is stored.
      const got = await storedEvents(db);
      expect(got.liquidations).toEqual([[null, 'long', '0.1', '59900', '5990', '1002', null]]);
      expect(await cursors(db)).toEqual({
        'trades:BTC-USD': JSON.stringify({ v: 1, done: null, sweep: { top: 1003, before: 1002, seen: [eventIdOf(1002, 3, 0), eventIdOf(1002, 2, 0), eventIdOf(1002, 1, 0)], page: null } }),
      });

      server.setFaults([]);
      await index(db, server.url, trades);
      expect((await storedEvents(db)).liquidations).toEqual(FIXTURE_LIQUIDATIONS.map((r) => [null, ...r.slice(1, 6), null]).sort(byJson));
    } finally {
      server.setFaults([]);
      await close();
    }
  });

  it('a truncated answer is retried as transient; one that stays truncated fails with a clear message and writes nothing', async () => {
    const { db, close } = await openPgliteTestDb();
    const fills = { markets: [], subaccounts: [A], read: ['fills'], fromHeight: 1000, limit: 5 };
    try {
      server.setFaults([{ kind: 'truncated', when: (r) => r.endpoint === 'fills' }]);
      const error = await index(db, server.url, fills).catch((e: unknown) => e as Error);
      expect((error as Error).message).toMatch(
        new RegExp(`^fills ${A.address}/0 newest on dydx \\(127\\.0\\.0\\.1:\\d+\\): failed after \\d+ attempts in [\\d.]+ s; last error: the answer is not JSON \\(\\d+ bytes: "\\{\\\\"fills\\\\":\\[`),
      );
      expect(await cursors(db)).toEqual({});
      expect((await storedEvents(db)).liquidations).toEqual([]);

      server.setFaults([{ kind: 'truncated', when: (r) => r.endpoint === 'fills', times: 1 }, { kind: 'dropped', when: (r) => r.endpoint === 'fills', times: 1 }]);
      const summary = await index(db, server.url, fills);
      expect(summary.sources[0]!.retries).toBe(2);
      expect((await storedEvents(db)).liquidations.map((r) => r[0])).toEqual([name(A), name(A), name(A)]);
    } finally {
      server.setFaults([]);
      await close();
    }
  });

  it("waits out dYdX's rate limit (429, Retry-After in ms), server errors and slow answers: the same rows as a quiet indexer", async () => {
    const limited = await startDydxIndexerServer({
      rows: fixtureRows(),
      tieOrder: 'shuffled',
      rateLimit: { points: 4, durationMs: 250 },
      faults: [
        { kind: 'server-error', every: 7 },
        { kind: 'slow', every: 5, delayMs: 600 },
      ],
    });
    const { db, close } = await openPgliteTestDb();
    try {
      const config = dydxConfig(limited.url, { markets: ['BTC-USD'], subaccounts: [A, B, D, O, M], read: ['trades', 'fills'], fromHeight: 1000, limit: 5 });
      const summary = await indexConfig(db, config, { protocols: PROTOCOLS, rpc: { timeoutMs: 400, budgetMs: 20_000, backoffBaseMs: 5, backoffMaxMs: 20 } });
      expect(limited.stats.faults['rate-limit']).toBeGreaterThan(0);
      expect(limited.stats.faults['server-error']).toBeGreaterThan(0);
      expect(limited.stats.faults.slow).toBeGreaterThan(0);
      expect(summary.sources[0]!.retries).toBeGreaterThanOrEqual((limited.stats.faults['rate-limit'] ?? 0) + (limited.stats.faults['server-error'] ?? 0));
      const got = await storedEvents(db);
      expect(got.liquidations).toEqual([...FIXTURE_LIQUIDATIONS].sort(byJson));
      expect(got.adl).toEqual(FIXTURE_ADL);
    } finally {
      await close();
      await limited.close();
    }
  });
});
