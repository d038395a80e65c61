import { keccak256, stringToHex } from 'viem';
import { depthFactor as makerDepthFactor, depthWithin, walkBook } from './book.ts';
import {
  accountHealth,
  bankruptcyPrice,
  hyperliquidMaintenanceRate,
  hyperliquidNeedsBackstop,
  isLiquidatable,
  settleClose,
  sideSign,
  unrealizedPnl,
} from './margin.ts';
import type { MarginPosition, Settlement, Side } from './margin.ts';
import { OracleFeed } from './oracle.ts';
import type { Publication } from './oracle.ts';
import { buildExogenousPaths } from './price-path.ts';
import { Random } from './random.ts';
import type { Scenario, VenueSpec } from './scenario-schema.ts';
import type {
  AdlRecord,
  LiquidationMethod,
  LiquidationRecord,
  SeriesPoint,
  SimAccount,
  SimEvent,
  SimPosition,
  SimResult,
  VenueBalance,
} from './types.ts';
import { deleveragingOrder } from './venues/dydx.ts';
import { planGmxAdl, pnlToPoolFactor } from './venues/gmx-v2.ts';
import { rankHyperliquidAdl } from './venues/hyperliquid.ts';

const EPS = 1e-12;

interface FeedState {
  venue: VenueSpec;
  marketIndex: number;
  feed: OracleFeed;
  /** Current and previous published price (Hyperliquid ADL closes at the previous mark). */
  pub: Publication | null;
  prevPrice: number | null;
}

interface Contribution {
  id: string;
  tMs: number;
  log: number;
}

/**
 * The scenario engine: pure (no I/O, no clock, no Math.random); the same scenario and seed give
 * the same events in the same order. Each step (sub-second):
 *  1. the exogenous path moves; liquidation price impact decays toward it (arbitrage);
 *  2. market makers set depth from realized volatility (and outages);
 *  3. oracles poll and maybe publish (lag, heartbeat/deviation, stale, congestion, depeg);
 *  4. accounts are checked at their venue's price and liquidated by venue rules; liquidations that
 *     sell into the book move the reference at once, which the next oracle update carries to every
 *     venue: the endogenous cascade;
 *  5. backstops/insurance absorb shortfalls; when they are short, ADL runs.
 */
export function simulate(scenario: Scenario): SimResult {
  const rng = new Random(scenario.seed);
  const paths = buildExogenousPaths(scenario, rng.fork('path'));
  const stepMs = scenario.stepMs;
  const steps = paths.prices[0]!.length;
  const tau = scenario.liquidity.resilienceSeconds * 1000;
  const decayPerStep = Math.exp(-stepMs / tau);
  const markets = scenario.markets;
  const marketIndex = new Map(markets.map((m, i) => [m.symbol, i]));
  const venues = scenario.venues;
  const venueById = new Map(venues.map((v) => [v.id, v]));

  // ---- market state
  const refStart = markets.map(() => new Float64Array(steps));
  const impactLog = markets.map(() => 0);
  const contributions: Contribution[][] = markets.map(() => []);
  const depthFactorNow = markets.map(() => 1);
  const volPct = markets.map(() => 0);
  const secondReturns: number[][] = markets.map(() => []);
  const lastSecondRef = markets.map((m) => m.startPrice);
  let currentStep = 0;

  const refNow = (mi: number): number => paths.prices[mi]![currentStep]! * Math.exp(impactLog[mi]!);

  function addImpact(mi: number, log: number, id: string, tMs: number): Contribution {
    const contribution = { id, tMs, log };
    impactLog[mi]! += log;
    contributions[mi]!.push(contribution);
    return contribution;
  }

  // ---- oracles
  const feeds = new Map<string, FeedState>();
  const feedKey = (venue: string, mi: number): string => `${venue}|${mi}`;
  for (const venue of venues) {
    markets.forEach((market, mi) => {
      if (!market.venues.includes(venue.id)) return;
      const depegApplies = !venue.oracle.depeg?.markets || venue.oracle.depeg.markets.includes(market.symbol);
      feeds.set(feedKey(venue.id, mi), { venue, marketIndex: mi, feed: new OracleFeed(venue.oracle, depegApplies), pub: null, prevPrice: null });
    });
  }
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
  const accounts = makeAccounts(scenario, rng.fork('traders'));
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
  const dydxRng = rng.fork('dydx-deleveraging');
  const feedOf = new Map<SimPosition, FeedState>();
  for (const a of accounts) for (const p of a.positions) feedOf.set(p, feeds.get(feedKey(p.venue, p.marketIndex))!);

  // ---- venue balances
  const balances = new Map<string, VenueBalance>(
    venues.map((v) => {
      const fund = v.kind === 'hyperliquid' ? v.backstopCapitalUsd : v.kind === 'dydx' ? v.insuranceFundUsd : 0;
      const balance: VenueBalance = { venue: v.id, insuranceStart: fund, insuranceEnd: fund, feesCollected: 0, insurancePaid: 0, badDebt: 0 };
      if (v.kind === 'gmx-v2')
        balance.pools = Object.fromEntries(markets.filter((m) => m.venues.includes(v.id)).map((m) => [m.symbol, v.adl.poolValueUsd]));
      return [v.id, balance];
    }),
  );
  const gmxAdlState = new Map<string, boolean>();

  const events: SimEvent[] = [];
  const series: SeriesPoint[] = [];
  const counters = new Map<string, number>();
  const nextId = (venue: string, kind: string): string => {
    const key = `${venue}:${kind}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return `${venue}:${kind}:${String(n).padStart(6, '0')}`;
  };

  /** The price a venue values a position at: the oracle/mark, pessimistic side of the GMX spread. */
  function checkPrice(p: SimPosition, usePub?: (pub: Publication) => number): number {
    const fs = feedOf.get(p)!;
    const base = usePub ? usePub(fs.pub!) : fs.pub!.price;
    const spread = fs.venue.oracle.spreadBps / 10_000;
    if (fs.venue.kind !== 'gmx-v2' || spread === 0) return base;
    return p.side === 'long' ? base * (1 - spread) : base * (1 + spread);
  }

  /** Hot path of every step: account value ≤ maintenance at the venue's prices, without allocations. */
  function isDue(a: SimAccount): boolean {
    let equity = a.collateral;
    let maintenance = 0;
    let open = false;
    for (const p of a.positions) {
      if (p.size <= EPS) continue;
      if (!feedOf.get(p)!.pub) return false;
      open = true;
      const price = checkPrice(p);
      equity += (p.side === 'long' ? 1 : -1) * p.size * (price - p.entry);
      maintenance += p.size * price * p.m;
    }
    return open && equity <= maintenance;
  }

  const marginPositions = (a: SimAccount, price: (p: SimPosition) => number): MarginPosition[] =>
    a.positions.filter((p) => p.size > EPS).map((p) => ({ side: p.side, entry: p.entry, size: p.size, price: price(p), m: p.m }));

  /**
   * Finds the liquidation whose price impact pushed the account over its threshold: add the
   * impact contributions (in time order) to the no-impact prices until the account becomes
   * liquidatable. Null if the exogenous path alone suffices or no prefix does it.
   */
  function findParent(a: SimAccount): string | null {
    const open = a.positions.filter((p) => p.size > EPS);
    const obsStep = new Map<number, number>();
    const cands: (Contribution & { mi: number })[] = [];
    for (const p of open) {
      if (obsStep.has(p.marketIndex)) continue;
      const pub = feeds.get(feedKey(p.venue, p.marketIndex))!.pub!;
      const obsMs = Math.floor(pub.observedAtMs / stepMs) * stepMs;
      obsStep.set(p.marketIndex, obsMs);
      for (const c of contributions[p.marketIndex]!) if (c.tMs < obsMs) cands.push({ ...c, mi: p.marketIndex });
    }
    cands.sort((x, y) => x.tMs - y.tMs || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const added = new Map<number, number>();
    for (const c of cands) {
      const obsMs = obsStep.get(c.mi)!;
      added.set(c.mi, (added.get(c.mi) ?? 0) + c.log * Math.exp(-(obsMs - c.tMs) / tau));
      const prices = (p: SimPosition) => checkPrice(p, (pub) => pub.exogenousPrice * Math.exp(added.get(p.marketIndex) ?? 0));
      if (isLiquidatable(a.collateral, marginPositions(a, prices))) return c.id;
    }
    return null;
  }

  /**
   * Sells (closing a long) or buys (closing a short) `size` of market mi into the book: returns the
   * average price and the impact it left on the reference (named later, once the record has an id).
   */
  function hitBook(mi: number, side: Side, size: number, impactId: string, tMs: number): { exec: number; contribution: Contribution } {
    const mid = refNow(mi);
    const fill = walkBook(markets[mi]!.depth, depthFactorNow[mi]!, size * mid);
    const sgn = sideSign(side);
    const contribution = addImpact(mi, Math.log(1 - (sgn * fill.movePct) / 100), impactId, tMs);
    return { exec: mid * (1 - (sgn * fill.avgPct) / 100), contribution };
  }

  function allocate(s: Settlement, closes: { size: number; exit: number }[]): { collateral: number; fee: number; pnl: number; badDebt: number }[] {
    const notionals = closes.map((c) => c.size * c.exit);
    const total = notionals.reduce((x, y) => x + y, 0) || 1;
    return notionals.map((n) => ({ collateral: 0, fee: (s.fee * n) / total, pnl: 0, badDebt: (s.badDebt * n) / total }));
  }

  /** Positions the Hyperliquid backstop vaults took over and still hold, oldest first. */
  const vaultLots: { venue: string; mi: number; side: Side; size: number; mark: number; liqId: string }[] = [];
  const vaultInventoryUsd = (venue: string): number =>
    vaultLots.reduce((sum, lot) => (lot.venue === venue ? sum + lot.size * refNow(lot.mi) : sum), 0);

  /**
   * Each step the vaults sell up to their unload rate into the book, oldest lot first; the
   * slippage against the takeover mark is the vault's gain or loss, and the impact is attributed
   * to the liquidation whose position is being sold.
   */
  function unloadVaults(tMs: number): void {
    for (const venue of venues) {
      if (venue.kind !== 'hyperliquid') continue;
      let budget = (venue.backstopUnloadUsdPerSecond * stepMs) / 1000;
      const balance = balances.get(venue.id)!;
      for (const lot of vaultLots) {
        if (budget <= 0) break;
        if (lot.venue !== venue.id || lot.size <= EPS) continue;
        const qty = Math.min(lot.size, budget / refNow(lot.mi));
        const { exec } = hitBook(lot.mi, lot.side, qty, lot.liqId, tMs);
        balance.insuranceEnd += sideSign(lot.side) * qty * (exec - lot.mark);
        lot.size -= qty;
        budget -= qty * exec;
      }
      for (let i = vaultLots.length - 1; i >= 0; i--) if (vaultLots[i]!.size <= EPS) vaultLots.splice(i, 1);
    }
  }

  function liquidateAccount(a: SimAccount, tMs: number): void {
    const venue = venueById.get(a.venue)!;
    const balance = balances.get(venue.id)!;
    const open = a.positions.filter((p) => p.size > EPS);
    const health = accountHealth(a.collateral, marginPositions(a, (p) => checkPrice(p)));
    const oracleError = !isLiquidatable(a.collateral, marginPositions(a, (p) => refNow(p.marketIndex)));
    const exogenous = isLiquidatable(a.collateral, marginPositions(a, (p) => checkPrice(p, (pub) => pub.exogenousPrice)));
    const parentId = exogenous ? null : findParent(a);
    const groupId = `${venue.id}:grp:${a.id}`;
    let firstId: string | null = null;

    type Close = {
      p: SimPosition;
      size: number;
      exit: number;
      method: LiquidationMethod;
      adl: AdlRecord | null;
      mark: number;
      contribution?: Contribution;
    };
    const closes: Close[] = [];
    let insuranceAvailable = balance.insuranceEnd;
    let feeRate = venue.liquidationFeeRate;
    let afterSettle: ((s: Settlement) => void) | null = null;

    const adlAgainst = (p: SimPosition, price: number, mark: number, order: SimPosition[]): number => {
      let remaining = p.size;
      for (const cp of order) {
        if (remaining <= EPS) break;
        const q = Math.min(remaining, cp.size);
        if (q <= EPS) continue;
        const cpAccount = accountById.get(cp.accountId)!;
        const pnl = unrealizedPnl(cp.side, cp.entry, q, price);
        cpAccount.collateral += pnl;
        cp.size -= q;
        if (cp.size <= EPS) cp.size = 0;
        if (cp.fate === 'survived') cp.fate = 'adl';
        const adl: AdlRecord = {
          type: 'adl',
          id: nextId(venue.id, 'adl'),
          venue: venue.id,
          venueKind: venue.kind,
          market: p.market,
          account: cpAccount.address,
          positionId: cp.id,
          side: cp.side,
          tMs,
          size: q,
          price,
          markPrice: mark,
          pnl,
          liquidationId: null,
          liquidatedAccount: a.address,
        };
        cp.records.push(adl.id);
        closes.push({ p, size: q, exit: price, method: 'adl', adl, mark });
        remaining -= q;
      }
      return remaining;
    };

    if (venue.kind === 'hyperliquid') {
      // the liquidator's market orders only work while the book can absorb them within the slippage cap
      const bookCanAbsorb = open.every(
        (p) => depthWithin(markets[p.marketIndex]!.depth, depthFactorNow[p.marketIndex]!, venue.liquidationSlippageCapPct) >= p.size * refNow(p.marketIndex),
      );
      if (bookCanAbsorb && !hyperliquidNeedsBackstop(health.equity, health.maintenance)) {
        for (const p of open) {
          const hit = hitBook(p.marketIndex, p.side, p.size, '', tMs);
          closes.push({ p, size: p.size, exit: hit.exec, method: 'market', adl: null, mark: checkPrice(p), contribution: hit.contribution });
        }
      } else if (
        !venue.adl.enabled ||
        (health.equity >= 0 && balance.insuranceEnd > 0 && vaultInventoryUsd(venue.id) + health.notional <= venue.backstopCapacityUsd)
      ) {
        // the backstop vault takes the account over at the mark and keeps what margin is left...
        feeRate = Number.POSITIVE_INFINITY;
        for (const p of open) closes.push({ p, size: p.size, exit: checkPrice(p), method: 'backstop', adl: null, mark: checkPrice(p) });
        afterSettle = () => {
          // ...and sells the inventory into the book over the next seconds (see unloadVaults)
          for (const c of closes) vaultLots.push({ venue: venue.id, mi: c.p.marketIndex, side: c.p.side, size: c.size, mark: c.exit, liqId: firstId! });
        };
      } else {
        // backstop short (the account is under water, or the vault has nothing left): ADL the ranked
        // winners at the previous mark, as Hyperliquid does when an account value turns negative
        for (const p of open) {
          const fs = feeds.get(feedKey(p.venue, p.marketIndex))!;
          const mark = checkPrice(p);
          const prevMark = fs.prevPrice ?? mark;
          const opposite = (positionsByVenueMarket.get(feedKey(p.venue, p.marketIndex)) ?? []).filter(
            (c) => c.side !== p.side && c.size > EPS && !accountById.get(c.accountId)!.liquidated,
          );
          const candidates = opposite.map((c) => {
            const acc = accountById.get(c.accountId)!;
            return { positionId: c.id, side: c.side, entry: c.entry, size: c.size, accountValue: accountHealth(acc.collateral, marginPositions(acc, (x) => checkPrice(x))).equity };
          });
          const byId = new Map(opposite.map((c) => [c.id, c]));
          const order = rankHyperliquidAdl(candidates, mark).map((c) => byId.get(c.positionId)!);
          const remaining = adlAgainst(p, prevMark, mark, order);
          if (remaining > EPS) closes.push({ p, size: remaining, exit: mark, method: 'backstop', adl: null, mark });
        }
      }
    } else if (venue.kind === 'dydx') {
      // price the book closes first; deleverage instead when insurance cannot cover the shortfall
      const trial = open.map((p) => {
        const mid = refNow(p.marketIndex);
        const fill = walkBook(markets[p.marketIndex]!.depth, depthFactorNow[p.marketIndex]!, p.size * mid);
        return { side: p.side, entry: p.entry, size: p.size, exit: mid * (1 - (sideSign(p.side) * fill.avgPct) / 100) };
      });
      const est = settleClose(a.collateral, trial, feeRate, balance.insuranceEnd);
      if (est.badDebt > EPS && venue.adl.enabled) {
        const notional = open.reduce((x, p) => x + p.size * checkPrice(p), 0);
        for (const p of open) {
          const mark = checkPrice(p);
          // bankruptcy price: the account's equity shared by notional, so that all closes leave exactly zero
          const share = (health.equity * (p.size * mark)) / notional;
          const bk = bankruptcyPrice(p.side, mark, share, p.size);
          const offsetting = (positionsByVenueMarket.get(feedKey(p.venue, p.marketIndex)) ?? [])
            .filter((c) => c.side !== p.side && c.size > EPS && !accountById.get(c.accountId)!.liquidated)
            .filter((c) => {
              const acc = accountById.get(c.accountId)!;
              return accountHealth(acc.collateral, marginPositions(acc, (x) => checkPrice(x))).equity > 0;
            })
            .sort((x, y) => (x.id < y.id ? -1 : 1));
          const order = deleveragingOrder(offsetting, dydxRng.int(0, Math.max(0, offsetting.length - 1)));
          const remaining = adlAgainst(p, bk, mark, order);
          if (remaining > EPS) closes.push({ p, size: remaining, exit: bk, method: 'book', adl: null, mark });
        }
      } else {
        for (const p of open) {
          const hit = hitBook(p.marketIndex, p.side, p.size, '', tMs);
          closes.push({ p, size: p.size, exit: hit.exec, method: 'book', adl: null, mark: checkPrice(p), contribution: hit.contribution });
        }
      }
    } else {
      // GMX v2: closed at the oracle price against the pool; no insurance fund, the pool eats the shortfall
      insuranceAvailable = 0;
      for (const p of open) closes.push({ p, size: p.size, exit: checkPrice(p), method: 'oracle', adl: null, mark: checkPrice(p, (pub) => pub.price) });
    }

    const settlement = settleClose(
      a.collateral,
      closes.map((c) => ({ side: c.p.side, entry: c.p.entry, size: c.size, exit: c.exit })),
      feeRate,
      venue.kind === 'gmx-v2' ? 0 : insuranceAvailable,
    );
    const shares = allocate(settlement, closes);
    const notionals = closes.map((c) => c.size * c.exit);
    const totalNotional = notionals.reduce((x, y) => x + y, 0) || 1;
    closes.forEach((c, i) => {
      const id = nextId(venue.id, 'liq');
      if (!firstId) firstId = id;
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
        referencePrice: refNow(c.p.marketIndex),
        method: c.method,
        adlId: c.adl?.id ?? null,
        counterparty: c.adl?.account ?? null,
        collateral: (a.collateral * notionals[i]!) / totalNotional,
        fee: shares[i]!.fee,
        pnl: unrealizedPnl(c.p.side, c.p.entry, c.size, c.exit),
        badDebt: shares[i]!.badDebt,
        exogenous,
        parentId,
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
    for (const p of open) p.size = 0;
    a.liquidated = true;
    a.collateral = settlement.returned;
    balance.feesCollected += settlement.fee;
    balance.insurancePaid += settlement.insurancePaid;
    balance.badDebt += settlement.badDebt;
    if (venue.kind === 'gmx-v2') {
      // the pool is the counterparty: it gains what traders lose, minus what they could not pay
      for (const c of closes) {
        const pools = balance.pools!;
        pools[c.p.market] = pools[c.p.market]! - unrealizedPnl(c.p.side, c.p.entry, c.size, c.exit);
      }
      balance.pools![open[0]!.market] = balance.pools![open[0]!.market]! - settlement.badDebt;
    } else {
      // Hyperliquid's liquidation fee / kept margin goes to the backstop vault, dYdX's to the insurance fund
      balance.insuranceEnd += settlement.fee - settlement.insurancePaid;
    }
    afterSettle?.(settlement);
  }

  /** GMX v2 ADL keeper for one market after an oracle update. */
  function gmxAdl(venue: Extract<VenueSpec, { kind: 'gmx-v2' }>, mi: number, tMs: number): void {
    if (!venue.adl.enabled) return;
    const fs = feeds.get(feedKey(venue.id, mi))!;
    const price = fs.pub!.price;
    const positions = positionsByVenueMarket.get(feedKey(venue.id, mi)) ?? [];
    const balance = balances.get(venue.id)!;
    const symbol = markets[mi]!.symbol;
    for (const side of ['long', 'short'] as const) {
      const key = `${venue.id}|${mi}|${side}`;
      const pool = balance.pools![symbol]!;
      const factor = pnlToPoolFactor(positions, side, price, pool);
      let enabled = gmxAdlState.get(key) ?? false;
      if (!enabled && factor > venue.adl.maxPnlFactor) {
        enabled = true;
        gmxAdlState.set(key, true);
        events.push({ type: 'adl-state', venue: venue.id, market: symbol, side, tMs, pnlToPoolFactor: factor, maxPnlFactor: venue.adl.maxPnlFactor, enabled: true });
      }
      if (!enabled) continue;
      const plan = planGmxAdl(positions, side, price, pool, venue.adl.minPnlFactorAfterAdl, venue.adl.closeShare);
      for (const step of plan) {
        const p = positions[step.index]!;
        const account = accountById.get(p.accountId)!;
        const pnl = unrealizedPnl(p.side, p.entry, step.size, price);
        // the position keeps its collateral share; realized pnl is paid by the pool
        account.collateral += pnl;
        balance.pools![symbol] = balance.pools![symbol]! - pnl;
        p.size -= step.size;
        if (p.size <= EPS) p.size = 0;
        if (p.fate === 'survived') p.fate = 'adl';
        const adl: AdlRecord = {
          type: 'adl',
          id: nextId(venue.id, 'adl'),
          venue: venue.id,
          venueKind: venue.kind,
          market: symbol,
          account: account.address,
          positionId: p.id,
          side: p.side,
          tMs,
          size: step.size,
          price,
          markPrice: price,
          pnl,
          liquidationId: null,
          liquidatedAccount: null,
        };
        p.records.push(adl.id);
        events.push(adl);
      }
      const after = pnlToPoolFactor(positions, side, price, balance.pools![symbol]!);
      if (after <= venue.adl.maxPnlFactor) {
        gmxAdlState.set(key, false);
        events.push({ type: 'adl-state', venue: venue.id, market: symbol, side, tMs, pnlToPoolFactor: after, maxPnlFactor: venue.adl.maxPnlFactor, enabled: false });
      }
    }
  }

  const outage = scenario.liquidity.outage;
  const stepsPerSecond = 1000 / stepMs;
  for (let s = 0; s < steps; s++) {
    currentStep = s;
    const tMs = s * stepMs;
    // 1. impact decays toward the exogenous path
    for (let mi = 0; mi < markets.length; mi++) {
      if (s > 0) impactLog[mi]! *= decayPerStep;
      const list = contributions[mi]!;
      if (list.length > 0 && Math.abs(impactLog[mi]!) < 1e-9) list.length = 0;
      refStart[mi]![s] = refNow(mi);
    }
    // 2. market makers watch realized volatility (per-second returns over the window)
    if (s % stepsPerSecond === 0 || stepMs > 1000) {
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
      }
    }
    // 3. oracles
    const changedVenues = new Set<string>();
    const gmxUpdates: [Extract<VenueSpec, { kind: 'gmx-v2' }>, number][] = [];
    for (const fs of feeds.values()) {
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
        if (fs.venue.kind === 'gmx-v2') gmxUpdates.push([fs.venue, fs.marketIndex]);
      }
    }
    for (const rf of referenceFeeds) {
      for (const pub of rf.feed.poll(tMs, observe(rf.marketIndex))) {
        rf.round += 1;
        events.push({ type: 'reference-round', market: markets[rf.marketIndex]!.symbol, tMs, price: pub.price, roundId: rf.round });
      }
    }
    // 4–5. liquidations (and ADL when backstops are short), venue by venue, accounts in a stable order
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
    for (const [venue, mi] of gmxUpdates) gmxAdl(venue, mi, tMs);
    unloadVaults(tMs);
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

  return { events, accounts, series, balances: [...balances.values()] };
}

/** Deterministic pseudo-address from the seed and an index. */
function address(seed: number, label: string): string {
  return `0x${keccak256(stringToHex(`liqscope-sim:${seed}:${label}`)).slice(26)}`;
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function dydxAddress(seed: number, label: string): string {
  const hex = keccak256(stringToHex(`liqscope-sim-dydx:${seed}:${label}`)).slice(2);
  let out = 'dydx1';
  for (let i = 0; i < 38; i++) out += BECH32[parseInt(hex.slice(i, i + 2), 16) % 32];
  return out;
}

/**
 * Draws the traders: venue by traderShare, margin mode, markets, side, log-uniform leverage and
 * size, entries spread around the start price. Collateral is topped up so nobody starts
 * liquidatable (the scenario decides who falls, not the draw).
 */
export function makeAccounts(scenario: Scenario, rng: Random): SimAccount[] {
  const accounts: SimAccount[] = [];
  const weights = scenario.venues.map((v) => v.traderShare);
  const t = scenario.traders;
  for (let i = 0; i < t.count; i++) {
    const venue = scenario.venues[rng.weighted(weights)]!;
    const listed = scenario.markets.map((m, mi) => ({ m, mi })).filter(({ m }) => m.venues.includes(venue.id));
    const crossDraw = rng.bool(t.crossShare);
    const nDraw = rng.int(t.crossPositions.min, t.crossPositions.max);
    if (listed.length === 0) continue;
    const mode = venue.kind === 'gmx-v2' ? 'isolated' : crossDraw ? 'cross' : 'isolated';
    const n = mode === 'cross' ? Math.min(nDraw, listed.length) : 1;
    const id = `acct-${String(i).padStart(6, '0')}`;
    const account: SimAccount = {
      id,
      address: venue.kind === 'dydx' ? dydxAddress(scenario.seed, id) : address(scenario.seed, id),
      venue: venue.id,
      venueKind: venue.kind,
      mode,
      collateral: 0,
      initialCollateral: 0,
      positions: [],
      liquidated: false,
    };
    const pool = [...listed];
    let collateral = 0;
    for (let k = 0; k < n; k++) {
      const pick = pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
      const side: Side = rng.bool(t.longShare) ? 'long' : 'short';
      const venueMax = venue.kind === 'hyperliquid' ? (pick.m.maxLeverage ?? venue.maxLeverage) : venue.maxLeverage;
      const leverage = Math.min(rng.logUniform(t.leverage.min, t.leverage.max), venueMax);
      const notional = rng.logUniform(t.sizeUsd.min, t.sizeUsd.max);
      const entry = pick.m.startPrice * (1 + rng.uniform(-t.entrySpreadPct, t.entrySpreadPct) / 100);
      const m = venue.kind === 'hyperliquid' ? hyperliquidMaintenanceRate(venueMax) : venue.maintenanceMarginRate;
      account.positions.push({
        id: `${id}:${k}`,
        accountId: id,
        venue: venue.id,
        market: pick.m.symbol,
        marketIndex: pick.mi,
        side,
        entry,
        size: notional / entry,
        initialSize: notional / entry,
        m,
        leverage,
        fate: 'survived',
        records: [],
      });
      collateral += notional / leverage;
    }
    const atStart = accountHealth(
      collateral,
      account.positions.map((p) => ({ side: p.side, entry: p.entry, size: p.size, price: scenario.markets[p.marketIndex]!.startPrice, m: p.m })),
    );
    // nobody starts within a 1.5 % move of their maintenance requirement: the scenario's path, not the draw, decides who falls
    const floor = atStart.maintenance + atStart.notional * 0.015;
    if (atStart.equity < floor) collateral += floor - atStart.equity;
    account.collateral = collateral;
    account.initialCollateral = collateral;
    accounts.push(account);
  }
  return accounts;
}
