import type { Side } from './margin.ts';

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
  /** The liquidation whose price impact pushed this one over its threshold. */
  parentId: string | null;
  /** Solvent at the reference price: liquidated only because of the venue's oracle. */
  oracleError: boolean;
  /** Index of the account liquidation (all fills of one account liquidation share it). */
  groupId: string;
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

export type SimEvent = LiquidationRecord | AdlRecord | OracleRecord | ReferenceRoundRecord | AdlStateRecord;

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
}
