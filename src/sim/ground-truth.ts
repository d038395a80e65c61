import type { Scenario } from './scenario-schema.ts';
import type { AdlRecord, LiquidationRecord, OracleRecord, SimResult } from './types.ts';
import { isolatedLiquidationPrice } from './margin.ts';
import { dec, fromRaw, mulDec, pricePlaces, sizePlaces, toRaw, USD_PLACES } from './units.ts';
import { chainlinkAggregatorFor, gmxMarketFor, gmxPriceDecimals } from './writers/gmx-values.ts';

/**
 * The ground truth of a simulated scenario: what really happened, in exact decimal strings, for
 * grading analytics (cascade membership and causal parents, oracle errors, ADL) and for checking
 * that indexing stored exactly what was emitted. Every writer renders from these same strings.
 */
export const GROUND_TRUTH_FORMAT = 'liqscope-ground-truth/1';

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
  parentId: string | null;
  cascadeId: string;
  oracleError: boolean;
  /** All fills of one account liquidation share it. */
  groupId: string;
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
  liquidations: GtLiquidation[];
  adlEvents: GtAdl[];
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
  cascades: { id: string; size: number; start: string; end: string; venues: string[]; markets: string[]; members: string[] }[];
  oracleErrors: string[];
  series: { time: string; market: string; reference: string; exogenous: string; depthFactor: string; depth1PctUsd: string; depth2PctUsd: string; realizedVolPct: string; venuePrices: Record<string, string> }[];
  balances: { venue: string; insuranceStart: string; insuranceEnd: string; feesCollected: string; insurancePaid: string; badDebt: string; pools?: Record<string, string> }[];
  /** What is (or would be) emitted on the local Arbitrum; filled in by run-sim once the chain plan exists. */
  chain?: { chainId: number; eventEmitter: string; aggregators: string[]; blocks: number; firstBlockTimestamp: number | null; lastBlockTimestamp: number | null; counts: Record<string, number> };
  summary: Record<
    string,
    {
      liquidations: number;
      adlEvents: number;
      oracleUpdates: number;
      liquidatedUsd: string;
      adlUsd: string;
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
export function buildGroundTruth(scenario: Scenario, result: SimResult): GroundTruth {
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

  for (const v of scenario.venues)
    if (v.kind === 'gmx-v2')
      for (const m of scenario.markets)
        if (m.venues.includes(v.id) && !gmxRefs.get(m.symbol))
          throw new Error(`venue ${v.id} (gmx-v2) lists ${m.symbol}, but GMX v2 has no ${m.symbol}/USD market on Arbitrum`);

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
      cascadeId: '',
      oracleError: e.oracleError,
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

  for (const e of result.events) {
    if (e.type === 'liquidation') liquidations.push(liqRecord(e));
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

  // cascades: follow parents up to the root (an exogenous or parentless liquidation)
  const byId = new Map(liquidations.map((l) => [l.id, l]));
  const rootOf = (l: GtLiquidation): string => {
    let cur = l;
    for (let guard = 0; cur.parentId && guard < 1_000_000; guard++) {
      const parent = byId.get(cur.parentId);
      if (!parent) break;
      cur = parent;
    }
    return cur.id;
  };
  const cascades = new Map<string, GtLiquidation[]>();
  for (const l of liquidations) {
    l.cascadeId = rootOf(l);
    if (!cascades.has(l.cascadeId)) cascades.set(l.cascadeId, []);
    cascades.get(l.cascadeId)!.push(l);
  }

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
    const times = [...ls.map((l) => l.timeMs), ...as.map((x) => x.timeMs)];
    summary[v.id] = {
      liquidations: ls.length,
      adlEvents: as.length,
      oracleUpdates: result.events.filter((e) => e.type === 'oracle' && e.venue === v.id).length,
      liquidatedUsd: fromRaw(sum(ls), USD_PLACES),
      adlUsd: fromRaw(sum(as), USD_PLACES),
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
    liquidations,
    adlEvents,
    oracleUpdates,
    referenceRounds,
    adlStates,
    positions,
    cascades: [...cascades.entries()].map(([id, members]) => ({
      id,
      size: members.length,
      start: members[0]!.time,
      end: members[members.length - 1]!.time,
      venues: [...new Set(members.map((m) => m.venue))].sort(),
      markets: [...new Set(members.map((m) => m.market))].sort(),
      members: members.map((m) => m.id),
    })),
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
