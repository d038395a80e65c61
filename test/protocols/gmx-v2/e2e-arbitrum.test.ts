import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { emitBlock, installLogEmitter, rpc } from '../../../src/sim/log-emitter.ts';
import {
  encodeGmxEventLog,
  insolventCloseLog,
  oraclePriceUpdateLog,
  orderExecutedLog,
  positionDecreaseLog,
  positionFeesLog,
  positionKey,
} from '../../../src/protocols/gmx-v2/encode.ts';
import { fastPriceUpdateLog, liquidatePositionLog, updatePositionLog } from '../../../src/protocols/gmx-v1/encode.ts';
import { priceFeedUpdateLog } from '../../../src/protocols/pyth/encode.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { localConfig, norm } from '../support.ts';

/** Real Arbitrum addresses (shared/formats.md): the emitter is installed at them on anvil with chain id 42161. */
const EVENT_EMITTER: Address = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';
const GMX_V1_VAULT: Address = '0x489ee077994B6658eAfA855C308275EAd8097C4A';
const FAST_PRICE_EVENTS: Address = '0x4530b7DE1958270A2376be192a24175D795e1b07';
const PYTH: Address = '0xff1a0f4744e8582DF1aE09D5611b887B6a12925C';
const ETH_MARKET: Address = '0x70d95587d40A2caf56bd97485aB3Eec10Bee6336';
const WETH: Address = '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1';
const USDC: Address = '0xaf88d065e77c8cC2239327C5EDb3A432268e5831';
const TRADER: Address = '0x00000000000000000000000000000000000a11ce';
const USD = 10n ** 30n;
const T0 = 1_760_130_903; // 2025-10-10 21:15:03 UTC
const orderKey = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

const chain = withAnvil(42161);

async function head(): Promise<number> {
  return Number(BigInt(await rpc<Hex>(chain().rpcUrl, 'eth_blockNumber')));
}

/** A market decrease (orderType 4) of 2 ETH short at 3,500: an ADL iff its OrderExecuted says secondaryOrderType 1. */
function marketDecrease(key: Hex) {
  return positionDecreaseLog({
    account: TRADER, market: ETH_MARKET, collateralToken: WETH, isLong: false,
    executionPrice: 3_500n * 10n ** 12n, indexTokenPrice: { min: 3_500n * 10n ** 12n, max: 3_500n * 10n ** 12n },
    collateralTokenPrice: { min: 3_500n * 10n ** 12n, max: 3_500n * 10n ** 12n },
    sizeDeltaUsd: 7_000n * USD, sizeDeltaInTokens: 2n * 10n ** 18n, orderType: 4n, basePnlUsd: 250n * USD, orderKey: key,
  });
}
const adlExecuted = (key: Hex, secondaryOrderType = 1n) => orderExecutedLog({ key, account: TRADER, secondaryOrderType });
const gmx = (logs: { topics: Hex[]; data: Hex }[]) => ({ address: EVENT_EMITTER, logs });

forEachDatabase((dbName, open) => {
  describe(`protocols end to end on anvil (Arbitrum, chain 42161) on ${dbName}`, () => {
    it('GMX v2: the tables hold what was emitted, malformed logs go to decode_errors and the sync goes on', async () => {
      const { db, close } = await open();
      try {
        await installLogEmitter(chain().rpcUrl, EVENT_EMITTER);
        const start = (await head()) + 1;
        const k = orderKey(1);
        const liquidation = positionDecreaseLog({
          account: TRADER, market: ETH_MARKET, collateralToken: USDC, isLong: true,
          executionPrice: 3_460_220_000_000_000n, indexTokenPrice: { min: 3_460_210_000_000_000n, max: 3_460_230_000_000_000n },
          collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n }, sizeDeltaUsd: 10_000n * USD, sizeDeltaInTokens: 2_890_000_000_000_000_000n,
          collateralDeltaAmount: 400_000_000n, orderType: 7n, basePnlUsd: -1_234n * USD, orderKey: k,
          extra: { uint: { someNewKey: [4n, 5n] } },
        });
        const fees = positionFeesLog({
          orderKey: k, positionKey: positionKey(TRADER, ETH_MARKET, USDC, true), market: ETH_MARKET, collateralToken: USDC, trader: TRADER,
          collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n }, tradeSizeUsd: 10_000n * USD, liquidationFeeAmount: 20_000_000n, isIncrease: false,
        });
        const b1 = await emitBlock(chain().rpcUrl, [gmx([fees, liquidation])], { timestamp: T0 });
        const malformed = { topics: liquidation.topics, data: liquidation.data.slice(0, 400) as Hex };
        const unknownEvent = encodeGmxEventLog({ emitter: 'EventLog', msgSender: TRADER, eventName: 'PositionDecrease', eventData: { uint: { x: 1n } } });
        const b2 = await emitBlock(
          chain().rpcUrl,
          [gmx([malformed, unknownEvent, oraclePriceUpdateLog({ token: WETH, provider: TRADER, minPrice: 3_460_000_000_000_000n, maxPrice: 3_460_440_000_000_000n, timestamp: BigInt(T0 + 1) })])],
          { timestamp: T0 + 2 },
        );
        const config = localConfig(chain().rpcUrl, 42161, [{ name: 'gmx', protocol: 'gmx-v2', addresses: [EVENT_EMITTER], startBlock: start, endBlock: Number(b2.blockNumber) }]);
        await indexConfig(db, config, { protocols: PROTOCOLS });

        const liqs = await db.selectFrom('liquidations').selectAll().execute();
        expect(liqs).toHaveLength(1);
        expect(liqs[0]).toMatchObject({
          venue: 'gmx-v2', chain_id: 42161, market: ETH_MARKET.toLowerCase(), symbol: 'ETH/USD', account: TRADER, side: 'long',
          tx_hash: b1.txHashes[0]!.toLowerCase(), log_index: 1, uid: `${b1.txHashes[0]!.toLowerCase()}:1`, block_number: String(b1.blockNumber),
          source_id: 'gmx', flags: [],
        });
        // Exact NUMERIC values read back from the database (scale may differ, so compare numerically as strings via Number-free checks).
        expect([liqs[0]!.price, liqs[0]!.size, liqs[0]!.size_usd, liqs[0]!.pnl_usd, liqs[0]!.fee_usd, liqs[0]!.collateral_amount].map(norm)).toEqual([
          '3460.22', '2.89', '10000', '-1234', '20', '400',
        ]);
        expect(liqs[0]!.time).toEqual(new Date(T0 * 1000));
        expect(liqs[0]!.extra).toMatchObject({ someNewKey: ['4', '5'], orderKey: k });

        const prices = await db.selectFrom('oracle_prices').selectAll().execute();
        expect(prices.map((p) => [p.market, p.symbol, norm(p.price), norm(p.price_min!), norm(p.price_max!)])).toEqual([[WETH.toLowerCase(), 'WETH', '3460.22', '3460', '3460.44']]);
        expect(prices[0]!.time).toEqual(new Date((T0 + 1) * 1000));
        expect(prices[0]!.block_time).toEqual(new Date((T0 + 2) * 1000));

        const errors = await db.selectFrom('decode_errors').select(['log_index', 'event', 'reason', 'block_number']).orderBy('log_index').execute();
        expect(errors.map((e) => [e.block_number, e.log_index])).toEqual([[String(b2.blockNumber), 0], [String(b2.blockNumber), 1]]);
        expect(errors[0]!.reason).toMatch(/^EventLog1: cannot decode ABI data/);
        expect(errors[1]!.reason).toMatch(/^PositionDecrease: missing required address item "account"/);
        const cursor = await db.selectFrom('cursors').select('position').where('source_id', '=', 'gmx').executeTakeFirstOrThrow();
        expect(BigInt(cursor.position)).toBe(b2.blockNumber);
      } finally {
        await close();
      }
    });

    it('GMX v2 ADL: recorded once as ADL, never as a plain decrease, whatever the order and batch of its OrderExecuted', async () => {
      const { db, close } = await open();
      try {
        await installLogEmitter(chain().rpcUrl, EVENT_EMITTER);
        const start = (await head()) + 1;
        const [sameTxAfter, sameBlockBefore, laterBlock, acrossRestart, plain] = [11, 12, 13, 14, 15].map(orderKey) as [Hex, Hex, Hex, Hex, Hex];
        // Block 1: ADL with OrderExecuted after it in the same tx; ADL whose OrderExecuted comes first in an earlier tx
        // of the same block; an ADL decrease whose OrderExecuted is 3 blocks later; a plain decrease (secondaryOrderType 0, later block).
        const b1 = await emitBlock(
          chain().rpcUrl,
          [gmx([marketDecrease(sameTxAfter), adlExecuted(sameTxAfter)]), gmx([adlExecuted(sameBlockBefore)]), gmx([marketDecrease(sameBlockBefore), marketDecrease(laterBlock), marketDecrease(plain)])],
          { timestamp: T0 },
        );
        await rpc(chain().rpcUrl, 'anvil_mine', ['0x2']);
        const b2 = await emitBlock(chain().rpcUrl, [gmx([adlExecuted(laterBlock), adlExecuted(plain, 0n)])], { timestamp: T0 + 60 });
        // The restart case: its decrease is in b3, indexed by a first run; its OrderExecuted in b4, indexed by a second run.
        const b3 = await emitBlock(chain().rpcUrl, [gmx([marketDecrease(acrossRestart)])], { timestamp: T0 + 120 });
        // maxBlockRange 1: every block is its own batch, so the later-block case really crosses batches.
        const run = (endBlock: bigint) =>
          indexConfig(db, localConfig(chain().rpcUrl, 42161, [{ name: 'gmx', protocol: 'gmx-v2', addresses: [EVENT_EMITTER], startBlock: start, endBlock: Number(endBlock) }], { maxBlockRange: 1 }), { protocols: PROTOCOLS, batchLogs: 1 });
        await run(b3.blockNumber);
        // Before its OrderExecuted arrives, the restart case is (provisionally) a plain decrease.
        const decreaseUidB3 = `${b3.txHashes[0]!.toLowerCase()}:0`;
        expect((await db.selectFrom('trades').select('uid').execute()).map((t) => t.uid)).toContain(decreaseUidB3);
        const b4 = await emitBlock(chain().rpcUrl, [gmx([adlExecuted(acrossRestart)])], { timestamp: T0 + 180 });
        await run(b4.blockNumber);

        const tx = (block: { txHashes: Hex[] }, i: number) => block.txHashes[i]!.toLowerCase();
        // Block 1 log indexes: tx0 = 0 (decrease), 1 (its OrderExecuted); tx1 = 2 (OrderExecuted); tx2 = 3, 4, 5 (decreases).
        const expectedAdl = [`${tx(b1, 0)}:0`, `${tx(b1, 2)}:3`, `${tx(b1, 2)}:4`, decreaseUidB3].sort();
        const adl = await db.selectFrom('adl_events').selectAll().execute();
        expect(adl.map((a) => a.uid).sort()).toEqual(expectedAdl);
        expect(adl.every((a) => a.side === 'short' && norm(a.size_usd!) === '7000' && norm(a.price!) === '3500' && a.symbol === 'ETH/USD')).toBe(true);
        const trades = await db.selectFrom('trades').selectAll().execute();
        expect(trades.map((t) => [t.uid, t.action])).toEqual([[`${tx(b1, 2)}:5`, 'decrease']]);
        expect(await db.selectFrom('pending_joins').selectAll().execute()).toEqual([]);
        void b2;
      } finally {
        await close();
      }
    });

    it('GMX v2: a liquidation fee and an insolvent close are joined to their liquidation across batches', async () => {
      const { db, close } = await open();
      try {
        await installLogEmitter(chain().rpcUrl, EVENT_EMITTER);
        const start = (await head()) + 1;
        const [feeLater, insolventFirst] = [21, 22].map(orderKey) as [Hex, Hex];
        const liq = (key: Hex) =>
          positionDecreaseLog({
            account: TRADER, market: ETH_MARKET, collateralToken: USDC, isLong: true, executionPrice: 3_000n * 10n ** 12n,
            indexTokenPrice: { min: 3_000n * 10n ** 12n, max: 3_000n * 10n ** 12n }, collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
            sizeDeltaUsd: 1_000n * USD, sizeDeltaInTokens: 10n ** 18n / 3n, orderType: 7n, basePnlUsd: -100n * USD, orderKey: key,
          });
        const fees = (key: Hex, liquidationFeeAmount: bigint) =>
          positionFeesLog({
            orderKey: key, positionKey: positionKey(TRADER, ETH_MARKET, USDC, true), market: ETH_MARKET, collateralToken: USDC, trader: TRADER,
            collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n }, tradeSizeUsd: 1_000n * USD, liquidationFeeAmount, isIncrease: false,
          });
        const insolvent = insolventCloseLog({ orderKey: insolventFirst, positionCollateralAmount: 0n, basePnlUsd: -100n * USD, remainingCostUsd: 125n * 10n ** 29n });
        const b1 = await emitBlock(chain().rpcUrl, [gmx([liq(feeLater), insolvent])], { timestamp: T0 });
        const b2 = await emitBlock(chain().rpcUrl, [gmx([fees(feeLater, 7_500_000n), fees(insolventFirst, 1_000_000n), liq(insolventFirst)])], { timestamp: T0 + 1 });
        await indexConfig(
          db,
          localConfig(chain().rpcUrl, 42161, [{ name: 'gmx', protocol: 'gmx-v2', addresses: [EVENT_EMITTER], startBlock: start, endBlock: Number(b2.blockNumber) }], { maxBlockRange: 1 }),
          { protocols: PROTOCOLS, batchLogs: 1 },
        );
        const liqs = await db.selectFrom('liquidations').select(['uid', 'fee_usd', 'bad_debt_usd']).orderBy('block_number').execute();
        expect(liqs.map((l) => [l.uid, norm(l.fee_usd), norm(l.bad_debt_usd)])).toEqual([
          [`${b1.txHashes[0]!.toLowerCase()}:0`, '7.5', null], // fee arrived one batch later
          [`${b2.txHashes[0]!.toLowerCase()}:2`, '1', '12.5'], // insolvent close arrived one batch earlier
        ]);
        expect(await db.selectFrom('pending_joins').selectAll().execute()).toEqual([]);
      } finally {
        await close();
      }
    });

    it('GMX v1 (both Vault events and FastPriceEvents) and Pyth at their real Arbitrum addresses', async () => {
      const { db, close } = await open();
      try {
        for (const address of [GMX_V1_VAULT, FAST_PRICE_EVENTS, PYTH]) await installLogEmitter(chain().rpcUrl, address);
        const start = (await head()) + 1;
        const ethId: Hex = '0xff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace';
        const b = await emitBlock(
          chain().rpcUrl,
          [
            { address: GMX_V1_VAULT, logs: [
              updatePositionLog({ key: orderKey(1), size: 0n, collateral: 0n, averagePrice: 0n, entryFundingRate: 0n, reserveAmount: 0n, realisedPnl: -900n * USD }),
              liquidatePositionLog({ key: orderKey(1), account: TRADER, collateralToken: WETH, indexToken: WETH, isLong: false, size: 30_000n * USD, collateral: 1_000n * USD, reserveAmount: 0n, realisedPnl: -900n * USD, markPrice: 3_512_5n * 10n ** 29n }),
            ] },
            { address: FAST_PRICE_EVENTS, logs: [fastPriceUpdateLog({ token: WETH, price: 35_125n * 10n ** 29n, priceFeed: TRADER })] },
            { address: PYTH, logs: [priceFeedUpdateLog({ id: ethId, publishTime: BigInt(T0), price: 351_250_000_000n, conf: 2_000_000n })] },
          ],
          { timestamp: T0 + 5 },
        );
        const config = localConfig(chain().rpcUrl, 42161, [
          { name: 'gmx-v1', protocol: 'gmx-v1', addresses: [GMX_V1_VAULT, FAST_PRICE_EVENTS], startBlock: start, endBlock: Number(b.blockNumber) },
          { name: 'pyth', protocol: 'pyth', addresses: [PYTH], startBlock: start, endBlock: Number(b.blockNumber), options: { exponents: { [ethId]: -8 } } },
        ]);
        await indexConfig(db, config, { protocols: PROTOCOLS });
        const liqs = await db.selectFrom('liquidations').selectAll().execute();
        expect(liqs.map((l) => [l.venue, l.market, l.symbol, l.side, norm(l.size_usd!), norm(l.price!), norm(l.pnl_usd!), l.uid])).toEqual([
          ['gmx-v1', WETH.toLowerCase(), 'ETH/USD', 'short', '30000', '3512.5', '-900', `${b.txHashes[0]!.toLowerCase()}:1`],
        ]);
        const updates = await db.selectFrom('venue_events').selectAll().execute();
        expect(updates.map((u) => [u.kind, u.log_index])).toEqual([['position_update', 0]]);
        const prices = await db.selectFrom('oracle_prices').select(['venue', 'market', 'price', 'log_index']).orderBy('log_index').execute();
        expect(prices.map((p) => [p.venue, p.market, norm(p.price), p.log_index])).toEqual([
          ['gmx-v1', WETH.toLowerCase(), '3512.5', 2],
          ['pyth', ethId, '3512.5', 3],
        ]);
      } finally {
        await close();
      }
    });
  });
});
