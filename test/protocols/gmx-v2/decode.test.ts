import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Address, Hex } from 'viem';
import {
  adlStateUpdatedLog,
  encodeGmxEventLog,
  insolventCloseLog,
  oraclePriceUpdateLog,
  orderExecutedLog,
  positionDecreaseLog,
  positionFeesLog,
  positionIncreaseLog,
  addressToTopic,
} from '../../../src/protocols/gmx-v2/encode.ts';
import { gmxV2Decoder } from '../../../src/protocols/gmx-v2/decoder.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { decodeWith, parseExtra, rawLogs, sourceInfo, syncBuiltins } from '../support.ts';

const EMITTER: Address = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';
const ETH_MARKET: Address = '0x70d95587d40A2caf56bd97485aB3Eec10Bee6336'; // ETH/USD [WETH-USDC], Arbitrum
const WETH: Address = '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1';
const USDC: Address = '0xaf88d065e77c8cC2239327C5EDb3A432268e5831';
const WBTC: Address = '0x2f2a2543B76A4166549F7aaB2e75Bef0aefC5B0f';
const TRADER: Address = '0x1234567890AbcdEF1234567890aBcdef12345678';
const USD = 10n ** 30n;
const key = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const source = sourceInfo('gmx-v2', 42161);
const at = (log: { topics: Hex[]; data: Hex }) => ({ address: EMITTER, ...log });

/** A liquidation of a 10,000 USD long at 3,460.22 (hand-chosen figures; expectations computed by hand below). */
function liquidation(orderKey: Hex, extra?: Parameters<typeof positionDecreaseLog>[0]['extra']) {
  return positionDecreaseLog({
    account: TRADER,
    market: ETH_MARKET,
    collateralToken: USDC,
    isLong: true,
    executionPrice: 3_460_220_000_000_000n, // 3,460.22 × 10^12
    indexTokenPrice: { min: 3_460_210_000_000_000n, max: 3_460_230_000_000_000n },
    collateralTokenPrice: { min: 999_900_000_000_000_000_000_000n, max: 10n ** 24n }, // 0.9999 and 1 USD per USDC
    sizeDeltaUsd: 10_000n * USD,
    sizeDeltaInTokens: 2_890_000_000_000_000_000n, // 2.89 ETH
    collateralDeltaAmount: 500_000_000n, // 500 USDC
    orderType: 7n,
    basePnlUsd: -12_345n * 10n ** 29n, // −1,234.5 USD
    orderKey,
    ...(extra ? { extra } : {}),
  });
}

function decrease(orderKey: Hex, orderType = 4n) {
  return positionDecreaseLog({
    account: TRADER,
    market: ETH_MARKET,
    collateralToken: WETH,
    isLong: false,
    executionPrice: 3_500_000_000_000_000n,
    indexTokenPrice: { min: 3_500_000_000_000_000n, max: 3_500_000_000_000_000n },
    collateralTokenPrice: { min: 3_500_000_000_000_000n, max: 3_500_000_000_000_000n },
    sizeDeltaUsd: 7_000n * USD,
    sizeDeltaInTokens: 2n * 10n ** 18n,
    orderType,
    basePnlUsd: 250n * USD,
    orderKey,
  });
}

forEachDatabase((dbName, open) => {
  describe(`GMX v2 golden decode on ${dbName}`, () => {
    // One database for the file: decodeWith rolls every decode back, so tests stay independent.
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
      await syncBuiltins(handle.db);
    });
    afterAll(async () => {
      await handle.close();
    });
    const shared = async () => ({ db: handle.db, close: async () => {} });
    it('decodes a liquidation joined with its liquidation fee and insolvent close, keeping extra keys', async () => {
      const { db, close } = await shared();
      try {
        const k = key(7001);
        const logs = rawLogs(
          [
            at(insolventCloseLog({ orderKey: k, positionCollateralAmount: 500_000_000n, basePnlUsd: -12_345n * 10n ** 29n, remainingCostUsd: 425n * 10n ** 29n })),
            at(positionFeesLog({
              orderKey: k,
              positionKey: key(1),
              market: ETH_MARKET,
              collateralToken: USDC,
              trader: TRADER,
              collateralTokenPrice: { min: 999_900_000_000_000_000_000_000n, max: 10n ** 24n },
              tradeSizeUsd: 10_000n * USD,
              positionFeeAmount: 5_000_000n, // 5 USDC
              liquidationFeeAmount: 15_000_000n, // 15 USDC
              isIncrease: false,
            })),
            at(liquidation(k, { uint: { futureUintArray: [1n, 2n] }, string: { newStringKey: 'hello' }, bytes: { someBytes: '0xbeef' } })),
          ],
          { chainId: 42161, blockTime: new Date('2025-10-10T21:15:03Z') },
        );
        const rows = await decodeWith(db, gmxV2Decoder, logs, source);
        expect(rows.decodeErrors).toEqual([]);
        expect(rows.liquidations).toHaveLength(1);
        const liq = rows.liquidations[0]!;
        expect(liq).toMatchObject({
          venue: 'gmx-v2',
          chain_id: 42161,
          market: ETH_MARKET.toLowerCase(),
          symbol: 'ETH/USD',
          account: TRADER.toLowerCase(),
          side: 'long',
          size: '2.89',
          size_raw: '2890000000000000000',
          size_usd: '10000',
          price: '3460.22',
          price_raw: '3460220000000000',
          oracle_price: '3460.21', // a long closes at the index min price
          collateral_token: USDC.toLowerCase(),
          collateral_amount: '500',
          collateral_usd: '499.95', // 500 × 0.9999
          pnl_usd: '-1234.5',
          fee_usd: '14.9985', // 15 USDC × 0.9999
          bad_debt_usd: '42.5',
          uid: `0x${'a'.repeat(64)}:2`,
          log_index: 2,
          block_number: '1000',
          source_id: 'test-gmx-v2',
          flags: [],
        });
        expect(liq.time).toEqual(new Date('2025-10-10T21:15:03Z'));
        const extra = parseExtra(liq.extra);
        expect(extra).toMatchObject({ orderKey: k, futureUintArray: ['1', '2'], newStringKey: 'hello', someBytes: '0xbeef', liquidationFeeAmount: '15000000' });
        expect(rows.trades).toEqual([]);
        // The insolvent close is also a venue event on the liquidated market.
        expect(rows.venueEvents).toHaveLength(1);
        expect(rows.venueEvents[0]).toMatchObject({ kind: 'insolvent_close', value: '42.5', market: ETH_MARKET.toLowerCase(), log_index: 0 });
      } finally {
        await close();
      }
    });

    it('normalizes oracle prices by the token decimals and keeps unknown markets with raw values, flagged', async () => {
      const { db, close } = await shared();
      try {
        const unknownMarket: Address = '0x000000000000000000000000000000000000dEaD';
        const logs = rawLogs(
          [
            // WBTC has 8 decimals: 60,000 USD is 60,000 × 10^22.
            at(oraclePriceUpdateLog({ token: WBTC, provider: '0x0000000000000000000000000000000000000abc', minPrice: 60_000n * 10n ** 22n, maxPrice: 60_001n * 10n ** 22n, timestamp: 1_760_130_900n })),
            at(positionDecreaseLog({
              account: TRADER,
              market: unknownMarket,
              collateralToken: unknownMarket,
              isLong: false,
              executionPrice: 123n,
              indexTokenPrice: { min: 120n, max: 125n },
              collateralTokenPrice: { min: 1n, max: 1n },
              sizeDeltaUsd: 10_000n * USD,
              sizeDeltaInTokens: 77n,
              orderType: 7n,
              basePnlUsd: 5n * USD,
              orderKey: key(9),
            })),
            at(adlStateUpdatedLog({ market: ETH_MARKET, isLong: true, pnlToPoolFactor: 45n * 10n ** 28n, maxPnlFactor: 4n * 10n ** 29n, shouldEnableAdl: true })),
          ],
          { chainId: 42161 },
        );
        const rows = await decodeWith(db, gmxV2Decoder, logs, source);
        expect(rows.decodeErrors).toEqual([]);
        expect(rows.oraclePrices).toHaveLength(1);
        expect(rows.oraclePrices[0]).toMatchObject({ market: WBTC.toLowerCase(), symbol: 'WBTC', price: '60000.5', price_min: '60000', price_max: '60001', flags: [] });
        expect(rows.oraclePrices[0]!.time).toEqual(new Date(1_760_130_900 * 1000));
        const liq = rows.liquidations[0]!;
        expect(liq).toMatchObject({ market: unknownMarket.toLowerCase(), symbol: null, size: null, size_raw: '77', price: null, price_raw: '123', size_usd: '10000', pnl_usd: '5', side: 'short' });
        expect(liq.flags).toEqual(['unknown_market', 'unknown_token']);
        expect(rows.venueEvents[0]).toMatchObject({ kind: 'adl_state', market: ETH_MARKET.toLowerCase(), value: '0.45' });
        expect(parseExtra(rows.venueEvents[0]!.extra)).toMatchObject({ pnlToPoolFactor: (45n * 10n ** 28n).toString(), maxPnlFactor: (4n * 10n ** 29n).toString(), isLong: true, shouldEnableAdl: true });
      } finally {
        await close();
      }
    });

    it('accepts both historical key spellings', async () => {
      const { db, close } = await shared();
      try {
        // v2.1-era PositionDecrease: 3 int keys, no totalImpactUsd / proportional*; PositionIncrease with priceImpactUsd/priceImpactAmount.
        const oldDecrease = encodeGmxEventLog({
          emitter: 'EventLog1',
          msgSender: EMITTER,
          eventName: 'PositionDecrease',
          topic1: addressToTopic(TRADER),
          eventData: {
            address: { account: TRADER, market: ETH_MARKET, collateralToken: USDC },
            uint: {
              sizeInUsd: 0n, sizeInTokens: 0n, collateralAmount: 0n, borrowingFactor: 0n, fundingFeeAmountPerSize: 0n,
              longTokenClaimableFundingAmountPerSize: 0n, shortTokenClaimableFundingAmountPerSize: 0n,
              executionPrice: 3_000n * 10n ** 12n, 'indexTokenPrice.max': 3_000n * 10n ** 12n, 'indexTokenPrice.min': 3_000n * 10n ** 12n,
              'collateralTokenPrice.max': 10n ** 24n, 'collateralTokenPrice.min': 10n ** 24n, sizeDeltaUsd: 3_000n * USD,
              sizeDeltaInTokens: 10n ** 18n, collateralDeltaAmount: 0n, 'values.priceImpactDiffUsd': 0n, orderType: 5n, decreasedAtTime: 0n,
            },
            int: { priceImpactUsd: 0n, basePnlUsd: -USD, uncappedBasePnlUsd: -USD, proportionalImpactPendingUsd: 3n },
            bool: { isLong: true },
            bytes32: { orderKey: key(51), positionKey: key(52) },
          },
        });
        const oldIncrease = encodeGmxEventLog({
          emitter: 'EventLog1',
          msgSender: EMITTER,
          eventName: 'PositionIncrease',
          topic1: addressToTopic(TRADER),
          eventData: {
            address: { account: TRADER, market: ETH_MARKET, collateralToken: USDC },
            uint: {
              sizeInUsd: 3_000n * USD, sizeInTokens: 10n ** 18n, collateralAmount: 0n, borrowingFactor: 0n, fundingFeeAmountPerSize: 0n,
              longTokenClaimableFundingAmountPerSize: 0n, shortTokenClaimableFundingAmountPerSize: 0n,
              executionPrice: 3_000n * 10n ** 12n, 'indexTokenPrice.max': 3_000n * 10n ** 12n, 'indexTokenPrice.min': 3_000n * 10n ** 12n,
              'collateralTokenPrice.max': 10n ** 24n, 'collateralTokenPrice.min': 10n ** 24n, sizeDeltaUsd: 3_000n * USD,
              sizeDeltaInTokens: 10n ** 18n, orderType: 2n, increasedAtTime: 0n,
            },
            int: { collateralDeltaAmount: 0n, priceImpactUsd: 0n, priceImpactAmount: 0n },
            bool: { isLong: true },
            bytes32: { orderKey: key(50), positionKey: key(52) },
          },
        });
        const newIncrease = positionIncreaseLog({
          account: TRADER, market: ETH_MARKET, collateralToken: USDC, isLong: true, sizeInUsd: 1n, sizeInTokens: 1n, collateralAmount: 1n,
          executionPrice: 3_000n * 10n ** 12n, indexTokenPrice: { min: 1n, max: 1n }, collateralTokenPrice: { min: 1n, max: 1n },
          sizeDeltaUsd: 1n * USD, sizeDeltaInTokens: 1n, orderKey: key(53),
        });
        const rows = await decodeWith(db, gmxV2Decoder, rawLogs([at(oldIncrease), at(oldDecrease), at(newIncrease)], { chainId: 42161 }), source);
        expect(rows.decodeErrors).toEqual([]);
        expect(rows.trades.map((t) => [t.action, t.order_type, t.size_usd, t.price])).toEqual([
          ['decrease', 'LimitDecrease', '3000', '3000'],
          ['increase', 'MarketIncrease', '3000', '3000'],
          ['increase', 'MarketIncrease', '1', '3000'],
        ]);
        expect(parseExtra(rows.trades[0]!.extra)).toMatchObject({ proportionalPendingImpactUsd: '3' });
      } finally {
        await close();
      }
    });

    it('records an ADL (OrderExecuted secondaryOrderType 1) as ADL only, a plain market decrease as a trade', async () => {
      const { db, close } = await shared();
      try {
        const logs = rawLogs(
          [
            at(decrease(key(100))),
            at(orderExecutedLog({ key: key(100), account: TRADER, secondaryOrderType: 1n })),
            at(orderExecutedLog({ key: key(200), account: TRADER, secondaryOrderType: 0n })), // before its decrease
            at(decrease(key(200))),
          ],
          { chainId: 42161 },
        );
        const rows = await decodeWith(db, gmxV2Decoder, logs, source);
        expect(rows.decodeErrors).toEqual([]);
        expect(rows.adlEvents).toHaveLength(1);
        expect(rows.adlEvents[0]).toMatchObject({ uid: `0x${'a'.repeat(64)}:0`, side: 'short', size: '2', size_usd: '7000', price: '3500', pnl_usd: '250' });
        expect(rows.trades.map((t) => t.uid)).toEqual([`0x${'a'.repeat(64)}:3`]);
        expect(rows.pendingJoins).toEqual([]);
      } finally {
        await close();
      }
    });

    it('normalizes a market added from the configuration (syncRegistry) instead of flagging it', async () => {
      const { db } = await shared();
      const market: Address = '0x00000000000000000000000000000000000c0de1';
      const liq = positionDecreaseLog({
        account: TRADER, market, collateralToken: USDC, isLong: true, executionPrice: 25n * 10n ** 20n, // 2.5 USD for a 9-decimal token: 2.5 × 10^(30−9)
        indexTokenPrice: { min: 1n, max: 1n }, collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
        sizeDeltaUsd: 100n * USD, sizeDeltaInTokens: 40n * 10n ** 9n, orderType: 7n, basePnlUsd: 0n, orderKey: key(4242),
      });
      const before = await decodeWith(db, gmxV2Decoder, rawLogs([at(liq)], { chainId: 42161 }), source);
      expect(before.liquidations[0]).toMatchObject({ symbol: null, size: null, price: null, flags: ['unknown_market'] });
      await syncBuiltins(db, {
        markets: [{ venue: 'gmx-v2', chainId: 42161, market, symbol: 'NEW/USD', indexToken: '0x00000000000000000000000000000000000c0de2', indexDecimals: 9 }],
      });
      const after = await decodeWith(db, gmxV2Decoder, rawLogs([at(liq)], { chainId: 42161 }), source);
      expect(after.liquidations[0]).toMatchObject({ symbol: 'NEW/USD', size: '40', price: '2.5', flags: [] });
      const stored = await db.selectFrom('markets').selectAll().where('market', '=', market.toLowerCase()).execute();
      expect(stored.map((m) => [m.venue, m.chain_id, m.symbol, m.index_decimals, m.origin])).toEqual([['gmx-v2', 42161, 'NEW/USD', 9, 'config']]);
      // Built-in markets and tokens are in the tables too, once however often it runs.
      await syncBuiltins(db);
      const eth = await db.selectFrom('markets').selectAll().where('market', '=', ETH_MARKET.toLowerCase()).execute();
      expect(eth.map((m) => [m.symbol, m.index_decimals, m.origin])).toEqual([['ETH/USD', 18, 'registry']]);
      const weth = await db.selectFrom('tokens').selectAll().where('chain_id', '=', 42161).where('address', '=', WETH.toLowerCase()).execute();
      expect(weth.map((t) => [t.symbol, t.decimals])).toEqual([['WETH', 18]]);
    });

    it('sends malformed logs to decode errors with a reason and decodes the rest', async () => {
      const { db, close } = await shared();
      try {
        const good = at(decrease(key(300), 5n));
        const truncated = { ...good, data: good.data.slice(0, 600) as Hex };
        const wrongType = at(encodeGmxEventLog({
          emitter: 'EventLog1', msgSender: EMITTER, eventName: 'AdlStateUpdated', topic1: addressToTopic(ETH_MARKET),
          eventData: { int: { pnlToPoolFactor: 1n }, uint: { maxPnlFactor: 2n }, bool: { isLong: true }, string: { shouldEnableAdl: 'yes' } },
        }));
        const unknownName = at(encodeGmxEventLog({ emitter: 'EventLog', msgSender: EMITTER, eventName: 'SomethingNew', eventData: { uint: { x: 1n } } }));
        const missingKey = at(encodeGmxEventLog({
          emitter: 'EventLog1', msgSender: EMITTER, eventName: 'OraclePriceUpdate', topic1: addressToTopic(WETH),
          eventData: { address: { token: WETH }, uint: { minPrice: 1n, timestamp: 1_700_000_000n } },
        }));
        const unknownTopic = { address: EMITTER, topics: [`0x${'99'.repeat(32)}`] as Hex[], data: '0x' as Hex };
        // topic1 must be keccak256(eventName): a log claiming another name's hash is refused.
        const forged = at(oraclePriceUpdateLog({ token: WETH, provider: WETH, minPrice: 1n, maxPrice: 1n, timestamp: 1_700_000_000n }));
        forged.topics = [forged.topics[0]!, addressToTopic(WETH), forged.topics[2]!];
        const rows = await decodeWith(db, gmxV2Decoder, rawLogs([truncated, wrongType, unknownName, missingKey, unknownTopic, good, forged], { chainId: 42161 }), source);
        expect(rows.trades).toHaveLength(1);
        expect(rows.trades[0]!.log_index).toBe(5);
        const reasons = rows.decodeErrors.map((e) => [e.log_index, e.event, e.reason]);
        expect(reasons).toHaveLength(6);
        expect(reasons[0]![2]).toMatch(/^EventLog1: cannot decode ABI data/);
        expect(reasons[1]).toEqual([1, 'AdlStateUpdated', 'AdlStateUpdated: missing required bool item "shouldEnableAdl" (found under string items: wrong type)']);
        expect(reasons[2]).toEqual([2, 'SomethingNew', expect.stringMatching(/^unknown eventName "SomethingNew"/)]);
        expect(reasons[3]).toEqual([3, 'OraclePriceUpdate', 'OraclePriceUpdate: missing required uint item "maxPrice"']);
        expect(reasons[4]![2]).toMatch(/^unknown topic0 0x9999/);
        expect(reasons[5]).toEqual([6, 'OraclePriceUpdate', expect.stringMatching(/^OraclePriceUpdate: topic1 0x0+82af.* is not keccak256\("OraclePriceUpdate"\)$/)]);
        expect(rows.decodeErrors.every((e) => e.source_id === 'test-gmx-v2' && e.block_number === '1000' && e.raw)).toBe(true);
      } finally {
        await close();
      }
    });
  });
});
