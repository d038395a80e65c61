import { keccak256, toHex, type Address, type Hex } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import { fastPriceUpdateLog, liquidatePositionLog, updatePositionLog } from '../../../src/protocols/gmx-v1/encode.ts';
import { emitBlock, installLogEmitter } from '../../../src/sim/log-emitter.ts';
import { gmxV1FastPrices, gmxV1LiquidatedPositions, readChainLogs } from '../../../src/sim/servers/subgraph-feed.ts';
import { startSubgraphServer, type SubgraphServer } from '../../../src/sim/servers/subgraph-server.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';
import { chainAndSubgraphConfig, indexInOrder, seenBy } from '../../helpers/subgraph.ts';
import { norm } from '../support.ts';

const chain = withAnvil(42161);
const VAULT: Address = '0x489ee077994B6658eAfA855C308275EAd8097C4A';
const FAST_PRICE_EVENTS: Address = '0x4530b7DE1958270A2376be192a24175D795e1b07';
const WETH: Address = '0x82af49447d8a07e3bd95bd0d56f35241523fbab1';
const WBTC: Address = '0x2f2a2543b76a4166549f7aab2e75bef0aefc5b0f';
const USDC: Address = '0xaf88d065e77c8cc2239327c5edb3a432268e5831';
const FEED: Address = '0x0000000000000000000000000000000000000fee';
const E30 = 10n ** 30n;
const T0 = Date.parse('2025-10-10T21:20:00Z') / 1000;

/** Five liquidations written by hand: size $(10,000 + 1,000 i), collateral $(500 + i), mark $3,300.5 + i. */
function expected(i: number) {
  return {
    key: keccak256(toHex(`v1-position-${i}`)),
    account: `0x${(0xc000 + i).toString(16).padStart(40, '0')}` as Address,
    isLong: i % 2 === 0,
    sizeUsd: String(10_000 + 1_000 * i),
    collateralUsd: String(500 + i),
    markPrice: `${3300 + i}.5`,
  };
}

/**
 * Block 1: the positions' UpdatePosition; blocks 2–3: five LiquidatePosition (Vault), and WETH fast
 * prices, two of them in one second (block 2) and one alone (block 3).
 */
async function emitV1(rpcUrl: string): Promise<{ fromBlock: number; toBlock: number }> {
  await installLogEmitter(rpcUrl, VAULT);
  await installLogEmitter(rpcUrl, FAST_PRICE_EVENTS);
  const updates = [0, 1, 2, 3, 4].map((i) => {
    const e = expected(i);
    return updatePositionLog({ key: e.key, size: BigInt(e.sizeUsd) * E30, collateral: BigInt(e.collateralUsd) * E30, averagePrice: 3500n * E30, entryFundingRate: 0n, reserveAmount: 0n, realisedPnl: 0n });
  });
  const first = await emitBlock(rpcUrl, [{ address: VAULT, logs: updates }], { timestamp: T0 });
  const liquidate = (i: number) => {
    const e = expected(i);
    return liquidatePositionLog({ key: e.key, account: e.account, collateralToken: USDC, indexToken: WETH, isLong: e.isLong, size: BigInt(e.sizeUsd) * E30,
      collateral: BigInt(e.collateralUsd) * E30, reserveAmount: 0n, realisedPnl: -BigInt(e.collateralUsd) * E30, markPrice: (BigInt(3300 + i) * 10n + 5n) * E30 / 10n });
  };
  await emitBlock(rpcUrl, [
    { address: VAULT, logs: [liquidate(0), liquidate(1), liquidate(2)] },
    { address: FAST_PRICE_EVENTS, logs: [fastPriceUpdateLog({ token: WETH, price: 3301n * E30, priceFeed: FEED }), fastPriceUpdateLog({ token: WETH, price: 3299n * E30, priceFeed: FEED })] },
  ], { timestamp: T0 + 60 });
  const last = await emitBlock(rpcUrl, [
    { address: VAULT, logs: [liquidate(3), liquidate(4)] },
    { address: FAST_PRICE_EVENTS, logs: [fastPriceUpdateLog({ token: WBTC, price: 61_000n * E30, priceFeed: FEED })] },
  ], { timestamp: T0 + 61 });
  return { fromBlock: Number(first.blockNumber), toBlock: Number(last.blockNumber) };
}

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

describe('GMX v1 from the chain and from the gmx-arbitrum-stats subgraph', () => {
  it('stores each liquidation once (matched on position key and second), with the subgraph’s version beside it; per-second fast prices are their own rows', async () => {
    const { rpcUrl } = chain();
    const { fromBlock, toBlock } = await emitV1(rpcUrl);
    const logs = await readChainLogs(rpcUrl, { addresses: [VAULT, FAST_PRICE_EVENTS], fromBlock: BigInt(fromBlock), toBlock: BigInt(toBlock) });
    const liquidated = gmxV1LiquidatedPositions(logs);
    const prices = gmxV1FastPrices(logs);
    // A partial liquidation (a DecreasePosition sent by the liquidator) is a trade on chain: the reader leaves it out.
    const partial = { ...liquidated[0]!, id: `${liquidated[0]!.key as string}:${T0 + 59}`, type: 'partial' };
    server = await startSubgraphServer({ rows: { LiquidatedPosition: [...liquidated, partial], FastPrice: prices } });
    const config = chainAndSubgraphConfig({
      rpcUrl, chainId: 42161, protocol: 'gmx-v1', addresses: [VAULT, FAST_PRICE_EVENTS], fromBlock, toBlock, subgraphUrl: server.url,
      subgraphOptions: { entities: ['LiquidatedPosition', 'FastPrice'] },
    });
    await indexInOrder(handle.db, config, ['chain', 'subgraph']);

    const rows = await handle.db.selectFrom('liquidations').selectAll().orderBy('account').execute();
    expect(rows.length).toBe(5);
    const seen = await seenBy(handle.db, 'liquidations');
    const versions = new Map(
      (await handle.db.selectFrom('fact_provenance').selectAll().where('table_name', '=', 'liquidations').execute()).map((p) => [p.uid, p.row as Record<string, unknown>]),
    );
    for (const [i, r] of rows.entries()) {
      const e = expected(i);
      expect(seen.get(r.uid)).toEqual({ stored: 'chain', also: ['subgraph'] });
      expect(r.match_key).toBe(`position:${e.key}:${T0 + (i < 3 ? 60 : 61)}`);
      const mine = { account: r.account, side: r.side, size_usd: norm(r.size_usd), collateral_usd: norm(r.collateral_usd), mark_price: norm(r.mark_price), price: norm(r.price), time: r.time.toISOString(), market: r.market };
      expect(mine).toEqual({
        account: e.account, side: e.isLong ? 'long' : 'short', size_usd: e.sizeUsd, collateral_usd: e.collateralUsd, mark_price: e.markPrice, price: e.markPrice,
        time: new Date((T0 + (i < 3 ? 60 : 61)) * 1000).toISOString(), market: WETH,
      });
      const sub = versions.get(r.uid)!;
      expect({ account: sub.account, side: sub.side, size_usd: sub.size_usd, collateral_usd: sub.collateral_usd, mark_price: sub.mark_price, price: sub.price, time: sub.time, market: sub.market })
        .toEqual(mine);
      expect(sub.uid).toBe(`LiquidatedPosition:${e.key}:${T0 + (i < 3 ? 60 : 61)}`);
    }

    // Oracle rows: the chain's three updates, and the subgraph's last price of each token and second
    // (period `any` only: the `last`, `hourly` and `daily` entities are not read), flagged as such.
    const oracle = await handle.db.selectFrom('oracle_prices').selectAll().orderBy('source_id').orderBy('time').orderBy('uid').execute();
    expect(oracle.map((o) => [o.source_id, o.market, norm(o.price), o.time.getTime() / 1000, o.flags])).toEqual([
      ['chain', WETH, '3301', T0 + 60, []],
      ['chain', WETH, '3299', T0 + 60, []],
      ['chain', WBTC, '61000', T0 + 61, []],
      ['subgraph', WETH, '3299', T0 + 60, ['per_second_last']],
      ['subgraph', WBTC, '61000', T0 + 61, ['per_second_last']],
    ]);
  });
});
