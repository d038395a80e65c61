import type { z } from 'zod';

/**
 * A venue's margin rules, as the oracle-error analysis needs them (src/analytics/oracle): which price
 * triggered a liquidation, and the position's equity and maintenance requirement at any other price,
 * from what the liquidation row holds. Protocol knowledge: each protocol folder implements it
 * (`src/protocols/<name>/margin.ts`) and exports it on its `Protocol` object; the composition root hands
 * the rules to the analysis, which never imports a protocol. The contract lives here, among the pipeline's
 * contracts, because protocols may import nothing else.
 */
export interface VenueMarginRules<Params = Record<string, unknown>> {
  /** The `venue` of the liquidation rows these rules read. */
  venue: string;
  /**
   * The `oracle_prices` venues that are this venue's own prices (its oracle, its mark): they are never a
   * reference for its own liquidations, and they count as one source in the median of other venues.
   */
  ownPriceVenues: readonly string[];
  /**
   * How finely the venue's liquidation rows are timed, in ms, when coarser than the millisecond: an EVM
   * venue stamps an event with its block's timestamp, a whole second (1000). The event happened somewhere
   * in that second, so the analysis takes the reference as it stood at the second's end: the other venues'
   * prices of the same second cannot be ordered before or after it. Absent: the rows carry the event's
   * own millisecond.
   */
  timeResolutionMs?: number;
  /** Parameters the rules need that the data does not carry (a market's maintenance factor…), with defaults. */
  params: z.ZodType<Params>;
  /** What the rules cannot know, for the documentation and every check's `limits`. */
  limits: readonly string[];
  /** The price that triggered the liquidation, as the venue defines it, or why it is not known. */
  triggerPrice(liquidation: LiquidationFacts): VenuePrice | Unknowable;
  /**
   * The liquidated position as it stood when it was liquidated, valued at any price of its asset, or why
   * the row does not say enough (a cross-margin account whose other positions are not in the event).
   */
  position(liquidation: LiquidationFacts, params: Params): PositionAtLiquidation | Unknowable;
}

/** A liquidation row as the analysis hands it to the rules: canonical columns, NUMERIC as decimal strings. */
export interface LiquidationFacts {
  id: string;
  venue: string;
  market: string;
  asset: string | null;
  quote: string | null;
  side: 'long' | 'short' | null;
  time: Date;
  size: string | null;
  sizeUsd: string | null;
  price: string | null;
  markPrice: string | null;
  oraclePrice: string | null;
  collateralToken: string | null;
  /** Canonical asset of the collateral token (from `tokens`), when known. */
  collateralAsset: string | null;
  collateralAmount: string | null;
  collateralUsd: string | null;
  pnlUsd: string | null;
  feeUsd: string | null;
  badDebtUsd: string | null;
  flags: readonly string[];
  extra: Readonly<Record<string, unknown>>;
}

export interface VenuePrice {
  /** USD (quote) per unit of the asset. */
  price: number;
  /** What the venue calls it: its oracle price, its mark price, or an index price. */
  kind: 'oracle' | 'mark' | 'index';
  /**
   * When the price was the market's, if the row says (a mark carried by the fill itself); otherwise the
   * analysis takes the time of the venue's latest own oracle update at or before the liquidation.
   */
  observedAt?: Date;
}

/** Why something cannot be computed from the data (a stable code and a sentence). */
export interface Unknowable {
  unknown: string;
  detail: string;
}

/**
 * The position a liquidation closed, as a function of its asset's price. Derived analytics: numbers are
 * floats (the exact values stay in the liquidation row).
 */
export interface PositionAtLiquidation {
  /** Size in units of the asset (positive). */
  sizeTokens: number;
  /** The account's equity in the position at `price` as the venue's liquidation check counts it (USD). */
  equityAt(price: number): number;
  /** The equity below which (or at which) the venue liquidates, at `price` (USD). */
  maintenanceAt(price: number): number;
  /** What the account kept after the liquidation (USD, ≥ 0): collateral returned once losses and fees were paid. */
  keptUsd: number;
  /** Flags on the computation (an estimate the rules had to make), for the check's `limits`. */
  notes: readonly string[];
}

export const isUnknowable = (value: object): value is Unknowable => 'unknown' in value;
