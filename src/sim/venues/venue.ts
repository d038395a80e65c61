import type { Contribution } from '../impact.ts';
import type { Settlement, Side } from '../margin.ts';
import type { OracleFeed, Publication } from '../oracle.ts';
import type { Random } from '../random.ts';
import type { MarketSpec, VenueSpec } from '../scenario-schema.ts';
import type { AdlRecord, LiquidationMethod, SimAccount, SimEvent, SimPosition, VenueBalance, VenueKind } from '../types.ts';

/**
 * One venue's rules behind one interface: the engine (src/sim/engine.ts) owns the loop and the
 * shared state (prices, books, oracles, accounts, events) and asks the venue module, through these
 * hooks, how it values positions, how it closes an account that is due, who pays for it, and what
 * it does after its oracle publishes or at the end of a step. One file per venue kind.
 */
export interface SimVenue {
  readonly spec: VenueSpec;
  readonly id: string;
  readonly kind: VenueKind;
  /** Whether accounts may hold several positions on one margin (GMX v2 positions are isolated). */
  readonly crossMargin: boolean;
  /** Whether the venue trades on an order book (it then gets background trading); GMX v2 trades against its pool. */
  readonly hasBook: boolean;
  /** Maintenance margin rate m of a market on this venue (formats.md §8). */
  maintenanceRate(market: MarketSpec): number;
  maxLeverage(market: MarketSpec): number;
  /** A deterministic address of the venue's kind for a simulated account. */
  accountAddress(seed: number, label: string): string;
  /** The price the venue values a position at, from its oracle's price (GMX: the pessimistic side of the spread). */
  valuationPrice(side: Side, oraclePrice: number): number;
  /** Insurance fund, backstop capital and pools at the start. */
  openingBalance(markets: readonly MarketSpec[]): VenueBalance;
  /** How an account that is due is closed: the closes, the fee rate and what insurance may pay. */
  planLiquidation(ctx: VenueContext, due: DueAccount): LiquidationPlan;
  /** After the engine has recorded the settlement: who keeps the fee and who eats the shortfall. */
  settle(ctx: VenueContext, closes: readonly PlannedClose[], settlement: Settlement): void;
  /** After this venue's oracle publications on market `marketIndex` landed and accounts were liquidated (GMX's ADL keeper). */
  afterPublications?(ctx: VenueContext, marketIndex: number, tMs: number): void;
  /** At the end of every step (Hyperliquid's backstop vault selling its inventory). */
  endOfStep?(ctx: VenueContext, tMs: number): void;
}

/** An account the engine found liquidatable at the venue's prices. */
export interface DueAccount {
  account: SimAccount;
  /** Its open positions. */
  open: SimPosition[];
  /** At the venue's prices. */
  health: { equity: number; maintenance: number; notional: number };
  groupId: string;
  tMs: number;
}

/** One fill of an account liquidation as the venue planned it. */
export interface PlannedClose {
  p: SimPosition;
  size: number;
  exit: number;
  method: LiquidationMethod;
  /** The ADL fill it is matched with (same millisecond), if any. */
  adl: AdlRecord | null;
  /** The venue's price that triggered it. */
  mark: number;
  /** The book impact it left (named after the fill once it has an id). */
  contribution?: Contribution;
}

export interface LiquidationPlan {
  closes: PlannedClose[];
  /** Share of the closed notional charged as fee (Infinity: the backstop keeps every dollar left). */
  feeRate: number;
  /** What the insurance fund / backstop may pay toward a shortfall. */
  insuranceAvailable: number;
  /** Runs once the fills have ids (the first fill's id names the account liquidation's impact). */
  afterSettle?: (firstFillId: string) => void;
}

/** A venue's oracle on one market, as the engine polls it. */
export interface FeedState {
  venue: VenueSpec;
  marketIndex: number;
  feed: OracleFeed;
  /** The publication in force. */
  pub: Publication | null;
  /** The price in force before the last landing (Hyperliquid ADL closes at the previous mark). */
  prevPrice: number | null;
  /** The publication in force before this step's landings (the accounts' previous check). */
  before: Publication | null;
}

/** What the engine's shared state offers a venue module. */
export interface VenueContext {
  readonly stepMs: number;
  readonly markets: readonly MarketSpec[];
  /** The reference (book mid) of a market now, liquidation impact included. */
  refNow(marketIndex: number): number;
  /** The share of the depth profile makers keep now. */
  depthFactor(marketIndex: number): number;
  /** Sends an order closing `size` of a `side` position into the book; it moves the reference. */
  hitBook(marketIndex: number, side: Side, size: number, impactId: string, groupId: string, tMs: number): { exec: number; contribution: Contribution };
  /** The venue's price of a position now, or from its current publication through `usePub`. */
  valuation(p: SimPosition, usePub?: (pub: Publication) => number): number;
  feed(venueId: string, marketIndex: number): FeedState;
  /** Every simulated position of a venue on a market (closed ones have size 0). */
  positions(venueId: string, marketIndex: number): readonly SimPosition[];
  account(id: string): SimAccount;
  /** Equity, maintenance and notional of an account at its venue's prices. */
  health(a: SimAccount): { equity: number; maintenance: number; notional: number };
  nextId(venueId: string, kind: string): string;
  emit(event: SimEvent): void;
  balance(venueId: string): VenueBalance;
  /** A seeded stream for one purpose, the same instance for the same label. */
  random(label: string): Random;
}

/** Sizes below this are closed positions (float dust). */
export const EPS = 1e-12;
