/**
 * GMX v1 Vault and FastPriceEvents events — no argument is indexed.
 * Source: gmx-io/gmx-contracts@fe55c4ba:contracts/core/Vault.sol and
 * contracts/oracle/FastPriceEvents.sol (shared/formats.md §2). Two UpdatePosition variants exist on chain:
 * Arbitrum's Vault emits the 7-argument one (no markPrice), Avalanche's the 8-argument one.
 */
const u = (name: string) => ({ name, type: 'uint256', indexed: false }) as const;

export const gmxV1VaultAbi = [
  {
    type: 'event',
    name: 'LiquidatePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'collateralToken', type: 'address', indexed: false },
      { name: 'indexToken', type: 'address', indexed: false },
      { name: 'isLong', type: 'bool', indexed: false },
      { name: 'size', type: 'uint256', indexed: false },
      { name: 'collateral', type: 'uint256', indexed: false },
      { name: 'reserveAmount', type: 'uint256', indexed: false },
      { name: 'realisedPnl', type: 'int256', indexed: false },
      { name: 'markPrice', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'IncreasePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'collateralToken', type: 'address', indexed: false },
      { name: 'indexToken', type: 'address', indexed: false },
      { name: 'collateralDelta', type: 'uint256', indexed: false },
      { name: 'sizeDelta', type: 'uint256', indexed: false },
      { name: 'isLong', type: 'bool', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'fee', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'DecreasePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      { name: 'account', type: 'address', indexed: false },
      { name: 'collateralToken', type: 'address', indexed: false },
      { name: 'indexToken', type: 'address', indexed: false },
      { name: 'collateralDelta', type: 'uint256', indexed: false },
      { name: 'sizeDelta', type: 'uint256', indexed: false },
      { name: 'isLong', type: 'bool', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'fee', type: 'uint256', indexed: false },
    ],
  },
  {
    type: 'event',
    name: 'ClosePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      u('size'),
      u('collateral'),
      u('averagePrice'),
      u('entryFundingRate'),
      u('reserveAmount'),
      { name: 'realisedPnl', type: 'int256', indexed: false },
    ],
  },
] as const;

/** UpdatePosition with markPrice (8 arguments): Avalanche Vault. */
export const gmxV1UpdatePosition8Abi = [
  {
    type: 'event',
    name: 'UpdatePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      u('size'),
      u('collateral'),
      u('averagePrice'),
      u('entryFundingRate'),
      u('reserveAmount'),
      { name: 'realisedPnl', type: 'int256', indexed: false },
      u('markPrice'),
    ],
  },
] as const;

/** UpdatePosition without markPrice (7 arguments): Arbitrum Vault. */
export const gmxV1UpdatePosition7Abi = [
  {
    type: 'event',
    name: 'UpdatePosition',
    anonymous: false,
    inputs: [
      { name: 'key', type: 'bytes32', indexed: false },
      u('size'),
      u('collateral'),
      u('averagePrice'),
      u('entryFundingRate'),
      u('reserveAmount'),
      { name: 'realisedPnl', type: 'int256', indexed: false },
    ],
  },
] as const;

export const gmxV1FastPriceEventsAbi = [
  {
    type: 'event',
    name: 'PriceUpdate',
    anonymous: false,
    inputs: [
      { name: 'token', type: 'address', indexed: false },
      { name: 'price', type: 'uint256', indexed: false },
      { name: 'priceFeed', type: 'address', indexed: false },
    ],
  },
] as const;
