/**
 * GMX v2 enums and key spellings (gmx-io/gmx-synthetics@a5c0c883:contracts/order/Order.sol,
 * contracts/position/PositionEventUtils.sol; shared/formats.md §1).
 */
export const ORDER_TYPE = {
  MarketSwap: 0n,
  LimitSwap: 1n,
  MarketIncrease: 2n,
  LimitIncrease: 3n,
  MarketDecrease: 4n,
  LimitDecrease: 5n,
  StopLossDecrease: 6n,
  Liquidation: 7n,
  StopIncrease: 8n,
} as const;

export const ORDER_TYPE_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(ORDER_TYPE).map(([name, value]) => [value.toString(), name]),
);

export const SECONDARY_ORDER_TYPE = { None: 0n, Adl: 1n } as const;

/** The seven EventLogData item kinds, in the struct's field order. */
export const ITEM_KINDS = ['address', 'uint', 'int', 'bool', 'bytes32', 'bytes', 'string'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
