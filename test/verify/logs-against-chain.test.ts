import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, type Hex } from 'viem';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import type { Decoder } from '../../src/pipeline/decode.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';
import { acquireSourceLock, SourceLockedError } from '../../src/indexer/source-lock.ts';
import { rpc as rawRpc } from '../../src/sim/log-emitter.ts';
import { ChainIdMismatchError } from '../../src/sources/evm/chain-id.ts';
import { LyingProviderError } from '../../src/sources/evm/log-fetcher.ts';
import { verifyLogsAgainstChain, VerifyRequestError } from '../../src/verify/logs-against-chain.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { forEachDatabase, type OpenTestDb } from '../helpers/db.ts';
import { startLyingProxy, type LyingProxy } from '../helpers/lying-proxy.ts';
import { protocols, EMITTER, emitPings, pingConfig, pingProtocol, PING_TOPIC0, storedPings, type Emitted } from '../indexer/support.ts';

const chain = withAnvil(42161);

let emitted: Emitted[] = [];
let firstBlock = 0n;
let lastBlock = 0n;
let dropper: LyingProxy;
const proxies: LyingProxy[] = [];

/** The Ping logs as anvil itself serves them, keyed and with every field verify compares. */
async function logsOnAnvil() {
  const logs = await rawRpc<{ blockNumber: Hex; logIndex: Hex; blockHash: Hex; transactionHash: Hex; transactionIndex: Hex; address: Hex; topics: Hex[]; data: Hex }[]>(
    chain().rpcUrl,
    'eth_getLogs',
    [{ fromBlock: toHex(firstBlock), toBlock: toHex(lastBlock), address: EMITTER, topics: [PING_TOPIC0] }],
  );
  return logs.map((l) => ({
    block: BigInt(l.blockNumber).toString(),
    logIndex: Number(BigInt(l.logIndex)),
    blockHash: l.blockHash,
    txHash: l.transactionHash,
    txIndex: Number(BigInt(l.transactionIndex)),
    topics: l.topics,
    data: l.data,
  }));
}

async function storedRaw(db: Kysely<Database>) {
  const rows = await db
    .selectFrom('raw_logs')
    .select(['block_number', 'log_index', 'block_hash', 'tx_hash', 'tx_index', 'topic0', 'topic1', 'topic2', 'topic3', 'data'])
    .where('source_id', '=', 'pings')
    .orderBy('block_number')
    .orderBy('log_index')
    .execute();
  return rows.map((r) => ({
    block: String(r.block_number),
    logIndex: r.log_index,
    blockHash: r.block_hash,
    txHash: r.tx_hash,
    txIndex: r.tx_index,
    topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t) => t !== null),
    data: `0x${Buffer.from(r.data as Uint8Array).toString('hex')}`,
  }));
}

beforeAll(async () => {
  // 30 blocks of 5 Pings, each followed by 4 empty blocks: 150 blocks, 150 events.
  ({ emitted, firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 30, perBlock: 5, gap: 4 }));
  dropper = await startLyingProxy({ upstream: chain().rpcUrl, lie: { kind: 'drop', logIndex: 2 } });
}, 120_000);

afterAll(async () => {
  await dropper?.close();
  await Promise.all(proxies.map((p) => p.close()));
});

const rpc = { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200 };
const config = (urls: string[]) => pingConfig(urls, { chainId: 42161, startBlock: Number(firstBlock), endBlock: Number(lastBlock), maxBlockRange: 40, concurrency: 2 });

/** A store indexed through the provider that drops every logIndex 2: 120 of 150 events. */
async function indexedThroughDropper(open: OpenTestDb) {
  const handle = await open();
  await indexConfig(handle.db, config([dropper.url]), { protocols, rpc });
  return handle;
}

/** The logs the provider dropped, in chain order (it records them in the order it served ranges, which concurrent requests vary). */
const droppedInOrder = () => [...dropper.dropped].sort((a, b) => (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : a.logIndex - b.logIndex));
const droppedKeys = () => droppedInOrder().map((d) => `${d.blockNumber}:${d.logIndex}`);

forEachDatabase((dbName, open) => {
  describe(`verify a source's raw logs against the chain on ${dbName}`, () => {
    it('finds exactly the logs a provider dropped, and --repair stores them and rebuilds the facts', async () => {
      const { db, close } = await indexedThroughDropper(open);
      try {
        const before = await storedPings(db);
        expect(before.raw).toEqual(emitted.filter((_, i) => i % 5 !== 2));
        expect(before.decoded).toEqual(before.raw);

        const found = await verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: chain().rpcUrl }, protocols, rpc });
        expect(found.discrepancies.map((d) => `${d.blockNumber}:${d.logIndex}`)).toEqual(droppedKeys());
        expect(found.discrepancies.every((d) => d.kind === 'missing')).toBe(true);
        expect(found.discrepancies.map((d) => d.txHash)).toEqual(droppedInOrder().map((d) => d.txHash));
        expect([found.chainLogs, found.storedLogs, found.from, found.to]).toEqual([150, 120, firstBlock, lastBlock]);
        expect(found.repair).toBeUndefined();

        const repaired = await verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: chain().rpcUrl }, repair: true, protocols, rpc });
        expect(repaired.repair).toEqual({ inserted: 30, deleted: 0, redecodedLogs: 150, rows: 150 });
        // The store equals the chain as anvil reports it, field by field; the facts equal what was emitted.
        expect(await storedRaw(db)).toEqual(await logsOnAnvil());
        const after = await storedPings(db);
        expect(after.raw).toEqual(emitted);
        expect(after.decoded).toEqual(emitted);

        const clean = await verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'receipts' }, protocols, rpc });
        expect(clean.discrepancies).toEqual([]);
        expect(clean.chainLogs).toBe(150);
      } finally {
        await close();
      }
    });

    it('--against receipts reads only the blocks whose bloom may hold the source\'s logs', async () => {
      const { db, close } = await indexedThroughDropper(open);
      try {
        const found = await verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'receipts' }, protocols, rpc });
        expect(found.discrepancies.map((d) => `${d.blockNumber}:${d.logIndex}`)).toEqual(droppedKeys());
        // 30 blocks hold Pings; the 120 empty blocks' blooms rule them out (no false positive here).
        expect(found.calls.eth_getBlockReceipts).toBe(30);
      } finally {
        await close();
      }
    });

    it('a repair is one transaction: a decoder failure leaves the raw logs as they were', async () => {
      const { db, close } = await indexedThroughDropper(open);
      try {
        const failing: Decoder<RawLog> = { decode: async () => Promise.reject(new Error('decoder exploded')) };
        await expect(
          verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: chain().rpcUrl }, repair: true, protocols: [pingProtocol(failing)], rpc }),
        ).rejects.toThrow('decoder exploded');
        expect((await storedPings(db)).raw).toHaveLength(120);
        expect((await storedPings(db)).decoded).toHaveLength(120);
      } finally {
        await close();
      }
    });

    it('a second provider that lies is refused, not trusted, and nothing is repaired', async () => {
      const { db, close } = await indexedThroughDropper(open);
      const liar = await startLyingProxy({ upstream: chain().rpcUrl, lie: { kind: 'foreign-address' } });
      proxies.push(liar);
      try {
        await expect(
          verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: liar.url }, repair: true, protocols, rpc }),
        ).rejects.toThrow(LyingProviderError);
        expect((await storedPings(db)).raw).toHaveLength(120);
      } finally {
        await close();
      }
    });

    it('refuses a second provider of another chain, and a range outside what was indexed', async () => {
      const { db, close } = await indexedThroughDropper(open);
      const otherChain = await startLyingProxy({ upstream: chain().rpcUrl, lie: { kind: 'chain-id', chainId: 1 } });
      proxies.push(otherChain);
      try {
        await expect(verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: otherChain.url }, protocols, rpc })).rejects.toThrow(
          new ChainIdMismatchError(`--against rpc: ${new URL(otherChain.url).host} serves chain 1, but source "pings" is on chain "local" (chainId 42161)`),
        );
        const verify = (range: { from?: bigint; to?: bigint }) => verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'receipts' }, protocols, rpc, ...range });
        await expect(verify({ to: lastBlock + 1n })).rejects.toThrow(VerifyRequestError);
        await expect(verify({ from: firstBlock - 1n })).rejects.toThrow(`--from ${firstBlock - 1n} is before source "pings"'s startBlock ${firstBlock}`);
        await expect(verify({ from: firstBlock + 10n, to: firstBlock + 5n })).rejects.toThrow(`--from ${firstBlock + 10n} is after --to ${firstBlock + 5n}`);
      } finally {
        await close();
      }
    });

    if (dbName === 'postgres') {
      it('--repair waits for no index run: it fails with SourceLockedError while one holds the source', async () => {
        const { db, close } = await indexedThroughDropper(open);
        const lock = await acquireSourceLock(db, 'postgres', 'pings');
        try {
          await expect(
            verifyLogsAgainstChain(db, config([dropper.url]), { source: 'pings', against: { kind: 'rpc', url: chain().rpcUrl }, repair: true, protocols, rpc, dbKind: 'postgres' }),
          ).rejects.toThrow(SourceLockedError);
          expect((await storedPings(db)).raw).toHaveLength(120);
        } finally {
          await lock.release();
          await close();
        }
      });
    }
  });
});
