/** Event names, pending-join kinds and item keys of the GMX v2 decoder (shared/formats.md §1). */
export const GMX_V2 = 'gmx-v2';
export const USD_DECIMALS = 30;

export const GMX_V2_EVENT_NAMES = [
  'PositionDecrease',
  'PositionIncrease',
  'PositionFeesCollected',
  'PositionFeesInfo',
  'OrderExecuted',
  'InsolventClose',
  'OraclePriceUpdate',
  'AdlStateUpdated',
] as const;

export const PENDING = {
  orderExecuted: 'gmx-v2:order-executed',
  positionDecrease: 'gmx-v2:position-decrease',
  liquidation: 'gmx-v2:liquidation',
  positionFees: 'gmx-v2:position-fees',
  insolventClose: 'gmx-v2:insolvent-close',
} as const;

/** Keys each event is known to carry (all historical spellings); anything else goes to `extra`. */
export const KNOWN_KEYS: Record<string, ReadonlySet<string>> = {
  PositionDecrease: new Set([
    'account', 'market', 'collateralToken', 'sizeInUsd', 'sizeInTokens', 'collateralAmount', 'borrowingFactor',
    'fundingFeeAmountPerSize', 'longTokenClaimableFundingAmountPerSize', 'shortTokenClaimableFundingAmountPerSize',
    'executionPrice', 'indexTokenPrice.max', 'indexTokenPrice.min', 'collateralTokenPrice.max', 'collateralTokenPrice.min',
    'sizeDeltaUsd', 'sizeDeltaInTokens', 'collateralDeltaAmount', 'values.priceImpactDiffUsd', 'orderType', 'decreasedAtTime',
    'priceImpactUsd', 'basePnlUsd', 'uncappedBasePnlUsd', 'proportionalPendingImpactUsd', 'proportionalImpactPendingUsd',
    'totalImpactUsd', 'isLong', 'orderKey', 'positionKey',
  ]),
  PositionIncrease: new Set([
    'account', 'market', 'collateralToken', 'sizeInUsd', 'sizeInTokens', 'collateralAmount', 'borrowingFactor',
    'fundingFeeAmountPerSize', 'longTokenClaimableFundingAmountPerSize', 'shortTokenClaimableFundingAmountPerSize',
    'executionPrice', 'indexTokenPrice.max', 'indexTokenPrice.min', 'collateralTokenPrice.max', 'collateralTokenPrice.min',
    'sizeDeltaUsd', 'sizeDeltaInTokens', 'orderType', 'increasedAtTime', 'collateralDeltaAmount', 'priceImpactUsd',
    'priceImpactAmount', 'pendingPriceImpactUsd', 'pendingPriceImpactAmount', 'isLong', 'orderKey', 'positionKey',
  ]),
  OrderExecuted: new Set(['key', 'account', 'secondaryOrderType']),
  OraclePriceUpdate: new Set(['token', 'provider', 'minPrice', 'maxPrice', 'timestamp']),
  AdlStateUpdated: new Set(['pnlToPoolFactor', 'maxPnlFactor', 'isLong', 'shouldEnableAdl']),
  InsolventClose: new Set(['orderKey', 'positionCollateralAmount', 'remainingCostUsd', 'basePnlUsd', 'step']),
};

