import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { openPgliteTestDb } from '../helpers/db.ts';
import { startRpcProxy, type ProxyOptions, type RpcProxy } from '../helpers/rpc-proxy.ts';
import { protocols, emitPings, pingConfig, storedPings, type Emitted } from './support.ts';

const chain = withAnvil(42161);
const BLOCKS = 2_000;

let emitted: Emitted[] = [];
let firstBlock = 0n;
let lastBlock = 0n;
let proxies: RpcProxy[] = [];

beforeAll(async () => {
  // 200 blocks of 10 logs, each followed by 9 empty blocks: 2,000 blocks, 2,000 events.
  const result = await emitPings(chain().rpcUrl, { blocksWithLogs: 200, perBlock: 10, gap: 9 });
  ({ emitted, firstBlock, lastBlock } = result);
  expect(lastBlock - firstBlock + 1n).toBe(BigInt(BLOCKS));
}, 300_000);

afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

async function proxy(options: Omit<ProxyOptions, 'upstream'>): Promise<RpcProxy> {
  const p = await startRpcProxy({ upstream: chain().rpcUrl, ...options });
  proxies.push(p);
  return p;
}

/** Short timeouts and backoff so that fault storms take seconds, not minutes. */
const rpc = { timeoutMs: 800, backoffBaseMs: 20, backoffMaxMs: 300, maxAttempts: 25, maxRateLimitedAttempts: 200 };

async function indexThrough(urls: string[], opts: { maxBlockRange?: number; concurrency?: number } = {}) {
  const { db, close } = await openPgliteTestDb();
  try {
    const config = pingConfig(urls, { chainId: 42161, startBlock: Number(firstBlock), endBlock: Number(lastBlock), ...opts });
    const summary = await indexConfig(db, config, { protocols, rpc });
    const stored = await storedPings(db);
    return { summary: summary.sources[0]!, stored };
  } finally {
    await close();
  }
}

describe('EVM indexer against a misbehaving provider', () => {
  const limit = 60;
  const minimumCalls = Math.ceil(BLOCKS / limit); // 34

  it.each([
    ['infura', 'a suggested range (Infura wording)'],
    ['quicknode', 'a stated limit (QuickNode wording)'],
    ['plain-range', 'no suggestion ("block range is too wide")'],
  ] as const)('range refusals with %s: exact data, getLogs calls within 2x the minimum', async (refusal, _wording) => {
    const p = await proxy({ maxBlockRange: limit, refusal });
    const { stored } = await indexThrough([p.url]);
    expect(stored.raw).toEqual(emitted);
    expect(stored.decoded).toEqual(emitted);
    expect(p.stats.getLogsRefused).toBeGreaterThan(0);
    // Every getLogs the proxy saw (refused ones included) counts.
    expect(p.stats.getLogsAnswered).toBeLessThanOrEqual(2 * minimumCalls);
  });

  it('result-count refusals ("query returned more than N results") are halved until they pass', async () => {
    const p = await proxy({ maxResults: 25, refusal: 'plain-results' });
    const { stored } = await indexThrough([p.url]);
    expect(stored.raw).toEqual(emitted);
    expect(p.stats.getLogsRefused).toBeGreaterThan(0);
  });

  it('survives 429 storms, timeouts, dropped connections and malformed JSON with every event once', async () => {
    const p = await proxy({
      maxBlockRange: limit,
      refusal: 'infura',
      faultRate: 0.25,
      faults: ['429', '500', 'timeout', 'drop', 'malformed-json', 'wrong-shape'],
      storm429: { period: 40, length: 8 },
      hangMs: 1500,
      seed: 7,
    });
    const { stored, summary } = await indexThrough([p.url]);
    expect(stored.raw).toEqual(emitted);
    expect(stored.decoded).toEqual(emitted);
    for (const fault of ['429', '500', 'timeout', 'drop', 'malformed-json', 'wrong-shape', '429-storm']) {
      expect(p.stats.faults[fault] ?? 0, `fault ${fault} was injected`).toBeGreaterThan(0);
    }
    expect(summary.retries).toBeGreaterThan(0);
    // Calls the proxy actually answered (not sabotaged) stay within 2x the minimum.
    expect(p.stats.getLogsAnswered).toBeLessThanOrEqual(2 * minimumCalls);
  });

  it('fails over to a second RPC URL when the first one is dead', async () => {
    const dead = await proxy({ faultRate: 1, faults: ['drop'] });
    const good = await proxy({});
    const { stored } = await indexThrough([dead.url, good.url]);
    expect(stored.raw).toEqual(emitted);
    expect(dead.stats.requests).toBeGreaterThan(0);
    expect(good.stats.getLogsAnswered).toBeGreaterThan(0);
  });
});
