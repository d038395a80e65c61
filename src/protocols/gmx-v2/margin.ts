import { z } from 'zod';
import type { LiquidationFacts, PositionAtLiquidation, Unknowable, VenueMarginRules, VenuePrice } from '../../pipeline/margin-rules.ts';
import { GMX_V2, USD_DECIMALS } from './known-keys.ts';

/**
 * GMX v2's liquidation rule (gmx-io/gmx-synthetics `PositionUtils.isPositionLiquidatable`), applied to the
 * position a liquidation row describes:
 *
 *   remaining collateral = collateral USD (at the collateral token's min price)
 *                        + PnL at the index price GMX picks for PnL (min for longs, max for shorts)
 *                        + price impact of closing, when negative (positive impact counts as zero)
 *                        − the costs of closing (position fee, borrowing and funding fees)
 *   liquidatable when remaining < MIN_COLLATERAL_USD, or ≤ 0, or < sizeInUsd × minCollateralFactor.
 *
 * From the row: the closed size in tokens (`size`), the position's USD size (`size_usd` = sizeDeltaUsd,
 * plus `extra.sizeInUsd` left after the decrease, 0 for a liquidation, which closes the whole position),
 * the collateral (`collateral_usd` = collateralDeltaAmount × collateral price), `pnl_usd` = basePnlUsd at
 * `oracle_price` (the index price picked for PnL), the price impact (`extra.totalImpactUsd`, else
 * `extra.priceImpactUsd`) and the position fee (`extra.positionFeeUsd`). Moving the price from
 * `oracle_price` to P changes the PnL by ±size × (P − oracle_price), and a collateral in the index asset
 * (WETH backing an ETH long) by collateral × (P / oracle_price − 1).
 */
export const gmxV2MarginParams = z.strictObject({
  /**
   * MIN_COLLATERAL_FACTOR of a market (its liquidation factor): 1 % is gmx-synthetics' base market config
   * (config/markets.ts, `minCollateralFactor` and `minCollateralFactorForLiquidation`); set a market's
   * own value under `markets` (by market token address or by asset).
   */
  minCollateralFactor: z.number().min(0).max(1).default(0.01),
  /** MIN_COLLATERAL_USD: 1 USD in gmx-synthetics' general config (UNVERIFIED for every deployment). */
  minCollateralUsd: z.number().min(0).default(1),
  /** Per market token address (lower case) or asset (`ETH`): its own minCollateralFactor. */
  markets: z.record(z.string(), z.strictObject({ minCollateralFactor: z.number().min(0).max(1) })).default({}),
});
export type GmxV2MarginParams = z.infer<typeof gmxV2MarginParams>;

const unknowable = (unknown: string, detail: string): Unknowable => ({ unknown, detail });

/** A ×10^30 USD integer kept as text in `extra` (absent: 0). */
function usdFromRaw(value: unknown): number {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return 0;
  return Number(BigInt(value)) / 10 ** USD_DECIMALS;
}

function num(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export const gmxV2MarginRules: VenueMarginRules<GmxV2MarginParams> = {
  venue: GMX_V2,
  ownPriceVenues: [GMX_V2],
  // a liquidation's time is its block's timestamp (whole seconds on Arbitrum and Avalanche)
  timeResolutionMs: 1000,
  params: gmxV2MarginParams,
  limits: [
    'borrowing and funding fees accrued since the position was opened are not in the liquidation row; the counterfactual leaves them out, which overstates equity by what they were',
    "the price impact of closing is the liquidation's own; at another price the pool's imbalance, hence the impact, would have been about the same",
    'a PnL capped by MAX_PNL_FACTOR_FOR_TRADERS is taken as emitted',
    "a collateral token other than the index asset or a stablecoin is valued at its price at the liquidation",
  ],

  triggerPrice(l: LiquidationFacts): VenuePrice | Unknowable {
    // GMX closes a long at the index token's min price and a short at its max price (the row's oracle_price).
    const price = num(l.oraclePrice);
    if (price === null || price <= 0) return unknowable('no_venue_price', 'the row has no index price (unknown market: no decimals)');
    return { price, kind: 'oracle' };
  },

  position(l: LiquidationFacts, params: GmxV2MarginParams): PositionAtLiquidation | Unknowable {
    if (l.side === null) return unknowable('no_side', 'the row does not say whether the position was long or short');
    const size = num(l.size);
    const sizeUsd = num(l.sizeUsd);
    const pricePnl = num(l.oraclePrice);
    const collateralUsd = num(l.collateralUsd);
    const pnlUsd = num(l.pnlUsd);
    if (size === null || size <= 0 || pricePnl === null || pricePnl <= 0) {
      return unknowable('no_position_state', 'size or index price missing (unknown market: no decimals)');
    }
    if (sizeUsd === null || collateralUsd === null || pnlUsd === null) {
      return unknowable('no_position_state', 'size in USD, collateral or PnL missing from the row');
    }
    if (usdFromRaw(l.extra.sizeInUsd) !== 0) {
      // GMX liquidation orders close the whole position; a remainder means this is not a full liquidation.
      return unknowable('partial_decrease', 'the decrease left part of the position open; the check applies to whole positions');
    }
    const sign = l.side === 'long' ? 1 : -1;
    const notes: string[] = [];
    const impact = Math.min(0, usdFromRaw(l.extra.totalImpactUsd ?? l.extra.priceImpactUsd));
    const positionFee = typeof l.extra.positionFeeUsd === 'string' ? Number(l.extra.positionFeeUsd) : 0;
    if (typeof l.extra.positionFeeUsd !== 'string') notes.push('position_fee_unknown');
    const collateralInAsset = l.collateralAsset !== null && l.collateralAsset === l.asset;
    if (collateralInAsset) notes.push('collateral_in_index_asset');
    const factor =
      params.markets[l.market.toLowerCase()]?.minCollateralFactor ?? (l.asset ? params.markets[l.asset]?.minCollateralFactor : undefined) ?? params.minCollateralFactor;
    const threshold = Math.max(params.minCollateralUsd, sizeUsd * factor);
    const equityAt = (price: number): number => {
      const collateral = collateralInAsset ? (collateralUsd * price) / pricePnl : collateralUsd;
      return collateral + pnlUsd + sign * size * (price - pricePnl) + impact - positionFee;
    };
    const liquidationFee = num(l.feeUsd) ?? 0;
    return {
      sizeTokens: size,
      equityAt,
      // GMX's threshold is in USD of the position's size (not its current value): the same at every price.
      maintenanceAt: () => threshold,
      keptUsd: Math.max(0, equityAt(pricePnl) - liquidationFee),
      notes,
    };
  },
};
