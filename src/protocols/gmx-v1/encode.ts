import type { Address, Hex } from 'viem';
import { gmxV1FastPriceEventsAbi, gmxV1UpdatePosition7Abi, gmxV1UpdatePosition8Abi, gmxV1VaultAbi } from '../../../abis/gmx-v1-vault.ts';
import { encodeLog } from '../shared/encode-log.ts';

/** Real-format GMX v1 Vault / FastPriceEvents logs (shared/formats.md §2). Values are ×10^30. */
export function liquidatePositionLog(a: {
  key: Hex; account: Address; collateralToken: Address; indexToken: Address; isLong: boolean;
  size: bigint; collateral: bigint; reserveAmount: bigint; realisedPnl: bigint; markPrice: bigint;
}) {
  return encodeLog(gmxV1VaultAbi, 'LiquidatePosition', a);
}

export function increaseOrDecreasePositionLog(
  kind: 'IncreasePosition' | 'DecreasePosition',
  a: { key: Hex; account: Address; collateralToken: Address; indexToken: Address; collateralDelta: bigint; sizeDelta: bigint; isLong: boolean; price: bigint; fee: bigint },
) {
  return encodeLog(gmxV1VaultAbi, kind, a);
}

/** `markPrice` given → the 8-argument Avalanche variant; absent → the 7-argument Arbitrum one. */
export function updatePositionLog(a: {
  key: Hex; size: bigint; collateral: bigint; averagePrice: bigint; entryFundingRate: bigint; reserveAmount: bigint; realisedPnl: bigint; markPrice?: bigint;
}) {
  return a.markPrice === undefined ? encodeLog(gmxV1UpdatePosition7Abi, 'UpdatePosition', a) : encodeLog(gmxV1UpdatePosition8Abi, 'UpdatePosition', a);
}

export function fastPriceUpdateLog(a: { token: Address; price: bigint; priceFeed: Address }) {
  return encodeLog(gmxV1FastPriceEventsAbi, 'PriceUpdate', a);
}
