import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import { orderExecutedLog, positionDecreaseLog } from '../../../src/protocols/gmx-v2/encode.ts';
import { gmxV2Decoder } from '../../../src/protocols/gmx-v2/decoder.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';
import { decodeWith, rawLogs, sourceInfo, syncBuiltins } from '../support.ts';

/**
 * docs/schema.md: adl_events.mark_price is "the mark at that moment (GMX: index price)". ADL analytics
 * needs it for the needed budget Σ|mark − exec|·|q|; GMX v2 emits it with the decrease
 * (indexTokenPrice), and GMX closes a long at the min and a short at the max price.
 */
const EMITTER: Address = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';
const ETH_MARKET: Address = '0x70d95587d40A2caf56bd97485aB3Eec10Bee6336';
const USDC: Address = '0xaf88d065e77c8cC2239327C5EDb3A432268e5831';
const TRADER: Address = '0x1234567890AbcdEF1234567890aBcdef12345678';
const USD = 10n ** 30n;
const key = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
// ETH has 18 decimals: a price of P USD is P × 10^12.
const price = (usd: number) => BigInt(Math.round(usd * 1e4)) * 10n ** 8n;

function adl(orderKey: Hex, isLong: boolean) {
  return [
    positionDecreaseLog({
      account: TRADER, market: ETH_MARKET, collateralToken: USDC, isLong,
      executionPrice: price(3_490), indexTokenPrice: { min: price(3_499.5), max: price(3_500.5) },
      collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
      sizeDeltaUsd: 6_980n * USD, sizeDeltaInTokens: 2n * 10n ** 18n, orderType: 4n, basePnlUsd: 250n * USD, orderKey,
    }),
    orderExecutedLog({ key: orderKey, account: TRADER, secondaryOrderType: 1n }),
  ].map((log) => ({ address: EMITTER, ...log }));
}

describe('GMX v2 ADL rows carry the index price as their mark', () => {
  it('a long at the index min price, a short at the max (as GMX values a closing position)', async () => {
    const { db, close } = await openPgliteTestDb();
    try {
      await syncBuiltins(db);
      const rows = await decodeWith(db, gmxV2Decoder, rawLogs([...adl(key(1), true), ...adl(key(2), false)], { chainId: 42161 }), sourceInfo('gmx-v2', 42161));
      expect(rows.decodeErrors).toEqual([]);
      expect(rows.adlEvents.map((a) => [a.side, a.price, a.mark_price])).toEqual([
        ['long', '3490', '3499.5'],
        ['short', '3490', '3500.5'],
      ]);
    } finally {
      await close();
    }
  });
});
