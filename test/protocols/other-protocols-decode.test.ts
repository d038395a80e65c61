import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { Address, Hex } from 'viem';
import { gmxV1Decoder } from '../../src/protocols/gmx-v1/decoder.ts';
import { fastPriceUpdateLog, increaseOrDecreasePositionLog, liquidatePositionLog, updatePositionLog } from '../../src/protocols/gmx-v1/encode.ts';
import { synthetixPerpsV2Decoder } from '../../src/protocols/synthetix-perps-v2/decoder.ts';
import { positionLiquidatedV2Log } from '../../src/protocols/synthetix-perps-v2/encode.ts';
import { synthetixPerpsV3Decoder } from '../../src/protocols/synthetix-perps-v3/decoder.ts';
import { accountLiquidationAttemptLog, positionLiquidatedV3Log } from '../../src/protocols/synthetix-perps-v3/encode.ts';
import { chainlinkDecoder } from '../../src/protocols/chainlink/decoder.ts';
import { encodeAnswerUpdated, encodeNewTransmission } from '../../src/protocols/chainlink/encode.ts';
import { pythDecoder } from '../../src/protocols/pyth/decoder.ts';
import { priceFeedUpdateLog } from '../../src/protocols/pyth/encode.ts';
import { openPgliteTestDb } from '../helpers/db.ts';
import { decodeWith, parseExtra, rawLogs, sourceInfo, syncBuiltins } from './support.ts';

const P30 = 10n ** 30n;
const E18 = 10n ** 18n;
const TRADER: Address = '0x1234567890AbcdEF1234567890aBcdef12345678';
const KEEPER: Address = '0x00000000000000000000000000000000000ee9e2';
const k = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

// Pure decoding (no joins): one in-memory database for the whole file keeps it fast.
describe('golden decode of GMX v1, Synthetix, Chainlink and Pyth logs', () => {
  let handle: LiqscopeDb;
  beforeAll(async () => {
    handle = await openPgliteTestDb();
    await syncBuiltins(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });
  const open = async () => ({ db: handle.db, close: async () => {} });
  it('GMX v1: liquidation, both UpdatePosition variants, trades and fast prices (×10^30 USD)', async () => {
    const { db, close } = await open();
    try {
      const vault: Address = '0x489ee077994B6658eAfA855C308275EAd8097C4A';
      const fastPrice: Address = '0x4530b7DE1958270A2376be192a24175D795e1b07';
      const WETH: Address = '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1';
      const logs = rawLogs(
        [
          { address: vault, ...liquidatePositionLog({ key: k(1), account: TRADER, collateralToken: WETH, indexToken: WETH, isLong: true, size: 50_000n * P30, collateral: 2_500n * P30, reserveAmount: 14n * E18, realisedPnl: -2_600n * P30, markPrice: 346_022n * 10n ** 28n }) },
          { address: vault, ...updatePositionLog({ key: k(2), size: 1_000n * P30, collateral: 100n * P30, averagePrice: 3_000n * P30, entryFundingRate: 5n, reserveAmount: 1n, realisedPnl: -7n * P30 }) },
          { address: vault, ...updatePositionLog({ key: k(3), size: 2_000n * P30, collateral: 100n * P30, averagePrice: 3_000n * P30, entryFundingRate: 5n, reserveAmount: 1n, realisedPnl: 0n, markPrice: 3_100n * P30 }) },
          { address: vault, ...increaseOrDecreasePositionLog('DecreasePosition', { key: k(4), account: TRADER, collateralToken: WETH, indexToken: WETH, collateralDelta: 0n, sizeDelta: 1_000n * P30, isLong: false, price: 3_100n * P30, fee: 1n * P30 }) },
          { address: fastPrice, ...fastPriceUpdateLog({ token: WETH, price: 346_022n * 10n ** 28n, priceFeed: KEEPER }) },
        ],
        { chainId: 42161 },
      );
      const rows = await decodeWith(db, gmxV1Decoder, logs, sourceInfo('gmx-v1', 42161));
      expect(rows.decodeErrors).toEqual([]);
      expect(rows.liquidations[0]).toMatchObject({
        venue: 'gmx-v1', market: WETH.toLowerCase(), symbol: 'ETH/USD', side: 'long', account: TRADER.toLowerCase(),
        size_usd: '50000', price: '3460.22', mark_price: '3460.22', collateral_usd: '2500', pnl_usd: '-2600', flags: [],
      });
      expect(rows.venueEvents.map((v) => [v.kind, v.value, parseExtra(v.extra).variant, parseExtra(v.extra).markPrice ?? null])).toEqual([
        ['position_update', '1000', 7, null],
        ['position_update', '2000', 8, (3_100n * P30).toString()],
      ]);
      expect(rows.trades[0]).toMatchObject({ action: 'decrease', side: 'short', size_usd: '1000', price: '3100', fee_usd: '1' });
      expect(rows.oraclePrices[0]).toMatchObject({ market: WETH.toLowerCase(), price: '3460.22', decimals: 30, log_index: 4 });
    } finally {
      await close();
    }
  });

  it('Synthetix PerpsV2 (both PositionLiquidated versions) and v3 (liquidation, attempt, legacy name)', async () => {
    const { db, close } = await open();
    try {
      const ethProxy: Address = '0x2B3bb4c683BFc5239B029131EEf3B1d214478d93';
      const v2 = rawLogs(
        [
          { address: ethProxy, ...positionLiquidatedV2Log({ id: 77n, account: TRADER, liquidator: KEEPER, size: -15n * 10n ** 17n, price: 18_504n * 10n ** 17n, flaggerFee: E18, liquidatorFee: 25n * 10n ** 17n, stakersFee: 25n * 10n ** 16n }) },
          { address: ethProxy, ...positionLiquidatedV2Log({ id: 78n, account: TRADER, liquidator: KEEPER, size: 2n * E18, price: 100n * E18, fee: 5n * 10n ** 17n }) },
        ],
        { chainId: 10 },
      );
      const r2 = await decodeWith(db, synthetixPerpsV2Decoder, v2, sourceInfo('synthetix-perps-v2', 10));
      expect(r2.decodeErrors).toEqual([]);
      expect(r2.liquidations.map((l) => [l.symbol, l.side, l.size, l.price, l.size_usd, l.fee_usd, l.liquidator])).toEqual([
        ['ETH/USD', 'short', '1.5', '1850.4', '2775.6', '3.75', KEEPER.toLowerCase()],
        ['ETH/USD', 'long', '2', '100', '200', '0.5', KEEPER.toLowerCase()],
      ]);

      const proxy: Address = '0x0A2AF931eFFd34b81ebcc57E3d3c9B1E1dE1C9Ce';
      const bigAccount = 2n ** 127n;
      const v3 = rawLogs(
        [
          { address: proxy, ...positionLiquidatedV3Log({ accountId: bigAccount, marketId: 100n, amountLiquidated: 32n * 10n ** 17n, currentPositionSize: -E18 }) },
          { address: proxy, ...positionLiquidatedV3Log({ accountId: 5n, marketId: 200n, amountLiquidated: E18, currentPositionSize: 0n }) },
          { address: proxy, ...accountLiquidationAttemptLog({ accountId: bigAccount, reward: 125n * 10n ** 17n, fullLiquidation: true }) },
          { address: proxy, ...accountLiquidationAttemptLog({ accountId: 5n, reward: E18, fullLiquidation: false }, true) },
        ],
        { chainId: 8453 },
      );
      const r3 = await decodeWith(db, synthetixPerpsV3Decoder, v3, sourceInfo('synthetix-perps-v3', 8453));
      expect(r3.decodeErrors).toEqual([]);
      expect(r3.liquidations.map((l) => [l.account, l.market, l.side, l.size, l.flags])).toEqual([
        ['170141183460469231731687303715884105728', '100', 'short', '3.2', ['unknown_market']],
        ['5', '200', null, '1', ['unknown_market', 'side_unknown']],
      ]);
      expect(r3.venueEvents.map((v) => [v.kind, v.value, parseExtra(v.extra).event, parseExtra(v.extra).fullLiquidation])).toEqual([
        ['account_liquidation', '12.5', 'AccountLiquidationAttempt', true],
        ['account_liquidation', '1', 'AccountLiquidated', false],
      ]);
    } finally {
      await close();
    }
  });

  it('Chainlink: AnswerUpdated and NewTransmission normalized by feed decimals; zero answers rejected', async () => {
    const { db, close } = await open();
    try {
      const aggregator: Address = '0xE62B71cf983019BFf55bC83B48601ce8419650CC'; // ETH/USD, 8 decimals (registry)
      const other: Address = '0x00000000000000000000000000000000000f33d0';
      const logs = rawLogs(
        [
          { address: aggregator, ...encodeAnswerUpdated(346_022_000_000n, 11_106n, 1_706_558_123n) },
          { address: aggregator, ...encodeAnswerUpdated(0n, 11_107n, 0n) },
          { address: other, ...encodeAnswerUpdated(123_456n, 3n, 1_706_558_200n) },
          { address: aggregator, ...encodeNewTransmission({ aggregatorRoundId: 11_108, answer: 229_750_276_106n, transmitter: KEEPER, observationsTimestamp: 1_706_558_300 }) },
        ],
        { chainId: 1, blockTime: new Date('2024-01-29T20:00:00Z') },
      );
      const rows = await decodeWith(db, chainlinkDecoder, logs, sourceInfo('chainlink', 1));
      expect(rows.oraclePrices.map((p) => [p.market, p.symbol, p.price, p.price_raw, p.decimals, p.round_id, p.flags])).toEqual([
        [aggregator.toLowerCase(), 'ETH/USD', '3460.22', '346022000000', 8, '11106', []],
        [other, null, '123456', '123456', null, '3', ['unknown_decimals', 'raw_price']],
        [aggregator.toLowerCase(), 'ETH/USD', '2297.50276106', '229750276106', 8, '11108', []],
      ]);
      expect(rows.oraclePrices[0]!.time).toEqual(new Date(1_706_558_123_000));
      expect(rows.oraclePrices[0]!.block_time).toEqual(new Date('2024-01-29T20:00:00Z'));
      expect(rows.oraclePrices[2]!.time).toEqual(new Date(1_706_558_300_000));
      expect(rows.decodeErrors.map((e) => [e.log_index, e.event, e.reason])).toEqual([
        [1, 'AnswerUpdated', 'AnswerUpdated: answer 0 in round 11107 is not a valid price (zero or negative): rejected'],
      ]);
      // The option wins over the registry and applies per address.
      const withOption = await decodeWith(db, chainlinkDecoder, logs.slice(2, 3), sourceInfo('chainlink', 1, { decimals: { [other]: 2 } }));
      expect(withOption.oraclePrices[0]).toMatchObject({ price: '1234.56', decimals: 2, flags: [] });
    } finally {
      await close();
    }
  });

  it('Pyth: price × 10^expo from the configured exponent, conf kept; bad prices rejected', async () => {
    const { db, close } = await open();
    try {
      const pyth: Address = '0xff1a0f4744e8582DF1aE09D5611b887B6a12925C';
      const ethId: Hex = '0xff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace';
      const otherId: Hex = `0x${'12'.repeat(32)}`;
      const logs = rawLogs(
        [
          { address: pyth, ...priceFeedUpdateLog({ id: ethId, publishTime: 1_760_130_903n, price: 346_022_000_000n, conf: 150_000_000n }) },
          { address: pyth, ...priceFeedUpdateLog({ id: ethId, publishTime: 1_760_130_904n, price: -1n, conf: 0n }) },
          { address: pyth, ...priceFeedUpdateLog({ id: otherId, publishTime: 1_760_130_905n, price: 42n, conf: 1n }) },
        ],
        { chainId: 42161 },
      );
      const rows = await decodeWith(db, pythDecoder, logs, sourceInfo('pyth', 42161, { exponents: { [ethId]: -8 } }));
      expect(rows.oraclePrices.map((p) => [p.market, p.price, p.decimals, p.flags])).toEqual([
        [ethId, '3460.22', 8, []],
        [otherId, '42', null, ['unknown_exponent', 'raw_price']],
      ]);
      expect(parseExtra(rows.oraclePrices[0]!.extra)).toMatchObject({ conf: '150000000', confNormalized: '1.5', expo: -8 });
      expect(rows.oraclePrices[0]!.time).toEqual(new Date(1_760_130_903_000));
      expect(rows.decodeErrors.map((e) => e.reason)).toEqual([`PriceFeedUpdate: price -1 of feed ${ethId} is not a valid price (zero or negative): rejected`]);
    } finally {
      await close();
    }
  });
});
