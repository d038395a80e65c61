/**
 * Margin and liquidation formulas of formats.md §8, pure. Sizes are in tokens (Q > 0), the side is
 * carried separately; E entry price, M margin (USD), m maintenance rate.
 */
export type Side = 'long' | 'short';

export const sideSign = (side: Side): 1 | -1 => (side === 'long' ? 1 : -1);

/** Isolated liquidation price: long (E − M/Q)/(1 − m); short (E + M/Q)/(1 + m). */
export function isolatedLiquidationPrice(side: Side, entry: number, margin: number, size: number, m: number): number {
  return side === 'long' ? (entry - margin / size) / (1 - m) : (entry + margin / size) / (1 + m);
}

/** Bankruptcy price (equity exactly zero): long E − M/Q; short E + M/Q. */
export function bankruptcyPrice(side: Side, entry: number, margin: number, size: number): number {
  return side === 'long' ? entry - margin / size : entry + margin / size;
}

export const unrealizedPnl = (side: Side, entry: number, size: number, price: number): number => sideSign(side) * size * (price - entry);

export interface MarginPosition {
  side: Side;
  entry: number;
  size: number;
  /** Price the position is valued at (mark or oracle). */
  price: number;
  /** Maintenance rate of the position's market. */
  m: number;
}

/** Account value = collateral + Σ uPnL; maintenance = Σ notional·m (cross margin; one position = isolated). */
export function accountHealth(collateral: number, positions: readonly MarginPosition[]): { equity: number; maintenance: number; notional: number } {
  let equity = collateral;
  let maintenance = 0;
  let notional = 0;
  for (const p of positions) {
    equity += unrealizedPnl(p.side, p.entry, p.size, p.price);
    maintenance += p.size * p.price * p.m;
    notional += p.size * p.price;
  }
  return { equity, maintenance, notional };
}

/** Liquidatable when account value ≤ maintenance (formats.md §8, cross margin). */
export function isLiquidatable(collateral: number, positions: readonly MarginPosition[]): boolean {
  const { equity, maintenance } = accountHealth(collateral, positions);
  return equity <= maintenance;
}

/** Hyperliquid: maintenance = half the initial margin at max leverage. */
export const hyperliquidMaintenanceRate = (maxLeverage: number): number => 1 / (2 * maxLeverage);

/** Hyperliquid: the backstop takes over when equity < 2/3 of maintenance. */
export const hyperliquidNeedsBackstop = (equity: number, maintenance: number): boolean => equity < (2 / 3) * maintenance;

/**
 * Hyperliquid ADL ranking key: (mark/entry) × (notional/account value) for longs and
 * (entry/mark) × (notional/account value) for shorts, so that the most profitable and most
 * leveraged winner ranks first on either side. Higher is deleveraged first.
 */
export function hyperliquidAdlScore(side: Side, entry: number, mark: number, notional: number, accountValue: number): number {
  if (accountValue <= 0) return Number.POSITIVE_INFINITY;
  const ratio = side === 'long' ? mark / entry : entry / mark;
  return ratio * (notional / accountValue);
}

/**
 * How one account's close is paid for. Identity (tested): traderPnl + fees + counterpartyPnl
 * − insurancePaid − badDebt = 0, where counterpartyPnl is what the other side of the closing trades
 * (book, pool, backstop or ADL'd traders) gains, i.e. −Σ gross PnL at the execution prices.
 */
export interface Settlement {
  /** Σ side·Q·(exit − entry) at the execution prices. */
  grossPnl: number;
  /** Collateral + grossPnl before fees. */
  equityAfter: number;
  /** Liquidation fee actually collected (never more than what is left). */
  fee: number;
  /** Paid back to the trader. */
  returned: number;
  /** returned − collateral. */
  traderPnl: number;
  counterpartyPnl: number;
  /** Shortfall covered by the insurance fund / backstop. */
  insurancePaid: number;
  /** Shortfall nobody covered. */
  badDebt: number;
}

export function settleClose(
  collateral: number,
  closes: readonly { side: Side; entry: number; size: number; exit: number }[],
  feeRate: number,
  insuranceAvailable: number,
): Settlement {
  let grossPnl = 0;
  let notional = 0;
  for (const c of closes) {
    grossPnl += unrealizedPnl(c.side, c.entry, c.size, c.exit);
    notional += c.size * c.exit;
  }
  const equityAfter = collateral + grossPnl;
  const fee = Math.min(feeRate * notional, Math.max(0, equityAfter));
  const returned = Math.max(0, equityAfter - fee);
  const shortfall = Math.max(0, -equityAfter);
  const insurancePaid = Math.min(shortfall, Math.max(0, insuranceAvailable));
  return {
    grossPnl,
    equityAfter,
    fee,
    returned,
    traderPnl: returned - collateral,
    counterpartyPnl: -grossPnl,
    insurancePaid,
    badDebt: shortfall - insurancePaid,
  };
}
