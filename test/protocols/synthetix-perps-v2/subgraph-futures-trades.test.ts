import type { Address } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import { positionLiquidatedV2Log } from '../../../src/protocols/synthetix-perps-v2/encode.ts';
import { emitBlock, installLogEmitter } from '../../../src/sim/log-emitter.ts';
import { positionModifiedLog, readChainLogs, synthetixFuturesTrades } from '../../../src/sim/servers/subgraph-feed.ts';
import { startSubgraphServer, type SubgraphServer } from '../../../src/sim/servers/subgraph-server.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';
import { chainAndSubgraphConfig, indexInOrder, seenBy } from '../../helpers/subgraph.ts';
import { norm } from '../support.ts';

const chain = withAnvil(10);
const E18 = 10n ** 18n;
const ETH_PERP_PROXY: Address = '0x2B3bb4c683BFc5239B029131EEf3B1d214478d93';
const BTC_PERP_PROXY: Address = '0x59b007E9ea8F89b069c43F8f45834d30853e3699';
const KEEPER: Address = '0x00000000000000000000000000000000000ee9e2';
const T0 = Date.parse('2025-10-10T21:25:00Z') / 1000;

/**
 * Four PerpsV2 liquidations as the market emits them: PositionModified (size 0, margin 0, the
 * liquidation price) right before PositionLiquidated. One uses the pre-2023-04 one-fee event.
 */
const CASES = [
  { proxy: ETH_PERP_PROXY, id: 11n, size: -3n * E18, price: 1_600n * E18, fees: { flaggerFee: E18, liquidatorFee: E18, stakersFee: 2n * E18 }, feeUsd: '4', side: 'short', sizeUsd: '4800', tokens: '3' },
  { proxy: ETH_PERP_PROXY, id: 12n, size: 5n * E18 / 2n, price: 1_601n * E18, fees: { flaggerFee: 0n, liquidatorFee: E18 / 2n, stakersFee: E18 }, feeUsd: '1.5', side: 'long', sizeUsd: '4002.5', tokens: '2.5' },
  { proxy: BTC_PERP_PROXY, id: 13n, size: E18 / 10n, price: 27_000n * E18, fees: { fee: 15n * E18 }, feeUsd: '15', side: 'long', sizeUsd: '2700', tokens: '0.1' },
  { proxy: BTC_PERP_PROXY, id: 14n, size: -E18, price: 27_010n * E18, fees: { flaggerFee: E18, liquidatorFee: E18, stakersFee: E18 }, feeUsd: '3', side: 'short', sizeUsd: '27010', tokens: '1' },
] as const;

const account = (id: bigint) => `0x${(0xd000n + id).toString(16).padStart(40, '0')}` as Address;

let server: SubgraphServer | undefined;
let handle: LiqscopeDb;
beforeAll(async () => {
  handle = await openPgliteTestDb();
});
afterAll(async () => handle?.close());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('Synthetix PerpsV2 liquidations from the chain and from the perps subgraph', () => {
  it('meet on the natural key itself (the FuturesTrade id’s log index + 1) and are stored once with both sources', async () => {
    const { rpcUrl } = chain();
    await installLogEmitter(rpcUrl, ETH_PERP_PROXY);
    await installLogEmitter(rpcUrl, BTC_PERP_PROXY);
    const tx = (c: (typeof CASES)[number]) => ({
      address: c.proxy,
      logs: [
        positionModifiedLog({ id: c.id, account: account(c.id), margin: 0n, size: 0n, tradeSize: 0n, lastPrice: c.price, fundingIndex: 7n, fee: 0n, skew: 0n }),
        positionLiquidatedV2Log({ id: c.id, account: account(c.id), liquidator: KEEPER, size: c.size, price: c.price, ...c.fees }),
      ],
    });
    const first = await emitBlock(rpcUrl, [tx(CASES[0]), tx(CASES[1])], { timestamp: T0 });
    const last = await emitBlock(rpcUrl, [tx(CASES[2]), tx(CASES[3])], { timestamp: T0 + 2 });
    const logs = await readChainLogs(rpcUrl, { addresses: [ETH_PERP_PROXY, BTC_PERP_PROXY], fromBlock: first.blockNumber, toBlock: last.blockNumber });
    const trades = synthetixFuturesTrades(logs);
    expect(trades.map((t) => t.id)).toEqual([`${first.txHashes[0]!.toLowerCase()}-0`, `${first.txHashes[1]!.toLowerCase()}-2`, `${last.txHashes[0]!.toLowerCase()}-0`, `${last.txHashes[1]!.toLowerCase()}-2`]);
    server = await startSubgraphServer({ rows: { FuturesTrade: trades } });
    const config = chainAndSubgraphConfig({
      rpcUrl, chainId: 10, protocol: 'synthetix-perps-v2', addresses: [ETH_PERP_PROXY, BTC_PERP_PROXY],
      fromBlock: Number(first.blockNumber), toBlock: Number(last.blockNumber), subgraphUrl: server.url,
    });
    await indexInOrder(handle.db, config, ['subgraph', 'chain']);

    const rows = await handle.db.selectFrom('liquidations').selectAll().orderBy('time').orderBy('log_index').execute();
    const hashes = [first.txHashes[0], first.txHashes[1], last.txHashes[0], last.txHashes[1]].map((h) => h!.toLowerCase());
    // PositionLiquidated is each transaction's second log: indexes 1 and 3 in each block.
    expect(rows.map((r) => r.uid)).toEqual([`${hashes[0]}:1`, `${hashes[1]}:3`, `${hashes[2]}:1`, `${hashes[3]}:3`]);
    const seen = await seenBy(handle.db, 'liquidations');
    const chainVersions = new Map(
      (await handle.db.selectFrom('fact_provenance').selectAll().where('table_name', '=', 'liquidations').execute()).map((p) => [p.uid, p.row as Record<string, unknown>]),
    );
    for (const [i, r] of rows.entries()) {
      const c = CASES[i]!;
      expect(seen.get(r.uid)).toEqual({ stored: 'subgraph', also: ['chain'] });
      const stored = { account: r.account, side: r.side, size: norm(r.size), size_usd: norm(r.size_usd), price: norm(r.price), fee_usd: norm(r.fee_usd), market: r.market, tx_hash: r.tx_hash, log_index: r.log_index };
      expect(stored).toEqual({
        account: account(c.id), side: c.side, size: c.tokens, size_usd: c.sizeUsd, price: String(c.price / E18),
        fee_usd: c.feeUsd, market: c.proxy.toLowerCase(), tx_hash: hashes[i], log_index: i % 2 === 0 ? 1 : 3,
      });
      const fromChain = chainVersions.get(r.uid)!;
      expect({ account: fromChain.account, side: fromChain.side, size: fromChain.size, size_usd: fromChain.size_usd, price: fromChain.price, fee_usd: fromChain.fee_usd, market: fromChain.market, tx_hash: fromChain.tx_hash, log_index: fromChain.log_index })
        .toEqual(stored);
      // What only the chain has: the liquidator and the block.
      expect(fromChain.liquidator).toBe(KEEPER);
      expect(r.liquidator).toBeNull();
    }
  });
});
