import type { DepthMinimum } from './depth-minimum.ts';
import type { Side } from './margin.ts';
import type { OracleFaultObservation } from './oracle-faults.ts';

/** Engine state and output types. Numbers are floats inside the engine; `units.ts` fixes them for output. */
export type VenueKind = 'gmx-v2' | 'hyperliquid' | 'dydx';
export type MarginMode = 'isolated' | 'cross';

export interface SimPosition {
  id: string;
  accountId: string;
  venue: string;
  market: string;
  marketIndex: number;
  side: Side;
  entry: number;
  /** Open size in tokens. */
  size: number;
  initialSize: number;
  /** Maintenance rate of this market on this venue. */
  m: number;
  leverage: number;
  fate: 'survived' | 'liquidated' | 'adl';
  /** Ids of the liquidation / ADL records that touched this position. */
  records: string[];
}

export interface SimAccount {
  id: string;
  /** 0x address (EVM venues, Hyperliquid) or dydx1… address. */
  address: string;
  venue: string;
  venueKind: VenueKind;
  mode: MarginMode;
  collateral: number;
  initialCollateral: number;
  positions: SimPosition[];
  /** Set once the account has been liquidated (it is out of the game). */
  liquidated: boolean;
}

export type LiquidationMethod =
  /** Hyperliquid: sold into the book by the liquidator. */
  | 'market'
  /** Hyperliquid: taken over by the backstop vault at the mark price. */
  | 'backstop'
  /** Closed against an ADL'd counterparty (Hyperliquid at the previous mark; dYdX deleveraging at bankruptcy). */
  | 'adl'
  /** GMX v2: closed at the oracle price against the pool. */
  | 'oracle'
  /** dYdX: liquidation order filled by the book. */
  | 'book';

export interface LiquidationRecord {
  type: 'liquidation';
  id: string;
  venue: string;
  venueKind: VenueKind;
  market: string;
  account: string;
  positionId: string;
  side: Side;
  marginMode: MarginMode;
  tMs: number;
  size: number;
  price: number;
  /** Venue price that triggered it (mark / oracle). */
  markPrice: number;
  referencePrice: number;
  method: LiquidationMethod;
  /** The ADL record this fill is paired with (same millisecond). */
  adlId: string | null;
  /** Counterparty account (ADL) or null (book, pool, backstop). */
  counterparty: string | null;
  /** Share of the account's collateral, fee, gross pnl and bad debt attributed to this record. */
  collateral: number;
  fee: number;
  pnl: number;
  badDebt: number;
  /** Caused by the exogenous price path alone (no earlier liquidation needed). */
  exogenous: boolean;
  /** A fill of the parent account liquidation (the one whose impact did most), when material. */
  parentId: string | null;
  /** The parent account liquidation, when material. */
  parentGroupId: string | null;
  /** Liquidated by the venue's oracle: at the reference it was at least the materiality distance from its threshold. */
  oracleError: boolean;
  /** Index of the account liquidation (all fills of one account liquidation share it). */
  groupId: string;
}

/**
 * One account liquidation (all its fills), with the causal figures of src/sim/causality.ts: the
 * raw figures and the material decisions taken from them.
 */
export interface AccountLiquidationRecord {
  type: 'account-liquidation';
  id: string;
  venue: string;
  venueKind: VenueKind;
  account: string;
  marginMode: MarginMode;
  tMs: number;
  fillIds: string[];
  markets: string[];
  collateral: number;
  /** At the venue's prices when it was liquidated. */
  equity: number;
  maintenance: number;
  notional: number;
  exogenous: boolean;
  /** % adverse move from the no-impact prices to the threshold (raw; ≤ 0 exactly when `exogenous`). */
  noImpactDistancePct: number;
  /** Share of the move past the threshold (since the previous check) that earlier liquidations' impact caused (raw, 0–1). */
  causedShare: number;
  /** The earlier account liquidation whose impact caused most of that move, material or not. */
  contributorGroupId: string | null;
  contributorFillId: string | null;
  parentGroupId: string | null;
  parentId: string | null;
  /** Cushion > 0 at the reference prices (raw). */
  solventAtReference: boolean;
  /** % adverse move from the reference prices to the threshold (raw; > 0: solvent at the reference). */
  referenceDistancePct: number;
  oracleError: boolean;
}

export interface AdlRecord {
  type: 'adl';
  id: string;
  venue: string;
  venueKind: VenueKind;
  market: string;
  account: string;
  positionId: string;
  side: Side;
  tMs: number;
  size: number;
  price: number;
  markPrice: number;
  /** Realized pnl of the ADL'd position on this fill. */
  pnl: number;
  /** The liquidation it offsets (null on GMX: ADL there reduces the pool's exposure, not a trader's). */
  liquidationId: string | null;
  liquidatedAccount: string | null;
  /** The liquidated account's equity at the venue's prices when ADL ran (negative: its deficit); null on GMX. */
  liquidatedEquity: number | null;
}

export interface OracleRecord {
  type: 'oracle';
  venue: string;
  market: string;
  tMs: number;
  price: number;
  minPrice: number;
  maxPrice: number;
  observedAtMs: number;
  observedReference: number;
  trigger: 'start' | 'heartbeat' | 'deviation';
  depegPct: number;
  /** Publication decided this long before it landed (congestion), ms. */
  delayMs: number;
}

export interface ReferenceRoundRecord {
  type: 'reference-round';
  market: string;
  tMs: number;
  price: number;
  roundId: number;
}

export interface AdlStateRecord {
  type: 'adl-state';
  venue: string;
  market: string;
  side: Side;
  tMs: number;
  pnlToPoolFactor: number;
  maxPnlFactor: number;
  enabled: boolean;
}

export type SimEvent = LiquidationRecord | AccountLiquidationRecord | AdlRecord | OracleRecord | ReferenceRoundRecord | AdlStateRecord;

export interface SeriesPoint {
  t: number;
  market: string;
  reference: number;
  exogenous: number;
  depthFactor: number;
  depth1PctUsd: number;
  depth2PctUsd: number;
  realizedVolPct: number;
  venuePrices: Record<string, number>;
}

/**
 * A venue's market state once a second (venues with a book), for the reference outputs its API
 * would serve: the oracle price in force, the book mid (the reference), the depth factor and the
 * open interest of the simulated positions.
 */
export interface VenueSample {
  venue: string;
  marketIndex: number;
  tMs: number;
  /** The venue's oracle price in force (null before its first publication). */
  oracle: number | null;
  mid: number;
  depthFactor: number;
  /** Σ open size of the simulated positions, tokens. */
  openInterest: number;
}

export interface VenueBalance {
  venue: string;
  /** Insurance fund / backstop capital at the start and end. */
  insuranceStart: number;
  insuranceEnd: number;
  feesCollected: number;
  insurancePaid: number;
  badDebt: number;
  /** GMX: pool value at the end per market. */
  pools?: Record<string, number>;
}

export interface SimResult {
  events: SimEvent[];
  accounts: SimAccount[];
  series: SeriesPoint[];
  balances: VenueBalance[];
  oracleFaults: OracleFaultObservation[];
  depthMinimum: DepthMinimum[];
  /** Ordinary taker trades on the venues with a book, in time order. */
  background: BackgroundTrade[];
  /** Once a second, per venue with a book and market, at the end of the step. */
  venueSamples: VenueSample[];
}

/** One ordinary taker trade of the background trading (src/sim/background.ts). */
export interface BackgroundTrade {
  venue: string;
  marketIndex: number;
  tMs: number;
  takerBuys: boolean;
  /** Tokens. */
  size: number;
  price: number;
  taker: string;
  maker: string;
}
