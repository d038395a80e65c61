import { depthWithin, walkBook } from './book.ts';
import type { ExogenousPaths } from './price-path.ts';
import type { Random } from './random.ts';
import type { Scenario } from './scenario-schema.ts';
import { dec, pricePlaces, sizePlaces } from './units.ts';
import type { BackgroundTrade } from './types.ts';
import type { SimVenue } from './venues/venue.ts';

/**
 * Ordinary taker trading on the venues with a book (scenario `background`, docs/scenarios.md):
 * per step and per venue and market, a Poisson number of trades with mean tradesPerMinute ×
 * depth factor × step, each of notional median × depth factor × e^(σ·z), buying with probability
 * 0.5 + informedShare · tanh(next exogenous move / its per-step volatility), executed at the
 * reference ± (half spread / depth factor + the book walk's average distance). When makers
 * withdraw, trades thin out, shrink and pay more: the liquidity void shows in the trades alone.
 * The trades do not move the reference (the exogenous path is their aggregate), so they leave
 * every liquidation exactly as it was. Each venue and market draws from its own seeded stream.
 */


interface Lane {
  venue: SimVenue;
  marketIndex: number;
  random: Random;
  /** Median notional with the book full, USD. */
  medianUsd: number;
  /** The market's volatility per step (common factor × beta and its own), for the takers' lean. */
  stepVolatility: number;
  takers: string[];
  makers: string[];
}

export class BackgroundTrading {
  readonly trades: BackgroundTrade[] = [];
  private readonly lanes: Lane[] = [];

  constructor(
    private readonly scenario: Scenario,
    venues: readonly SimVenue[],
    private readonly paths: ExogenousPaths,
    random: (label: string) => Random,
  ) {
    const b = scenario.background;
    if (b.tradesPerMinute <= 0) return;
    const dt = scenario.stepMs / 1000;
    const commonVol = scenario.pricePath.kind === 'stochastic' ? scenario.pricePath.volatility : 0;
    for (const venue of venues) {
      if (!venue.hasBook) continue;
      const takers = Array.from({ length: b.takers }, (_, i) => venue.accountAddress(scenario.seed, `background-taker:${venue.id}:${i}`));
      const makers = Array.from({ length: b.makers }, (_, i) => venue.accountAddress(scenario.seed, `background-maker:${venue.id}:${i}`));
      scenario.markets.forEach((market, marketIndex) => {
        if (!market.venues.includes(venue.id)) return;
        this.lanes.push({
          venue,
          marketIndex,
          random: random(`background:${venue.id}:${market.symbol}`),
          medianUsd: b.sizeShareOfDepth * depthWithin(market.depth, 1, 1),
          stepVolatility: Math.hypot(market.beta * commonVol, market.idioVolatility) * Math.sqrt(dt),
          takers,
          makers,
        });
      });
    }
  }

  /** The trades of step `step` (at tMs), given each market's reference and depth factor now. */
  step(step: number, tMs: number, reference: (mi: number) => number, depthFactor: (mi: number) => number): void {
    const b = this.scenario.background;
    const perStep = (b.tradesPerMinute / 60) * (this.scenario.stepMs / 1000);
    for (const lane of this.lanes) {
      const mi = lane.marketIndex;
      const factor = depthFactor(mi);
      const n = poisson(lane.random, perStep * factor);
      if (n === 0) continue;
      const prices = this.paths.prices[mi]!;
      const move = step + 1 < prices.length ? Math.log(prices[step + 1]! / prices[step]!) : 0;
      const lean = move === 0 ? 0 : Math.tanh(move / (lane.stepVolatility > 0 ? lane.stepVolatility : 1e-9));
      const mid = reference(mi);
      const market = this.scenario.markets[mi]!;
      for (let k = 0; k < n; k++) {
        const takerBuys = lane.random.next() < 0.5 + b.informedShare * lean;
        const notional = lane.medianUsd * factor * Math.exp(b.sizeSigma * lane.random.normal());
        const fill = walkBook(market.depth, factor, notional);
        const offset = (b.halfSpreadBps / 10_000) / factor + fill.avgPct / 100;
        const price = mid * (takerBuys ? 1 + offset : 1 - offset);
        const taker = lane.takers[lane.random.int(0, lane.takers.length - 1)]!;
        const maker = lane.makers[lane.random.int(0, lane.makers.length - 1)]!;
        this.trades.push({ venue: lane.venue.id, marketIndex: mi, tMs, takerBuys, size: notional / price, price, taker, maker });
      }
    }
  }
}

/** Poisson draw by inversion (means here are well under 10 per step). */
function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let n = 0;
  let p = random.next();
  while (p > limit) {
    n += 1;
    p *= random.next();
  }
  return n;
}

/** A background trade fixed into decimal strings, as every writer renders it. */
export interface BackgroundFill {
  /** Sequence number in time order (stable ids and hashes). */
  seq: number;
  venue: string;
  market: string;
  timeMs: number;
  time: string;
  takerBuys: boolean;
  size: string;
  price: string;
  taker: string;
  maker: string;
}

/**
 * Fixes the trades once (prices to the market's price places, sizes to its size places, as the
 * venue's other fills); a trade whose size rounds to zero is dropped (no venue prints it).
 */
export function fixBackgroundTrades(scenario: Scenario, trades: readonly BackgroundTrade[]): BackgroundFill[] {
  const startMs = Date.parse(scenario.start);
  const out: BackgroundFill[] = [];
  for (const t of trades) {
    const market = scenario.markets[t.marketIndex]!;
    const size = dec(t.size, sizePlaces(market.startPrice));
    if (!/[1-9]/.test(size)) continue;
    out.push({
      seq: out.length + 1,
      venue: t.venue,
      market: market.symbol,
      timeMs: startMs + t.tMs,
      time: new Date(startMs + t.tMs).toISOString(),
      takerBuys: t.takerBuys,
      size,
      price: dec(t.price, pricePlaces(market.startPrice)),
      taker: t.taker,
      maker: t.maker,
    });
  }
  return out;
}
