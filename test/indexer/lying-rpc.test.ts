import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { Database } from '../../src/db/schema.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { ChainIdMismatchError } from '../../src/sources/evm/chain-id.ts';
import { LyingProviderError } from '../../src/sources/evm/log-fetcher.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { openPgliteTestDb } from '../helpers/db.ts';
import { FAKE_BLOCK_HASH, FOREIGN_ADDRESS, FOREIGN_TOPIC0, startLyingProxy, TAMPERED_TOPIC1, type Lie, type LyingProxy } from '../helpers/lying-proxy.ts';
import { EMITTER, protocols, emitPings, pingConfig, storedPings, type Emitted } from './support.ts';

const chain = withAnvil(42161);

let emitted: Emitted[] = [];
let firstBlock = 0n;
let lastBlock = 0n;
/** A block with logs in the middle of the range: the lies are told about the range holding it. */
let lieBlock = 0n;
let proxies: LyingProxy[] = [];
/** One store for the file, emptied before each run (a fresh migrated PGlite costs seconds). */
let store: LiqscopeDb;

beforeAll(async () => {
  store = await openPgliteTestDb();
  // 40 blocks of 5 Pings, each followed by 4 empty blocks: 200 blocks, 200 events.
  ({ emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 40, perBlock: 5, gap: 4 }));
  lieBlock = emitted[100]!.block;
}, 120_000);

afterAll(async () => {
  await store?.close();
});

afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

async function lyingProxy(lie: Lie, extra: { times?: number; atBlock?: bigint } = {}): Promise<LyingProxy> {
  const proxy = await startLyingProxy({ upstream: chain().rpcUrl, lie, ...extra });
  proxies.push(proxy);
  return proxy;
}

/** Short transport timeouts and backoff, so that a test takes seconds. */
const rpc = { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200 };

async function cursorOf(db: Kysely<Database>): Promise<bigint | undefined> {
  const row = await db.selectFrom('cursors').select('position').where('source_id', '=', 'pings').executeTakeFirst();
  return row ? BigInt(row.position) : undefined;
}

/** Indexes the test range through `urls`; returns the run's error (if any), what was stored and the cursor. */
async function indexThrough(urls: string[], opts: { chainId?: number } = {}) {
  const { db } = store;
  await sql`truncate raw_logs, blocks, cursors, venue_events, decode_errors, pending_joins, sources cascade`.execute(db);
  {
    // Ranges of at most 25 blocks, one at a time: the lying range is fetched alone, after the honest ones.
    const config = pingConfig(urls, { chainId: opts.chainId ?? 42161, startBlock: Number(firstBlock), endBlock: Number(lastBlock), maxBlockRange: 25, concurrency: 1 });
    const error = await indexConfig(db, config, { protocols, rpc }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const raw = await db.selectFrom('raw_logs').select(['address', 'topic0', 'block_hash', 'log_index']).where('source_id', '=', 'pings').execute();
    return { error, stored: await storedPings(db), raw, cursor: await cursorOf(db) };
  }
}

const hostOf = (url: string) => new URL(url).host;

describe('a lying RPC provider is refused, never stored, never taken for a reorg', () => {
  const cases: [string, Lie, () => RegExp][] = [
    ['a log from a foreign address', { kind: 'foreign-address' }, () => new RegExp(`of contract ${FOREIGN_ADDRESS}, which the request did not ask for \\(${EMITTER.toLowerCase()}\\)`)],
    ['a log with a topic0 outside the filter', { kind: 'foreign-topic0' }, () => new RegExp(`with topic0 ${FOREIGN_TOPIC0}, which is not in the request's topic filter`)],
    ['the same log twice', { kind: 'duplicate' }, () => /returned block \d+, logIndex 0 twice/],
    ['a logIndex of 2^40', { kind: 'huge-log-index' }, () => /with logIndex 1099511627776, beyond any real block/],
    ['a log outside the requested range', { kind: 'out-of-range' }, () => /returned a log of block \d+ \(block \d+, logIndex \d+\), outside the requested range/],
    ['logs with a block hash the header denies', { kind: 'wrong-block-hash' }, () => new RegExp(`with blockHash ${FAKE_BLOCK_HASH}, but the block's header has 0x[0-9a-f]{64} \\(the chain did not move`)],
    ['a fabricated log in a block with no log (absent from its logsBloom)', { kind: 'fabricated-in-empty-block' }, () => new RegExp(`of contract ${EMITTER.toLowerCase()}, which is not in the block's logsBloom`)],
    ['a log whose indexed value was changed (absent from its logsBloom)', { kind: 'tampered-topic1' }, () => new RegExp(`whose topic1 ${TAMPERED_TOPIC1} is not in the block's logsBloom`)],
  ];

  it.each(cases)('%s: the run fails after 4 attempts with one clear error, and stores nothing of the lying range', async (_name, lie, expected) => {
    const proxy = await lyingProxy(lie, { atBlock: lieBlock });
    const { error, stored, raw, cursor } = await indexThrough([proxy.url]);

    expect(error).toBeInstanceOf(LyingProviderError);
    const message = error!.message;
    expect(message).toMatch(expected());
    // The endpoint by its host (the URL's path or query could hold a key), and the range it lied about.
    expect(message).toContain(`local#0 (${hostOf(proxy.url)})`);
    const range = /for blocks (\d+)–(\d+)/.exec(message);
    expect(range, message).not.toBeNull();
    expect(BigInt(range![1]!) <= lieBlock && lieBlock <= BigInt(range![2]!)).toBe(true);
    // Retried 3 + 1 (endpoints) times with backoff, then given up: not 50 restarts as a "reorg".
    expect(proxy.lies).toBe(4);

    // What was stored is exactly the emitted logs up to the cursor (if a batch was written before the
    // failure), which stopped before the lie.
    const upTo = cursor ?? firstBlock - 1n;
    expect(upTo < lieBlock).toBe(true);
    expect(stored.raw).toEqual(emitted.filter((e) => e.block <= upTo));
    expect(stored.decoded).toEqual(emitted.filter((e) => e.block <= upTo));
    expect(raw.every((r) => r.address === EMITTER.toLowerCase() && r.block_hash !== FAKE_BLOCK_HASH && r.log_index < 1000)).toBe(true);
  });

  it('a lie told once is retried away: every event stored exactly once, nothing of the lie', async () => {
    const proxy = await lyingProxy({ kind: 'foreign-address' }, { times: 1, atBlock: lieBlock });
    const { error, stored, raw, cursor } = await indexThrough([proxy.url]);
    expect(error).toBeUndefined();
    expect(proxy.lies).toBe(1);
    expect(cursor).toBe(lastBlock);
    expect(stored.raw).toEqual(emitted);
    expect(stored.decoded).toEqual(emitted);
    expect(raw.some((r) => r.address === FOREIGN_ADDRESS)).toBe(false);
  });

  it('fails over from a lying endpoint to an honest one and stores the truth', async () => {
    const liar = await lyingProxy({ kind: 'wrong-block-hash' });
    const honest = await lyingProxy({ kind: 'drop', logIndex: 99 }); // never drops anything: 5 logs per block
    const { error, stored, raw } = await indexThrough([liar.url, honest.url]);
    expect(error).toBeUndefined();
    expect(liar.lies).toBeGreaterThan(0);
    expect(honest.getLogs).toBeGreaterThan(0);
    expect(stored.raw).toEqual(emitted);
    expect(raw.some((r) => r.block_hash === FAKE_BLOCK_HASH)).toBe(false);
  });

  it('a provider reporting another chain id fails the run at start, naming the chain, both ids and the endpoint', async () => {
    const proxy = await lyingProxy({ kind: 'chain-id', chainId: 10 });
    const { error, raw, cursor } = await indexThrough([proxy.url]);
    expect(error).toBeInstanceOf(ChainIdMismatchError);
    expect(error!.message).toContain('chain "local" is configured with chainId 42161');
    expect(error!.message).toContain(`local#0 (${hostOf(proxy.url)}) serves chain 10`);
    expect(proxy.getLogs).toBe(0);
    expect(raw).toEqual([]);
    expect(cursor).toBeUndefined();
  });

  it('a 42161 node configured as chain 1 fails at start with the configured and actual ids', async () => {
    const { error, raw, cursor } = await indexThrough([chain().rpcUrl], { chainId: 1 });
    expect(error).toBeInstanceOf(ChainIdMismatchError);
    expect(error!.message).toContain('chain "local" is configured with chainId 1, but');
    expect(error!.message).toContain('serves chain 42161');
    expect(raw).toEqual([]);
    expect(cursor).toBeUndefined();
  });

  it('a backup endpoint of another chain is caught too, before anything is fetched', async () => {
    const backup = await lyingProxy({ kind: 'chain-id', chainId: 1 });
    const { error, raw } = await indexThrough([chain().rpcUrl, backup.url]);
    expect(error).toBeInstanceOf(ChainIdMismatchError);
    expect(error!.message).toContain(`local#1 (${hostOf(backup.url)}) serves chain 1`);
    expect(raw).toEqual([]);
  });
});
