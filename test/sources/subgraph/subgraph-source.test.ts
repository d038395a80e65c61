import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { logger } from '../../../src/logger.ts';
import { startSubgraphServer, type SubgraphFault, type SubgraphServer } from '../../../src/sim/servers/subgraph-server.ts';
import { forEachDatabase, openPgliteTestDb } from '../../helpers/db.ts';
import { norm } from '../../protocols/support.ts';
import { subgraphConfig, tradeActions, type ExpectedLiquidation } from './fixtures.ts';

/** Short waits: the faults below are retried within the budget in milliseconds, not seconds. */
const FAST = { rpc: { backoffBaseMs: 5, backoffMaxMs: 20, timeoutMs: 2_000, budgetMs: 10_000 } };

async function stored(handle: LiqscopeDb, source: string) {
  return handle.db.selectFrom('liquidations').selectAll().where('source_id', '=', source).orderBy('uid').execute();
}

/** Every stored row against the values written by hand in the fixture. */
function expectExactly(rows: Awaited<ReturnType<typeof stored>>, expected: readonly ExpectedLiquidation[]): void {
  expect(rows.length).toBe(expected.length);
  const byUid = new Map(rows.map((r) => [r.uid, r]));
  for (const e of expected) {
    const r = byUid.get(e.uid);
    expect(r, e.uid).toBeDefined();
    expect({
      venue: r!.venue, chain: r!.chain, chain_id: r!.chain_id, asset: r!.asset, account: r!.account, side: r!.side,
      size_usd: norm(r!.size_usd), price: norm(r!.price), collateral_amount: norm(r!.collateral_amount), fee_usd: norm(r!.fee_usd),
      pnl_usd: norm(r!.pnl_usd), time: r!.time.toISOString(), block_number: r!.block_number, tx_hash: r!.tx_hash, match_key: r!.match_key,
    }).toEqual({
      venue: 'gmx-v2', chain: 'arbitrum', chain_id: 42161, asset: 'ETH', account: e.account, side: e.side,
      size_usd: e.sizeUsd, price: e.price, collateral_amount: e.collateralAmount, fee_usd: e.feeUsd,
      pnl_usd: e.pnlUsd, time: e.time.toISOString(), block_number: String(e.block), tx_hash: e.txHash, match_key: `order:${e.orderKey}`,
    });
  }
}

const pageRequests = (server: SubgraphServer, from = 0) => server.stats.requests.slice(from).filter((r) => r.page > 0);

let server: SubgraphServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

/** One database per file and kind (opening PGlite costs seconds); each test has its own source and ids. */
forEachDatabase((dbName, open) => {
  describe(`subgraph source on ${dbName}`, () => {
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => handle?.close());

    it('stores 2,500 TradeActions over 11 pages exactly once, 300 of them sharing one block and timestamp across page boundaries', async () => {
      const { rows, expected } = tradeActions(2_500, { sameFrom: 900, sameTimestamp: 300, salt: 1 });
      server = await startSubgraphServer({ rows: { TradeAction: rows } });
      const config = subgraphConfig(server.url, { name: 'paging', pageSize: 250 });
      const summary = await indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
      expectExactly(await stored(handle, 'paging'), expected);
      // 10 full pages and the empty one that ends the window, all at the block _meta gave, ordered by id.
      const pages = pageRequests(server);
      expect(pages.length).toBe(11);
      expect(new Set(pages.map((p) => p.block))).toEqual(new Set([server.head()]));
      expect(pages.every((p) => p.first === 250)).toBe(true);
      const afterIds = pages.map((p) => (p.variables.where as { id_gt: string }).id_gt);
      expect(afterIds[0]).toBe('');
      expect([...afterIds].sort()).toEqual(afterIds);
      expect(summary.sources[0]!.records).toBe(2_500);
      // The tie group really straddles pages: its members were answered on most of them.
      const tie = new Set(expected.slice(900, 1200).map((e) => e.uid));
      const sorted = expected.map((e) => e.uid).sort();
      const pagesOfTie = new Set(sorted.flatMap((uid, i) => (tie.has(uid) ? [Math.floor(i / 250)] : [])));
      expect(pagesOfTie.size).toBe(10);

      // A second run reads nothing new and changes nothing.
      const again = await indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
      expect(again.sources[0]!.records).toBe(0);
      expect((await stored(handle, 'paging')).length).toBe(2_500);
    });

    it('pins one block per pull: entities indexed while a pull pages are read by the next pull, not half by this one', async () => {
      const first = tradeActions(1_200, { firstBlock: 1000, salt: 2 });
      const later = tradeActions(300, { firstBlock: 5000, salt: 3 });
      let added = false;
      server = await startSubgraphServer({
        rows: { TradeAction: first.rows },
        onRequest: (request, s) => {
          // While the first pull is on its second page, the subgraph indexes 300 more, at higher blocks.
          if (request.page === 2 && !added) {
            added = true;
            s.add('TradeAction', later.rows);
          }
        },
      });
      const pinned = server.head();
      const config = subgraphConfig(server.url, { name: 'pinned', pageSize: 100 });
      await indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
      expect(added).toBe(true);
      expectExactly(await stored(handle, 'pinned'), first.expected);
      const pull1 = pageRequests(server);
      expect(new Set(pull1.map((p) => p.block))).toEqual(new Set([pinned]));

      const before = server.stats.requests.length;
      await indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
      expectExactly(await stored(handle, 'pinned'), [...first.expected, ...later.expected]);
      // The second pull reads only the blocks after the first one's (entities changed since).
      const pull2 = pageRequests(server, before);
      expect(new Set(pull2.map((p) => p.block))).toEqual(new Set([server.head()]));
      expect(pull2.every((p) => (p.variables.where as { _change_block: { number_gte: number } })._change_block.number_gte === pinned + 1)).toBe(true);
    });
  });
});

describe('subgraph source faults', () => {
  let handle: LiqscopeDb;
  beforeAll(async () => {
    handle = await openPgliteTestDb();
  });
  afterAll(async () => handle?.close());

  it('retries 429s, 500s, indexing_error, an indexer behind the pinned block, a slow answer, a truncated and a non-JSON body, and stores every entity once', async () => {
    const { rows, expected } = tradeActions(1_000, { sameFrom: 400, sameTimestamp: 150, salt: 10 });
    // One fault before every other page request: each of the first pages is first refused, then served.
    const plan: Record<number, SubgraphFault> = {
      1: { kind: 'status', status: 429, retryAfterSeconds: 0 },
      3: { kind: 'status', status: 500 },
      5: { kind: 'indexing-error' },
      7: { kind: 'behind' },
      9: { kind: 'slow', delayMs: 1_500 },
      11: { kind: 'truncated' },
      13: { kind: 'not-json' },
      15: { kind: 'status', status: 502 },
    };
    server = await startSubgraphServer({ rows: { TradeAction: rows }, faults: (r) => (r.page > 0 ? plan[r.page] : null) });
    const summary = await indexConfig(handle.db, subgraphConfig(server.url, { name: 'faults', pageSize: 100 }), {
      protocols: PROTOCOLS,
      // A timeout well above an ordinary page's time on a loaded machine, below the slow answer's delay.
      rpc: { ...FAST.rpc, timeoutMs: 1_000 },
    });
    expectExactly(await stored(handle, 'faults'), expected);
    expect(summary.sources[0]!.retries).toBe(8);
    expect(server.stats.requests.filter((r) => r.fault !== null).map((r) => r.fault)).toEqual([
      'status', 'status', 'indexing-error', 'behind', 'slow', 'truncated', 'not-json', 'status',
    ]);
  });

  it('says the subgraph has indexing errors as a warning and goes on', async () => {
    const { rows, expected } = tradeActions(50, { salt: 11 });
    server = await startSubgraphServer({ rows: { TradeAction: rows }, hasIndexingErrors: true });
    const warn = vi.spyOn(logger, 'warn');
    await indexConfig(handle.db, subgraphConfig(server.url, { name: 'flagged' }), { protocols: PROTOCOLS, ...FAST });
    expectExactly(await stored(handle, 'flagged'), expected);
    const lines = warn.mock.calls.map((c) => String(c[1]));
    expect(lines.filter((l) => l.includes('hasIndexingErrors'))).toEqual([
      expect.stringMatching(/^source flagged: the subgraph on flagged \(127\.0\.0\.1:\d+\) reports indexing errors/),
    ]);
  });

  it('fails on a page with a malformed entity naming the source, the page and the field; nothing of it is written; a rerun completes exactly', async () => {
    const { rows, expected } = tradeActions(1_000, { salt: 12 });
    let broken = true;
    server = await startSubgraphServer({
      rows: { TradeAction: rows },
      faults: (r) =>
        broken && r.page === 3
          ? { kind: 'malformed', edit: (answer) => ((answer.data!.items as Record<string, unknown>[])[17]!.sizeDeltaUsd = '12.5e3', answer) }
          : null,
    });
    const config = subgraphConfig(server.url, { name: 'malformed', pageSize: 200 });
    const run = indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
    const sortedIds = rows.map((r) => r.id).sort();
    const afterPage2 = sortedIds[399]!;
    await expect(run).rejects.toThrow(
      `source malformed: TradeAction page after id ${afterPage2} of blocks 0–1999 on malformed (127.0.0.1:${new URL(server.url).port}): [17].sizeDeltaUsd: expected a non-negative BigInt (a decimal integer string) (item id "${sortedIds[417]}")`,
    );
    // Pages 1 and 2 are stored, page 3 not at all, and the cursor is after page 2's last id.
    expect((await stored(handle, 'malformed')).map((r) => r.uid).sort()).toEqual(sortedIds.slice(0, 400));
    const cursor = await handle.db.selectFrom('cursors').select('position').where('source_id', '=', 'malformed').executeTakeFirstOrThrow();
    expect(JSON.parse(cursor.position)).toEqual({ since: 0, block: 1999, lastId: afterPage2 });

    broken = false;
    await indexConfig(handle.db, config, { protocols: PROTOCOLS, ...FAST });
    expectExactly(await stored(handle, 'malformed'), expected);
  });

  it('gives up on a page that stays truncated after the budget, with the last error; nothing of it is written', async () => {
    const { rows } = tradeActions(300, { salt: 13 });
    server = await startSubgraphServer({ rows: { TradeAction: rows }, faults: (r) => (r.page >= 2 ? { kind: 'truncated' } : null) });
    const run = indexConfig(handle.db, subgraphConfig(server.url, { name: 'truncated', pageSize: 100 }), { protocols: PROTOCOLS, rpc: { ...FAST.rpc, budgetMs: 300 } });
    await expect(run).rejects.toThrow(
      /^source truncated: TradeAction page after id 0x[0-9a-f]{64}:\d of blocks 0–1299 on truncated \(127\.0\.0\.1:\d+\): failed after \d+ attempts in [\d.]+ s; last error: the answer is not a GraphQL JSON result \(truncated or malformed body\)$/,
    );
    expect((await stored(handle, 'truncated')).length).toBe(100);
  });

  it('refuses a query the schema rejects at once, with the server message', async () => {
    const { rows } = tradeActions(10, { salt: 14 });
    server = await startSubgraphServer({ rows: { TradeAction: rows }, faults: (r) => (r.page === 1 ? { kind: 'graphql-error', message: 'Type `TradeAction` has no field `sizeDeltaUSD`' } : null) });
    await expect(indexConfig(handle.db, subgraphConfig(server.url, { name: 'refused' }), { protocols: PROTOCOLS, ...FAST })).rejects.toThrow(
      /TradeAction page after the start of blocks 0–1009 on refused \(127\.0\.0\.1:\d+\): GraphQL error: Type `TradeAction` has no field `sizeDeltaUSD`$/,
    );
    expect(server.stats.requests.length).toBe(2);
  });

  it('holds to graph-node’s first ≤ 1000: the config refuses a larger page, the server refuses a larger first', async () => {
    expect(() => subgraphConfig('http://127.0.0.1:1/x', { pageSize: 1001 })).toThrow(/at most 1000: graph-node refuses a larger `first`/);
    expect(configSchema.parse({ chains: {}, sources: [{ name: 's', kind: 'subgraph', protocol: 'gmx-v2', chain: 'a', url: 'http://x.example/q' }] }).sources[0]).toMatchObject({ pageSize: 1000 });
    server = await startSubgraphServer({ rows: { TradeAction: tradeActions(5, { salt: 15 }).rows } });
    const answer = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ tradeActions(first: 1001) { id } }' }),
    }).then((r) => r.json() as Promise<{ errors: { message: string }[] }>);
    expect(answer.errors[0]!.message).toBe('The `first` argument must be between 0 and 1000, but is 1001');
  });
});
