import type { BackgroundFill } from './background.ts';
import type { DydxMarketDataSummary, HyperliquidInfoSummary } from './writers/output-summaries.ts';
import type { Scenario } from './scenario-schema.ts';
import type { AccountLiquidationRecord, AdlRecord, LiquidationRecord, OracleRecord, SimResult } from './types.ts';
import { depthWithin } from './book.ts';
import { isolatedLiquidationPrice } from './margin.ts';
import { dec, fromRaw, mulDec, pricePlaces, sizePlaces, toRaw, USD_PLACES } from './units.ts';
import { chainlinkAggregatorFor, gmxMarketFor, gmxPriceDecimals } from './writers/gmx-values.ts';

/**
 * The ground truth of a simulated scenario: what really happened, in exact decimal strings, for
 * grading analytics (cascade membership and causal parents, oracle errors, ADL) and for checking
 * that indexing stored exactly what was emitted. Every writer renders from these same strings.
 */
export const GROUND_TRUTH_FORMAT = 'liqscope-ground-truth/2';

export interface GtLiquidation {
  id: string;
  venue: string;
  venueKind: string;
  market: string;
  account: string;
  positionId: string;
  side: 'long' | 'short';
  marginMode: 'isolated' | 'cross';
  /** ISO time with milliseconds; `timeMs` is the same as unix milliseconds. */
  time: string;
  timeMs: number;
  /** On-chain venues: the block's unix second (one block per scenario second). */
  blockTimestamp: number | null;
  method: string;
  size: string;
  price: string;
  sizeUsd: string;
  markPrice: string;
  referencePrice: string;
  collateralUsd: string;
  feeUsd: string;
  pnlUsd: string;
  badDebtUsd: string;
  adlId: string | null;
  counterparty: string | null;
  exogenous: boolean;
  /** A fill of the parent account liquidation (material links only; see `accountLiquidations`). */
  parentId: string | null;
  /** The parent account liquidation (material links only). */
  parentGroupId: string | null;
  /** The root account liquidation of its cascade tree. */
  cascadeId: string;
  /** Material oracle error: at least `materiality.oracleErrorMinDistancePct` from the threshold at `referencePrice`. */
  oracleError: boolean;
  /** Raw: cushion > 0 at `referencePrice`. */
  solventAtReference: boolean;
  /** Raw: % adverse move from the reference prices to the account's threshold (group figure). */
  referenceDistancePct: string;
  /** Raw: share of the move past the threshold that earlier liquidations caused (group figure). */
  causedShare: string;
  /** All fills of one account liquidation share it. */
  groupId: string;
}

/** One account liquidation (every fill of it), the unit of cascades and parent links. */
export interface GtAccountLiquidation {
  id: string;
  venue: string;
  venueKind: string;
  account: string;
  marginMode: 'isolated' | 'cross';
  time: string;
  timeMs: number;
  fills: string[];
  markets: string[];
  methods: string[];
  sizeUsd: string;
  collateralUsd: string;
  /** At the venue's prices when it was liquidated. */
  equityUsd: string;
  maintenanceUsd: string;
  badDebtUsd: string;
  exogenous: boolean;
  /** Raw: % adverse move from the no-impact prices to the threshold (≤ 0 exactly when exogenous). */
  noImpactDistancePct: string;
  /** Raw: share of the move past the threshold since the previous check that earlier liquidations caused. */
  causedShare: string;
  /** Raw: the earlier account liquidation that caused most of that move, material or not. */
  contributorGroupId: string | null;
  /** Material: the contributor when not exogenous and causedShare ≥ materiality.parentMinCausedShare. */
  parentGroupId: string | null;
  cascadeId: string;
  solventAtReference: boolean;
  referenceDistancePct: string;
  oracleError: boolean;
}

/** A cascade: a tree of account liquidations under a root (exogenous, or no material parent). */
export interface GtCascade {
  /** The root account liquidation's id. */
  id: string;
  /** Number of account liquidations in the tree. */
  size: number;
  fills: number;
  start: string;
  end: string;
  venues: string[];
  markets: string[];
  /** Account liquidations in time order, each with its parent (null for the root) and depth (root 0). */
  groups: { id: string; parentGroupId: string | null; depth: number; time: string }[];
  /** Every fill of the tree. */
  members: string[];
}

export interface GtAdl {
  id: string;
  venue: string;
  venueKind: string;
  market: string;
  account: string;
  positionId: string;
  side: 'long' | 'short';
  time: string;
  timeMs: number;
  blockTimestamp: number | null;
  size: string;
  price: string;
  sizeUsd: string;
  markPrice: string;
  pnlUsd: string;
  liquidationId: string | null;
  liquidatedAccount: string | null;
  /** The liquidated account's equity at the venue's prices when this ADL ran (negative = deficit); null on GMX. */
  liquidatedEquityUsd: string | null;
  /** max(0, −liquidatedEquityUsd). */
  liquidatedDeficitUsd: string | null;
}

export interface GtOracleUpdate {
  venue: string;
  market: string;
  time: string;
  timeMs: number;
  blockTimestamp: number | null;
  price: string;
  minPrice: string;
  maxPrice: string;
  observedAt: string;
  observedReference: string;
  trigger: string;
  depegPct: string;
  delayMs: number;
  /** |price − reference now| / reference now, in %. */
  deviationPct: string;
}

/** A declared oracle fault on one venue and market, and what it did to the venue's price. */
export interface GtOracleFault {
  venue: string;
  market: string;
  kind: 'stale' | 'congestion' | 'depeg';
  /** Declared window (ISO and unix ms): no publication (stale), publications landing late (congestion), the thin source below the reference (depeg, ramped in from `from`, out from `to`). */
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
  /** Latest time the fault can still affect the venue's price: the next heartbeat after a stale window, the delay after congestion, the ramp-out of a depeg. */
  affectedUntil: string;
  heartbeatSeconds: number;
  lagMs: number;
  dropPct: number | null;
  rampSeconds: number | null;
  delaySeconds: number | null;
  /** Largest |venue price in force − reference| / reference seen until `affectedUntil`, %. */
  maxDeviationPct: string;
  /** First and last time that deviation reached `materiality.oracleErrorMinDistancePct` (null: never). */
  materialFrom: string | null;
  materialTo: string | null;
}

/** The lowest depth makers left on a market, and when (first reached, and until when it held without interruption). */
export interface GtDepthMinimum {
  market: string;
  time: string;
  timeMs: number;
  until: string;
  untilMs: number;
  depthFactor: string;
  depth1PctUsd: string;
  depth2PctUsd: string;
  /** The same depth with makers fully in (depth factor 1). */
  fullDepth1PctUsd: string;
}

export interface GtReferenceRound {
  market: string;
  time: string;
  timeMs: number;
  blockTimestamp: number;
  roundId: number;
  /** Answer with `decimals` decimals (8, USD feeds). */
  answer: string;
  decimals: number;
  /** The Arbitrum aggregator that emits it, or null when the market has none (not on chain). */
  aggregator: string | null;
}

export interface GroundTruth {
  format: typeof GROUND_TRUTH_FORMAT;
  scenario: { name: string; seed: number; start: string; end: string; durationSeconds: number; stepMs: number };
  venues: { id: string; kind: string; chainId: number | null }[];
  markets: { symbol: string; startPrice: string; pricePlaces: number; sizePlaces: number; gmxMarket: string | null; chainlinkAggregator: string | null }[];
  /** The thresholds applied to the raw causal figures (src/sim/causality.ts). */
  materiality: { parentMinCausedShare: number; oracleErrorMinDistancePct: number };
  liquidations: GtLiquidation[];
  accountLiquidations: GtAccountLiquidation[];
  adlEvents: GtAdl[];
  /** Declared oracle faults per venue and market, with what they did. */
  oracleFaults: GtOracleFault[];
  /** Per market, the depth minimum (the liquidity void's deepest point). */
  depthMinimum: GtDepthMinimum[];
  /** Oracle publications of on-chain venues (GMX OraclePriceUpdate) in full; other venues' marks are in `series`. */
  oracleUpdates: GtOracleUpdate[];
  referenceRounds: GtReferenceRound[];
  adlStates: { venue: string; market: string; side: string; time: string; timeMs: number; blockTimestamp: number | null; pnlToPoolFactor: string; maxPnlFactor: string; enabled: boolean }[];
  positions: {
    id: string;
    venue: string;
    market: string;
    account: string;
    side: 'long' | 'short';
    marginMode: 'isolated' | 'cross';
    entryPrice: string;
    size: string;
    leverage: string;
    /** Isolated positions: (E − M/Q)/(1 − m) or (E + M/Q)/(1 + m) at entry; null for cross. */
    liquidationPrice: string | null;
    fate: 'liquidated' | 'adl' | 'survived';
    fateTime: string | null;
    fatePrice: string | null;
    records: string[];
  }[];
  cascades: GtCascade[];
  /** Fills with a material oracle error. */
  oracleErrors: string[];
  series: { time: string; market: string; reference: string; exogenous: string; depthFactor: string; depth1PctUsd: string; depth2PctUsd: string; realizedVolPct: string; venuePrices: Record<string, string> }[];
  balances: { venue: string; insuranceStart: string; insuranceEnd: string; feesCollected: string; insurancePaid: string; badDebt: string; pools?: Record<string, string> }[];
  /**
   * Ordinary trading written beside the liquidation fills (Hyperliquid node fills, dYdX trades and
   * fills): the scenario's parameters, and per venue and market the trades and their notional.
   */
  background: {
    parameters: Scenario['background'];
    venues: Record<string, { trades: number; notionalUsd: string; markets: Record<string, { trades: number; notionalUsd: string }> }>;
  };
  /**
   * The reference series written as the venues' APIs would serve them (filled in by run-sim once the
   * writers ran): Hyperliquid metaAndAssetCtxs samples and 1m candles, dYdX 1MIN candles and hourly
   * historical funding; null for a venue the scenario does not have.
   */
  referenceSeries?: { hyperliquid: HyperliquidInfoSummary | null; dydx: DydxMarketDataSummary | null };
  /** What is (or would be) emitted on the local Arbitrum; filled in by run-sim once the chain plan exists. */
  chain?: { chainId: number; eventEmitter: string; aggregators: string[]; blocks: number; firstBlockTimestamp: number | null; lastBlockTimestamp: number | null; counts: Record<string, number> };
  summary: Record<
    string,
    {
      liquidations: number;
      accountLiquidations: number;
      adlEvents: number;
      oracleUpdates: number;
      liquidatedUsd: string;
      /** Liquidated notional by the side of the liquidated position. */
      liquidatedUsdBySide: { long: string; short: string };
      adlUsd: string;
      /** ADL notional by the side of the ADL'd position. */
      adlUsdBySide: { long: string; short: string };
      oracleErrors: number;
      exogenous: number;
      endogenous: number;
      firstLiquidation: string | null;
      firstAdl: string | null;
      lastEvent: string | null;
    }
  >;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Renders the engine result as ground truth, fixing every float once (see units.ts). */
export function buildGroundTruth(scenario: Scenario, result: SimResult, background: readonly BackgroundFill[] = []): GroundTruth {
  const startMs = Date.parse(scenario.start);
  const startSec = Math.floor(startMs / 1000);
  const venueKind = new Map(scenario.venues.map((v) => [v.id, v.kind]));
  const marketSpec = new Map(scenario.markets.map((m) => [m.symbol, m]));
  const gmxRefs = new Map(scenario.markets.map((m) => [m.symbol, gmxMarketFor(m.symbol)]));
  const onChain = (venue: string) => venueKind.get(venue) === 'gmx-v2';
  const blockTs = (venue: string, tMs: number) => (onChain(venue) ? startSec + Math.floor(tMs / 1000) : null);

  /** Decimal places of prices and sizes per venue and market (GMX: bounded by the token's units). */
  const places = (venue: string, symbol: string) => {
    const m = marketSpec.get(symbol)!;
    let p = pricePlaces(m.startPrice);
    let s = sizePlaces(m.startPrice);
    const ref = gmxRefs.get(symbol);
    if (onChain(venue) && ref) {
      p = Math.min(p, gmxPriceDecimals(ref));
      s = Math.min(8, ref.indexDecimals);
    }
    return { p, s };
  };

  const liquidations: GtLiquidation[] = [];
  const adlEvents: GtAdl[] = [];
  const oracleUpdates: GtOracleUpdate[] = [];
  const referenceRounds: GtReferenceRound[] = [];
  const adlStates: GroundTruth['adlStates'] = [];
  const refAt = new Map<string, string>();

  const liqRecord = (e: LiquidationRecord): GtLiquidation => {
    const { p, s } = places(e.venue, e.market);
    const size = dec(e.size, s);
    const price = dec(e.price, p);
    return {
      id: e.id,
      venue: e.venue,
      venueKind: e.venueKind,
      market: e.market,
      account: e.account,
      positionId: e.positionId,
      side: e.side,
      marginMode: e.marginMode,
      time: iso(startMs + e.tMs),
      timeMs: startMs + e.tMs,
      blockTimestamp: blockTs(e.venue, e.tMs),
      method: e.method,
      size,
      price,
      sizeUsd: mulDec(size, price, USD_PLACES),
      markPrice: dec(e.markPrice, p),
      referencePrice: dec(e.referencePrice, p),
      collateralUsd: dec(e.collateral, USD_PLACES),
      feeUsd: dec(e.fee, USD_PLACES),
      pnlUsd: dec(e.pnl, USD_PLACES),
      badDebtUsd: dec(e.badDebt, USD_PLACES),
      adlId: e.adlId,
      counterparty: e.counterparty,
      exogenous: e.exogenous,
      parentId: e.parentId,
      parentGroupId: e.parentGroupId,
      cascadeId: '',
      oracleError: e.oracleError,
      solventAtReference: true,
      referenceDistancePct: '',
      causedShare: '',
      groupId: e.groupId,
    };
  };
  const adlRecord = (e: AdlRecord): GtAdl => {
    const { p, s } = places(e.venue, e.market);
    const size = dec(e.size, s);
    const price = dec(e.price, p);
    return {
      id: e.id,
      venue: e.venue,
      venueKind: e.venueKind,
      market: e.market,
      account: e.account,
      positionId: e.positionId,
      side: e.side,
      time: iso(startMs + e.tMs),
      timeMs: startMs + e.tMs,
      blockTimestamp: blockTs(e.venue, e.tMs),
      size,
      price,
      sizeUsd: mulDec(size, price, USD_PLACES),
      markPrice: dec(e.markPrice, p),
      pnlUsd: dec(e.pnl, USD_PLACES),
      liquidationId: e.liquidationId,
      liquidatedAccount: e.liquidatedAccount,
      liquidatedEquityUsd: e.liquidatedEquity === null ? null : dec(e.liquidatedEquity, USD_PLACES),
      liquidatedDeficitUsd: e.liquidatedEquity === null ? null : dec(Math.max(0, -e.liquidatedEquity), USD_PLACES),
    };
  };
  const oracleRecord = (e: OracleRecord): GtOracleUpdate => {
    const { p } = places(e.venue, e.market);
    return {
      venue: e.venue,
      market: e.market,
      time: iso(startMs + e.tMs),
      timeMs: startMs + e.tMs,
      blockTimestamp: blockTs(e.venue, e.tMs),
      price: dec(e.price, p),
      minPrice: dec(e.minPrice, p),
      maxPrice: dec(e.maxPrice, p),
      observedAt: iso(startMs + e.observedAtMs),
      observedReference: dec(e.observedReference, p),
      trigger: e.trigger,
      depegPct: dec(e.depegPct, 4),
      delayMs: e.delayMs,
      deviationPct: '',
    };
  };

  const groupRecords: AccountLiquidationRecord[] = [];
  for (const e of result.events) {
    if (e.type === 'liquidation') liquidations.push(liqRecord(e));
    else if (e.type === 'account-liquidation') groupRecords.push(e);
    else if (e.type === 'adl') adlEvents.push(adlRecord(e));
    else if (e.type === 'oracle') {
      if (onChain(e.venue)) oracleUpdates.push(oracleRecord(e));
    } else if (e.type === 'reference-round') {
      const agg = chainlinkAggregatorFor(e.market);
      referenceRounds.push({
        market: e.market,
        time: iso(startMs + e.tMs),
        timeMs: startMs + e.tMs,
        blockTimestamp: startSec + Math.floor(e.tMs / 1000),
        roundId: e.roundId,
        answer: dec(e.price, 8),
        decimals: 8,
        aggregator: agg ? agg.address : null,
      });
    } else {
      adlStates.push({
        venue: e.venue,
        market: e.market,
        side: e.side,
        time: iso(startMs + e.tMs),
        timeMs: startMs + e.tMs,
        blockTimestamp: blockTs(e.venue, e.tMs),
        pnlToPoolFactor: dec(e.pnlToPoolFactor, 12),
        maxPnlFactor: dec(e.maxPnlFactor, 12),
        enabled: e.enabled,
      });
    }
  }

  // the reference at each sampled second, for oracle deviation
  for (const point of result.series) refAt.set(`${point.market}|${point.t}`, String(point.reference));
  for (const o of oracleUpdates) {
    const t = Math.floor((o.timeMs - startMs) / 1000 / scenario.sampleSeconds) * scenario.sampleSeconds * 1000;
    const ref = Number(refAt.get(`${o.market}|${t}`));
    o.deviationPct = ref > 0 ? dec((Math.abs(Number(o.price) - ref) / ref) * 100, 4) : '0';
  }

  // account liquidations, then cascade trees over them (a root is exogenous or has no material parent)
  const fillsById = new Map(liquidations.map((l) => [l.id, l]));
  const accountLiquidations: GtAccountLiquidation[] = groupRecords.map((g) => {
    const fills = g.fillIds.map((id) => fillsById.get(id)!);
    const usd = (pick: (l: GtLiquidation) => string) => fromRaw(fills.reduce((acc, l) => acc + toRaw(pick(l), USD_PLACES), 0n), USD_PLACES);
    const causedShare = dec(g.causedShare, 6);
    const referenceDistancePct = dec(g.referenceDistancePct, 4);
    for (const l of fills) {
      l.causedShare = causedShare;
      l.referenceDistancePct = referenceDistancePct;
      l.solventAtReference = g.solventAtReference;
    }
    return {
      id: g.id,
      venue: g.venue,
      venueKind: g.venueKind,
      account: g.account,
      marginMode: g.marginMode,
      time: iso(startMs + g.tMs),
      timeMs: startMs + g.tMs,
      fills: g.fillIds,
      markets: [...g.markets].sort(),
      methods: [...new Set(fills.map((l) => l.method))].sort(),
      sizeUsd: usd((l) => l.sizeUsd),
      collateralUsd: dec(g.collateral, USD_PLACES),
      equityUsd: dec(g.equity, USD_PLACES),
      maintenanceUsd: dec(g.maintenance, USD_PLACES),
      badDebtUsd: usd((l) => l.badDebtUsd),
      exogenous: g.exogenous,
      noImpactDistancePct: dec(g.noImpactDistancePct, 4),
      causedShare,
      contributorGroupId: g.contributorGroupId,
      parentGroupId: g.parentGroupId,
      cascadeId: '',
      solventAtReference: g.solventAtReference,
      referenceDistancePct,
      oracleError: g.oracleError,
    };
  });
  const groupById = new Map(accountLiquidations.map((g) => [g.id, g]));
  const depthOf = new Map<string, number>();
  // parents are always earlier, so one pass in time order finds every root and depth
  for (const g of accountLiquidations) {
    const parent = g.parentGroupId ? groupById.get(g.parentGroupId) : undefined;
    g.cascadeId = parent ? parent.cascadeId : g.id;
    depthOf.set(g.id, parent ? depthOf.get(parent.id)! + 1 : 0);
    for (const id of g.fills) fillsById.get(id)!.cascadeId = g.cascadeId;
  }
  const trees = new Map<string, GtAccountLiquidation[]>();
  for (const g of accountLiquidations) {
    if (!trees.has(g.cascadeId)) trees.set(g.cascadeId, []);
    trees.get(g.cascadeId)!.push(g);
  }
  const cascades: GtCascade[] = [...trees.entries()].map(([id, groups]) => {
    const fills = groups.flatMap((g) => g.fills.map((f) => fillsById.get(f)!));
    return {
      id,
      size: groups.length,
      fills: fills.length,
      start: groups[0]!.time,
      end: groups[groups.length - 1]!.time,
      venues: [...new Set(groups.map((g) => g.venue))].sort(),
      markets: [...new Set(fills.map((l) => l.market))].sort(),
      groups: groups.map((g) => ({ id: g.id, parentGroupId: g.parentGroupId, depth: depthOf.get(g.id)!, time: g.time })),
      members: fills.map((l) => l.id),
    };
  });

  const positions: GroundTruth['positions'] = [];
  const recordTime = new Map<string, { time: string; price: string }>();
  for (const l of liquidations) if (!recordTime.has(l.positionId)) recordTime.set(l.positionId, { time: l.time, price: l.price });
  const adlTime = new Map<string, { time: string; price: string }>();
  for (const a of adlEvents) if (!adlTime.has(a.positionId)) adlTime.set(a.positionId, { time: a.time, price: a.price });
  for (const a of result.accounts) {
    for (const p of a.positions) {
      const { p: pp, s } = places(p.venue, p.market);
      const margin = p.initialSize * p.entry / p.leverage;
      const when = p.fate === 'liquidated' ? recordTime.get(p.id) : p.fate === 'adl' ? adlTime.get(p.id) : undefined;
      positions.push({
        id: p.id,
        venue: p.venue,
        market: p.market,
        account: a.address,
        side: p.side,
        marginMode: a.mode,
        entryPrice: dec(p.entry, pp),
        size: dec(p.initialSize, s),
        leverage: dec(p.leverage, 4),
        liquidationPrice:
          a.mode === 'isolated' ? dec(isolatedLiquidationPrice(p.side, p.entry, a.initialCollateral || margin, p.initialSize, p.m), pp) : null,
        fate: p.fate,
        fateTime: when?.time ?? null,
        fatePrice: when?.price ?? null,
        records: p.records,
      });
    }
  }

  const summary: GroundTruth['summary'] = {};
  for (const v of scenario.venues) {
    const ls = liquidations.filter((l) => l.venue === v.id);
    const as = adlEvents.filter((x) => x.venue === v.id);
    const sum = (xs: { sizeUsd: string }[]) => xs.reduce((acc, x) => acc + toRaw(x.sizeUsd, USD_PLACES), 0n);
    const bySide = (xs: { sizeUsd: string; side: 'long' | 'short' }[]) => ({
      long: fromRaw(sum(xs.filter((x) => x.side === 'long')), USD_PLACES),
      short: fromRaw(sum(xs.filter((x) => x.side === 'short')), USD_PLACES),
    });
    const times = [...ls.map((l) => l.timeMs), ...as.map((x) => x.timeMs)];
    summary[v.id] = {
      liquidations: ls.length,
      accountLiquidations: accountLiquidations.filter((g) => g.venue === v.id).length,
      adlEvents: as.length,
      oracleUpdates: result.events.filter((e) => e.type === 'oracle' && e.venue === v.id).length,
      liquidatedUsd: fromRaw(sum(ls), USD_PLACES),
      liquidatedUsdBySide: bySide(ls),
      adlUsd: fromRaw(sum(as), USD_PLACES),
      adlUsdBySide: bySide(as),
      oracleErrors: ls.filter((l) => l.oracleError).length,
      exogenous: ls.filter((l) => l.exogenous).length,
      endogenous: ls.filter((l) => !l.exogenous).length,
      firstLiquidation: ls[0]?.time ?? null,
      firstAdl: as[0]?.time ?? null,
      lastEvent: times.length ? iso(Math.max(...times)) : null,
    };
  }

  return {
    format: GROUND_TRUTH_FORMAT,
    scenario: {
      name: scenario.name,
      seed: scenario.seed,
      start: iso(startMs),
      end: iso(startMs + scenario.durationSeconds * 1000),
      durationSeconds: scenario.durationSeconds,
      stepMs: scenario.stepMs,
    },
    venues: scenario.venues.map((v) => ({ id: v.id, kind: v.kind, chainId: v.kind === 'gmx-v2' ? 42161 : null })),
    markets: scenario.markets.map((m) => ({
      symbol: m.symbol,
      startPrice: String(m.startPrice),
      pricePlaces: pricePlaces(m.startPrice),
      sizePlaces: sizePlaces(m.startPrice),
      gmxMarket: gmxRefs.get(m.symbol)?.market.toLowerCase() ?? null,
      chainlinkAggregator: chainlinkAggregatorFor(m.symbol)?.address.toLowerCase() ?? null,
    })),
    materiality: { ...scenario.materiality },
    liquidations,
    accountLiquidations,
    adlEvents,
    oracleFaults: result.oracleFaults.map((f): GtOracleFault => {
      const oracle = scenario.venues.find((v) => v.id === f.venue)!.oracle;
      const isoOrNull = (ms: number | null) => (ms === null ? null : iso(startMs + ms));
      return {
        venue: f.venue,
        market: scenario.markets[f.marketIndex]!.symbol,
        kind: f.kind,
        from: iso(startMs + f.fromMs),
        to: iso(startMs + f.toMs),
        fromMs: startMs + f.fromMs,
        toMs: startMs + f.toMs,
        affectedUntil: iso(startMs + f.envelopeEndMs),
        heartbeatSeconds: oracle.heartbeatSeconds,
        lagMs: oracle.lagMs,
        dropPct: f.kind === 'depeg' ? oracle.depeg!.dropPct : null,
        rampSeconds: f.kind === 'depeg' ? oracle.depeg!.rampSeconds : null,
        delaySeconds: f.kind === 'congestion' ? oracle.congestion!.delaySeconds : null,
        maxDeviationPct: dec(f.maxDeviationPct, 4),
        materialFrom: isoOrNull(f.materialFromMs),
        materialTo: isoOrNull(f.materialToMs),
      };
    }),
    depthMinimum: result.depthMinimum.map((d): GtDepthMinimum => {
      const market = scenario.markets[d.marketIndex]!;
      return {
        market: market.symbol,
        time: iso(startMs + d.fromMs),
        timeMs: startMs + d.fromMs,
        until: iso(startMs + d.untilMs),
        untilMs: startMs + d.untilMs,
        depthFactor: dec(d.depthFactor, 6),
        depth1PctUsd: dec(depthWithin(market.depth, d.depthFactor, 1), 0),
        depth2PctUsd: dec(depthWithin(market.depth, d.depthFactor, 2), 0),
        fullDepth1PctUsd: dec(depthWithin(market.depth, 1, 1), 0),
      };
    }),
    oracleUpdates,
    referenceRounds,
    adlStates,
    positions,
    cascades,
    background: summarizeBackground(scenario, background),
    oracleErrors: liquidations.filter((l) => l.oracleError).map((l) => l.id),
    series: result.series.map((pt) => {
      const { p } = places('', pt.market);
      return {
        time: iso(startMs + pt.t),
        market: pt.market,
        reference: dec(pt.reference, p),
        exogenous: dec(pt.exogenous, p),
        depthFactor: dec(pt.depthFactor, 4),
        depth1PctUsd: dec(pt.depth1PctUsd, 0),
        depth2PctUsd: dec(pt.depth2PctUsd, 0),
        realizedVolPct: dec(pt.realizedVolPct, 4),
        venuePrices: Object.fromEntries(Object.entries(pt.venuePrices).map(([k, v]) => [k, dec(v, p)])),
      };
    }),
    balances: result.balances.map((b) => ({
      venue: b.venue,
      insuranceStart: dec(b.insuranceStart, USD_PLACES),
      insuranceEnd: dec(b.insuranceEnd, USD_PLACES),
      feesCollected: dec(b.feesCollected, USD_PLACES),
      insurancePaid: dec(b.insurancePaid, USD_PLACES),
      badDebt: dec(b.badDebt, USD_PLACES),
      ...(b.pools ? { pools: Object.fromEntries(Object.entries(b.pools).map(([k, v]) => [k, dec(v, USD_PLACES)])) } : {}),
    })),
    summary,
  };
}

/** Trades and notional (Σ size × price, exact) of the ordinary trading, per venue and market. */
function summarizeBackground(scenario: Scenario, fills: readonly BackgroundFill[]): GroundTruth['background'] {
  const venues: GroundTruth['background']['venues'] = {};
  const raw = new Map<string, bigint>();
  for (const f of fills) {
    const v = (venues[f.venue] ??= { trades: 0, notionalUsd: '0', markets: {} });
    const m = (v.markets[f.market] ??= { trades: 0, notionalUsd: '0' });
    v.trades += 1;
    m.trades += 1;
    const usd = toRaw(mulDec(f.size, f.price, USD_PLACES), USD_PLACES);
    raw.set(f.venue, (raw.get(f.venue) ?? 0n) + usd);
    raw.set(`${f.venue}|${f.market}`, (raw.get(`${f.venue}|${f.market}`) ?? 0n) + usd);
  }
  for (const [venue, v] of Object.entries(venues)) {
    v.notionalUsd = fromRaw(raw.get(venue)!, USD_PLACES);
    for (const [market, m] of Object.entries(v.markets)) m.notionalUsd = fromRaw(raw.get(`${venue}|${market}`)!, USD_PLACES);
  }
  return { parameters: { ...scenario.background }, venues };
}
