import { BackgroundTrading } from './background.ts';
import { depthFactor as makerDepthFactor, depthWithin, walkBook } from './book.ts';
import { crossingFigures, distanceToThresholdPct, isMaterialOracleError, isMaterialParent, largestContributor } from './causality.ts';
import type { CrossingContribution, CrossingPosition } from './causality.ts';
import { DepthMinimumTracker } from './depth-minimum.ts';
import { ImpactLedger } from './impact.ts';
import type { Contribution } from './impact.ts';
import { accountHealth, isLiquidatable, settleClose, sideSign, unrealizedPnl } from './margin.ts';
import type { MarginPosition, Settlement, Side } from './margin.ts';
import { OracleFeed } from './oracle.ts';
import type { Publication } from './oracle.ts';
import { declaredFaults, OracleFaultTracker } from './oracle-faults.ts';
import { buildExogenousPaths } from './price-path.ts';
import { Random } from './random.ts';
import type { Scenario } from './scenario-schema.ts';
import { makeAccounts } from './traders.ts';
import type { AccountLiquidationRecord, LiquidationRecord, SeriesPoint, SimAccount, SimEvent, SimPosition, SimResult, VenueBalance, VenueSample } from './types.ts';
import { createVenue } from './venues/create-venue.ts';
import { EPS } from './venues/venue.ts';
import type { FeedState, PlannedClose, SimVenue, VenueContext } from './venues/venue.ts';

/**
 * The scenario engine: pure (no I/O, no clock, no Math.random); the same scenario and seed give
 * the same events in the same order. It owns the loop and the shared state; each venue's rules
 * live in its module (src/sim/venues/), behind the `SimVenue` hooks. Each step (sub-second):
 *  1. the exogenous path moves; liquidation price impact decays toward it (arbitrage);
 *  2. market makers set depth from realized volatility (and outages), once a second;
 *  3. oracles poll and maybe publish (lag, heartbeat/deviation, stale, congestion, depeg);
 *  4. accounts of venues whose oracle published are checked at the venue's prices and liquidated
 *     by the venue's rules; liquidations that sell into the book move the reference at once,
 *     which the next oracle update carries to every venue: the endogenous cascade;
 *  5. venues react to their publications (GMX ADL) and end the step (Hyperliquid's vault sells).
 */
export function simulate(scenario: Scenario): SimResult {
  const rng = new Random(scenario.seed);
  const paths = buildExogenousPaths(scenario, rng.fork('path'));
  const stepMs = scenario.stepMs;
  const steps = paths.prices[0]!.length;
  const tau = scenario.liquidity.resilienceSeconds * 1000;
  const markets = scenario.markets;
  const marketIndex = new Map(markets.map((m, i) => [m.symbol, i]));
  const venues: SimVenue[] = scenario.venues.map((spec) => createVenue(spec, markets));
  const venueById = new Map(venues.map((v) => [v.id, v]));

  // ---- market state
  const refStart = markets.map(() => new Float64Array(steps));
  const impact = new ImpactLedger(markets.length, tau, stepMs);
  const depthFactorNow = markets.map(() => 1);
  const volPct = markets.map(() => 0);
  const secondReturns: number[][] = markets.map(() => []);
  const lastSecondRef = markets.map((m) => m.startPrice);
  let currentStep = 0;

  const refNow = (mi: number): number => paths.prices[mi]![currentStep]! * Math.exp(impact.log(mi));

  // ---- oracles
  const feeds = new Map<string, FeedState>();
  const feedKey = (venue: string, mi: number): string => `${venue}|${mi}`;
  const depegApplies = (venue: SimVenue, mi: number) => !venue.spec.oracle.depeg?.markets || venue.spec.oracle.depeg.markets.includes(markets[mi]!.symbol);
  for (const venue of venues) {
    markets.forEach((market, mi) => {
      if (!market.venues.includes(venue.id)) return;
      feeds.set(feedKey(venue.id, mi), { venue: venue.spec, marketIndex: mi, feed: new OracleFeed(venue.spec.oracle, depegApplies(venue, mi)), pub: null, prevPrice: null, before: null });
    });
  }
  const faultTrackers: { fs: FeedState; tracker: OracleFaultTracker }[] = [];
  for (const fs of feeds.values()) {
    const venue = venueById.get(fs.venue.id)!;
    for (const fault of declaredFaults(fs.venue.oracle, scenario.durationSeconds * 1000)) {
      if (fault.kind === 'depeg' && !depegApplies(venue, fs.marketIndex)) continue;
      faultTrackers.push({ fs, tracker: new OracleFaultTracker(fs.venue.id, fs.marketIndex, fault, scenario.materiality.oracleErrorMinDistancePct) });
    }
  }
  const depthMinimum = new DepthMinimumTracker(markets.length);
  const referenceFeeds = scenario.referenceFeed.markets.map((symbol) => ({
    marketIndex: marketIndex.get(symbol)!,
    feed: new OracleFeed({ heartbeatSeconds: scenario.referenceFeed.heartbeatSeconds, deviationPct: scenario.referenceFeed.deviationPct, lagMs: 0, spreadBps: 0 }, false),
    round: 0,
  }));

  const observe = (mi: number) => (obsMs: number) => {
    const idx = Math.min(steps - 1, Math.max(0, Math.floor(obsMs / stepMs)));
    return { reference: refStart[mi]![idx]!, exogenous: paths.prices[mi]![idx]! };
  };

  // ---- traders
  const accounts = makeAccounts(scenario, rng.fork('traders'), venues);
  const accountsByVenue = new Map<string, SimAccount[]>(venues.map((v) => [v.id, []]));
  for (const a of accounts) accountsByVenue.get(a.venue)!.push(a);
  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const positionsByVenueMarket = new Map<string, SimPosition[]>();
  for (const a of accounts)
    for (const p of a.positions) {
      const key = feedKey(p.venue, p.marketIndex);
      if (!positionsByVenueMarket.has(key)) positionsByVenueMarket.set(key, []);
      positionsByVenueMarket.get(key)!.push(p);
    }
  const feedOf = new Map<SimPosition, FeedState>();
  for (const a of accounts) for (const p of a.positions) feedOf.set(p, feeds.get(feedKey(p.venue, p.marketIndex))!);
  const venueOf = new Map<SimPosition, SimVenue>();
  for (const a of accounts) for (const p of a.positions) venueOf.set(p, venueById.get(p.venue)!);
  const streams = new Map<string, Random>();

  const balances = new Map<string, VenueBalance>(venues.map((v) => [v.id, v.openingBalance(markets)]));
  const events: SimEvent[] = [];
  const series: SeriesPoint[] = [];
  const counters = new Map<string, number>();
  const nextId = (venue: string, kind: string): string => {
    const key = `${venue}:${kind}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return `${venue}:${kind}:${String(n).padStart(6, '0')}`;
  };

  /** The price a venue values a position at, from its publication in force (or `usePub` of it). */
  function valuation(p: SimPosition, usePub?: (pub: Publication) => number): number {
    const pub = feedOf.get(p)!.pub!;
    return venueOf.get(p)!.valuationPrice(p.side, usePub ? usePub(pub) : pub.price);
  }

  const marginPositions = (a: SimAccount, price: (p: SimPosition) => number): MarginPosition[] =>
    a.positions.filter((p) => p.size > EPS).map((p) => ({ side: p.side, entry: p.entry, size: p.size, price: price(p), m: p.m }));

  /** Hot path of every step: account value ≤ maintenance at the venue's prices, without allocations. */
  function isDue(a: SimAccount): boolean {
    let equity = a.collateral;
    let maintenance = 0;
    let open = false;
    for (const p of a.positions) {
      if (p.size <= EPS) continue;
      if (!feedOf.get(p)!.pub) return false;
      open = true;
      const price = valuation(p);
      equity += (p.side === 'long' ? 1 : -1) * p.size * (price - p.entry);
      maintenance += p.size * price * p.m;
    }
    return open && equity <= maintenance;
  }

  /**
   * Sells (closing a long) or buys (closing a short) `size` of market mi into the book: returns the
   * average price and the impact it left on the reference (named later, once the record has an id).
   */
  function hitBook(mi: number, side: Side, size: number, impactId: string, groupId: string, tMs: number): { exec: number; contribution: Contribution } {
    const mid = refNow(mi);
    const fill = walkBook(markets[mi]!.depth, depthFactorNow[mi]!, size * mid);
    const sgn = sideSign(side);
    const contribution = impact.add(mi, Math.log(1 - (sgn * fill.movePct) / 100), impactId, groupId, tMs);
    return { exec: mid * (1 - (sgn * fill.avgPct) / 100), contribution };
  }

  const ctx: VenueContext = {
    stepMs,
    markets,
    refNow,
    depthFactor: (mi) => depthFactorNow[mi]!,
    hitBook,
    valuation,
    feed: (venueId, mi) => feeds.get(feedKey(venueId, mi))!,
    positions: (venueId, mi) => positionsByVenueMarket.get(feedKey(venueId, mi)) ?? [],
    account: (id) => accountById.get(id)!,
    health: (a) => accountHealth(a.collateral, marginPositions(a, (x) => valuation(x))),
    nextId,
    emit: (event) => events.push(event),
    balance: (venueId) => balances.get(venueId)!,
    random(label) {
      if (!streams.has(label)) streams.set(label, rng.fork(label));
      return streams.get(label)!;
    },
  };

  /**
   * The causal figures of src/sim/causality.ts for an account that is due now: the move past its
   * threshold since its previous check, the share the impact caused, and the earlier account
   * liquidation whose impact (decayed to each observation time) consumed most of that move.
   */
  function crossing(a: SimAccount) {
    const open = a.positions.filter((p) => p.size > EPS);
    const positions: CrossingPosition[] = [];
    const slope = new Map<number, number>();
    for (const p of open) {
      const before = feedOf.get(p)!.before ?? feedOf.get(p)!.pub!;
      positions.push({
        side: p.side,
        entry: p.entry,
        size: p.size,
        m: p.m,
        venueBefore: valuation(p, () => before.price),
        noImpactBefore: valuation(p, () => before.exogenousPrice),
        venueNow: valuation(p),
        noImpactNow: valuation(p, (pub) => pub.exogenousPrice),
      });
      slope.set(p.marketIndex, (slope.get(p.marketIndex) ?? 0) + p.size * valuation(p) * (sideSign(p.side) - p.m));
    }
    const seen: CrossingContribution[] = [];
    for (const mi of slope.keys()) {
      const fs = feeds.get(feedKey(a.venue, mi))!;
      const obsNow = Math.floor(fs.pub!.observedAtMs / stepMs) * stepMs;
      const obsBefore = Math.floor((fs.before ?? fs.pub!).observedAtMs / stepMs) * stepMs;
      for (const c of impact.contributions(mi)) {
        if (c.tMs >= obsNow && c.tMs >= obsBefore) continue;
        seen.push({ groupId: c.groupId, fillId: c.id, marketIndex: mi, weightBefore: impact.decayedAt(c, obsBefore), weightNow: impact.decayedAt(c, obsNow) });
      }
    }
    return { ...crossingFigures(a.collateral, positions), contributor: largestContributor(seen, slope) };
  }

  /** How a settlement's fee and shortfall split over the fills, by notional. */
  function allocate(s: Settlement, closes: readonly { size: number; exit: number }[]): { fee: number; badDebt: number }[] {
    const notionals = closes.map((c) => c.size * c.exit);
    const total = notionals.reduce((x, y) => x + y, 0) || 1;
    return notionals.map((n) => ({ fee: (s.fee * n) / total, badDebt: (s.badDebt * n) / total }));
  }

  /**
   * One account liquidation: the causal figures, the venue's plan, the settlement, the fill
   * records (in the venue's order, each ADL fill right after its liquidation fill) and the account
   * liquidation record.
   */
  function liquidateAccount(a: SimAccount, tMs: number): void {
    const venue = venueById.get(a.venue)!;
    const balance = balances.get(venue.id)!;
    const open = a.positions.filter((p) => p.size > EPS);
    const health = accountHealth(a.collateral, marginPositions(a, (p) => valuation(p)));
    // the reference this liquidation faced: before its own orders hit the book
    const referenceAt = new Map(open.map((p) => [p.marketIndex, refNow(p.marketIndex)]));
    const atReference = marginPositions(a, (p) => referenceAt.get(p.marketIndex)!);
    const solventAtReference = !isLiquidatable(a.collateral, atReference);
    const referenceDistancePct = distanceToThresholdPct(a.collateral, atReference);
    const oracleError = isMaterialOracleError(referenceDistancePct, scenario.materiality);
    const noImpact = marginPositions(a, (p) => valuation(p, (pub) => pub.exogenousPrice));
    const exogenous = isLiquidatable(a.collateral, noImpact);
    const noImpactDistancePct = distanceToThresholdPct(a.collateral, noImpact);
    const { causedShare, contributor } = crossing(a);
    const material = contributor !== null && isMaterialParent(exogenous, causedShare, scenario.materiality);
    const parentGroupId = material ? contributor.groupId : null;
    const parentId = material ? contributor.fillId : null;
    const groupId = `${venue.id}:grp:${a.id}`;

    const plan = venue.planLiquidation(ctx, { account: a, open, health, groupId, tMs });
    const closes: PlannedClose[] = plan.closes;
    const settlement = settleClose(
      a.collateral,
      closes.map((c) => ({ side: c.p.side, entry: c.p.entry, size: c.size, exit: c.exit })),
      plan.feeRate,
      plan.insuranceAvailable,
    );
    const shares = allocate(settlement, closes);
    const notionals = closes.map((c) => c.size * c.exit);
    const totalNotional = notionals.reduce((x, y) => x + y, 0) || 1;
    const fillIds: string[] = [];
    closes.forEach((c, i) => {
      const id = nextId(venue.id, 'liq');
      fillIds.push(id);
      // book impacts were registered before the record had an id
      if (c.contribution) c.contribution.id = id;
      const record: LiquidationRecord = {
        type: 'liquidation',
        id,
        venue: venue.id,
        venueKind: venue.kind,
        market: c.p.market,
        account: a.address,
        positionId: c.p.id,
        side: c.p.side,
        marginMode: a.mode,
        tMs,
        size: c.size,
        price: c.exit,
        markPrice: c.mark,
        referencePrice: referenceAt.get(c.p.marketIndex)!,
        method: c.method,
        adlId: c.adl?.id ?? null,
        counterparty: c.adl?.account ?? null,
        collateral: (a.collateral * notionals[i]!) / totalNotional,
        fee: shares[i]!.fee,
        pnl: unrealizedPnl(c.p.side, c.p.entry, c.size, c.exit),
        badDebt: shares[i]!.badDebt,
        exogenous,
        parentId,
        parentGroupId,
        oracleError,
        groupId,
      };
      c.p.records.push(id);
      c.p.fate = 'liquidated';
      events.push(record);
      if (c.adl) {
        c.adl.liquidationId = id;
        events.push(c.adl);
      }
    });
    const group: AccountLiquidationRecord = {
      type: 'account-liquidation',
      id: groupId,
      venue: venue.id,
      venueKind: venue.kind,
      account: a.address,
      marginMode: a.mode,
      tMs,
      fillIds,
      markets: [...new Set(open.map((p) => p.market))],
      collateral: a.collateral,
      equity: health.equity,
      maintenance: health.maintenance,
      notional: health.notional,
      exogenous,
      noImpactDistancePct,
      causedShare,
      contributorGroupId: contributor?.groupId ?? null,
      contributorFillId: contributor?.fillId ?? null,
      parentGroupId,
      parentId,
      solventAtReference,
      referenceDistancePct,
      oracleError,
    };
    events.push(group);
    for (const p of open) p.size = 0;
    a.liquidated = true;
    a.collateral = settlement.returned;
    balance.feesCollected += settlement.fee;
    balance.insurancePaid += settlement.insurancePaid;
    balance.badDebt += settlement.badDebt;
    venue.settle(ctx, closes, settlement);
    plan.afterSettle?.(fillIds[0]!);
  }

  const background = new BackgroundTrading(scenario, venues, paths, ctx.random);
  const venueSamples: VenueSample[] = [];
  const sampled = venues.filter((v) => v.hasBook).flatMap((v) => markets.flatMap((m, mi) => (m.venues.includes(v.id) ? [{ venue: v, mi }] : [])));
  const outage = scenario.liquidity.outage;
  const stepsPerSecond = 1000 / stepMs;
  for (let s = 0; s < steps; s++) {
    currentStep = s;
    const tMs = s * stepMs;
    // 1. impact decays toward the exogenous path
    for (let mi = 0; mi < markets.length; mi++) {
      impact.decay(mi, s, tMs);
      refStart[mi]![s] = refNow(mi);
    }
    // 2. market makers watch realized volatility (per-second returns over the window)
    if (s % stepsPerSecond === 0) {
      const windowLen = Math.max(1, Math.round(scenario.liquidity.volWindowSeconds));
      for (let mi = 0; mi < markets.length; mi++) {
        const ref = refStart[mi]![s]!;
        if (s > 0) {
          const rets = secondReturns[mi]!;
          rets.push(Math.log(ref / lastSecondRef[mi]!));
          if (rets.length > windowLen) rets.shift();
          volPct[mi] = Math.sqrt(rets.reduce((x, r) => x + r * r, 0)) * 100;
        }
        lastSecondRef[mi] = ref;
        const inOutage = outage && tMs >= outage.fromSecond * 1000 && tMs < outage.toSecond * 1000 ? outage.depthFactor : null;
        depthFactorNow[mi] = makerDepthFactor(volPct[mi]!, scenario.liquidity.halfDepthAtVolPct, scenario.liquidity.minDepthFactor, inOutage);
        depthMinimum.observe(mi, depthFactorNow[mi]!, tMs);
      }
    }
    // ordinary trading against the book makers keep now (it does not move the reference)
    background.step(s, tMs, refNow, (mi) => depthFactorNow[mi]!);
    // 3. oracles
    const changedVenues = new Set<string>();
    const published: [SimVenue, number][] = [];
    for (const fs of feeds.values()) {
      fs.before = fs.pub;
      const landed = fs.feed.poll(tMs, observe(fs.marketIndex));
      for (const pub of landed) {
        fs.prevPrice = fs.pub?.price ?? null;
        fs.pub = pub;
        const spread = fs.venue.oracle.spreadBps / 10_000;
        events.push({
          type: 'oracle',
          venue: fs.venue.id,
          market: markets[fs.marketIndex]!.symbol,
          tMs,
          price: pub.price,
          minPrice: pub.price * (1 - spread),
          maxPrice: pub.price * (1 + spread),
          observedAtMs: pub.observedAtMs,
          observedReference: pub.observedReference,
          trigger: pub.trigger,
          depegPct: pub.depegPct,
          delayMs: pub.publishedAtMs - (pub.observedAtMs + fs.venue.oracle.lagMs),
        });
      }
      if (landed.length > 0) {
        changedVenues.add(fs.venue.id);
        const venue = venueById.get(fs.venue.id)!;
        if (venue.afterPublications) published.push([venue, fs.marketIndex]);
      }
    }
    for (const { fs, tracker } of faultTrackers) if (fs.pub) tracker.observe(tMs, fs.pub.price, refNow(fs.marketIndex));
    for (const rf of referenceFeeds) {
      for (const pub of rf.feed.poll(tMs, observe(rf.marketIndex))) {
        rf.round += 1;
        events.push({ type: 'reference-round', market: markets[rf.marketIndex]!.symbol, tMs, price: pub.price, roundId: rf.round });
      }
    }
    // 4. liquidations, venue by venue, accounts in a stable order
    for (const venue of venues) {
      if (!changedVenues.has(venue.id)) continue;
      const due: SimAccount[] = [];
      for (const a of accountsByVenue.get(venue.id)!) {
        if (a.liquidated) continue;
        if (!a.positions.some((p) => p.size > EPS)) continue;
        if (isDue(a)) due.push(a);
      }
      for (const a of due) if (!a.liquidated && a.positions.some((p) => p.size > EPS)) liquidateAccount(a, tMs);
    }
    // 5. venues react to their publications, then end the step
    for (const [venue, mi] of published) venue.afterPublications!(ctx, mi, tMs);
    for (const venue of venues) venue.endOfStep?.(ctx, tMs);
    // what the venues' APIs would serve, once a second
    if (s % stepsPerSecond === 0) {
      for (const { venue, mi } of sampled) {
        let openInterest = 0;
        for (const p of positionsByVenueMarket.get(feedKey(venue.id, mi)) ?? []) openInterest += p.size;
        const pub = feeds.get(feedKey(venue.id, mi))!.pub;
        venueSamples.push({ venue: venue.id, marketIndex: mi, tMs, oracle: pub ? pub.price : null, mid: refNow(mi), depthFactor: depthFactorNow[mi]!, openInterest });
      }
    }
    // series for the ground truth
    if (tMs % (scenario.sampleSeconds * 1000) === 0) {
      markets.forEach((market, mi) => {
        const venuePrices: Record<string, number> = {};
        for (const venue of venues) {
          const pub = feeds.get(feedKey(venue.id, mi))?.pub;
          if (pub) venuePrices[venue.id] = pub.price;
        }
        series.push({
          t: tMs,
          market: market.symbol,
          reference: refNow(mi),
          exogenous: paths.prices[mi]![s]!,
          depthFactor: depthFactorNow[mi]!,
          depth1PctUsd: depthWithin(market.depth, depthFactorNow[mi]!, 1),
          depth2PctUsd: depthWithin(market.depth, depthFactorNow[mi]!, 2),
          realizedVolPct: volPct[mi]!,
          venuePrices,
        });
      });
    }
  }

  return {
    events,
    accounts,
    series,
    balances: [...balances.values()],
    oracleFaults: faultTrackers.map(({ tracker }) => tracker.observation),
    depthMinimum: depthMinimum.result(),
    background: background.trades,
    venueSamples,
  };
}
