/**
 * Synthetix perps liquidation events (shared/formats.md §4).
 * PerpsV2 source: Synthetixio/synthetix@1609d156:contracts/PerpsV2MarketLiquidate.sol (and the proxy's
 * PerpsV2MarketProxyable emitters) — no argument indexed, emitted through each market's proxy.
 * v3 source: Synthetixio/synthetix-v3@23585f73:markets/perps-market/contracts/interfaces/ILiquidationModule.sol.
 */

export const synthetixPerpsV2Abi = [
  {
    type: 'event',
    name: 'PositionLiquidated',
    anonymous: false,
    inputs: [
      { name: 'id', type: 'uint256', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'liquidator', type: 'address', indexed: false },
      { name: 'size', type: 'int256', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'flaggerFee', type: 'uint256', indexed: false },
      { name: 'liquidatorFee', type: 'uint256', indexed: false },
      { name: 'stakersFee', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'PositionFlagged',
    anonymous: false,
    inputs: [
      { name: 'id', type: 'uint256', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'flagger', type: 'address', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'timestamp', type: 'uint256', indexed: false },
    ],
  },
] as const;

/** The PositionLiquidated of PerpsV2 before 2023-04 (one `fee` instead of three). */
export const synthetixPerpsV2LegacyAbi = [
  {
    type: 'event',
    name: 'PositionLiquidated',
    anonymous: false,
    inputs: [
      { name: 'id', type: 'uint256', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'liquidator', type: 'address', indexed: false },
      { name: 'size', type: 'int256', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'fee', type: 'uint256', indexed: false },
    ],
  },
] as const;

export const synthetixPerpsV3Abi = [
  {
    type: 'event',
    name: 'PositionLiquidated',
    anonymous: false,
    inputs: [
      { name: 'accountId', type: 'uint128', indexed: true },
      { name: 'marketId', type: 'uint128', indexed: true },
      { name: 'amountLiquidated', type: 'uint256', indexed: false },
      { name: 'currentPositionSize', type: 'int128', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'AccountLiquidationAttempt',
    anonymous: false,
    inputs: [
      { name: 'accountId', type: 'uint128', indexed: true },
      { name: 'reward', type: 'uint256', indexed: false },
      { name: 'fullLiquidation', type: 'bool', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'AccountLiquidated',
    anonymous: false,
    inputs: [
      { name: 'accountId', type: 'uint128', indexed: true },
      { name: 'reward', type: 'uint256', indexed: false },
      { name: 'fullLiquidation', type: 'bool', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'AccountFlaggedForLiquidation',
    anonymous: false,
    inputs: [
      { name: 'accountId', type: 'uint128', indexed: true },
      { name: 'availableMargin', type: 'int256', indexed: false },
      { name: 'requiredMaintenanceMargin', type: 'uint256', indexed: false },
      { name: 'liquidationReward', type: 'uint256', indexed: false },
      { name: 'flagReward', type: 'uint256', indexed: false },
    ],
  },
] as const;
