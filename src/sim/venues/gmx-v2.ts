import { unrealizedPnl } from '../margin.ts';
import type { Settlement, Side } from '../margin.ts';
import type { MarketSpec, VenueSpec } from '../scenario-schema.ts';
import type { AdlRecord, VenueBalance } from '../types.ts';
import { gmxMarketFor } from '../writers/gmx-values.ts';
import { evmAddress } from './addresses.ts';
import { EPS } from './venue.ts';
import type { DueAccount, LiquidationPlan, PlannedClose, SimVenue, VenueContext } from './venue.ts';

type GmxSpec = Extract<VenueSpec, { kind: 'gmx-v2' }>;

/**
 * GMX v2 (formats.md §1, §8): isolated positions valued at the oracle's min price (longs) or max
 * price (shorts); a liquidation closes at that price against the pool, with no book impact and no
 * insurance fund (the pool eats the shortfall: InsolventClose). ADL per market side when the
 * pnl-to-pool factor exceeds maxPnlFactor (AdlStateUpdated), most profitable first, until it is at
 * or below minPnlFactorAfterAdl.
 */
export function createGmxV2Venue(spec: GmxSpec, markets: readonly MarketSpec[]): SimVenue {
  // validation rejects these already; a scenario built in code must not fail only after the whole run
  for (const m of markets)
    if (m.venues.includes(spec.id) && !gmxMarketFor(m.symbol))
      throw new Error(`venue ${spec.id} (gmx-v2) lists ${m.symbol}, but GMX v2 has no ${m.symbol}/USD market on Arbitrum`);
  const spread = spec.oracle.spreadBps / 10_000;
  /** Whether ADL is on, per market and side. */
  const adlOn = new Map<string, boolean>();

  return {
    spec,
    id: spec.id,
    kind: 'gmx-v2',
    crossMargin: false,
    hasBook: false,
    maintenanceRate: () => spec.maintenanceMarginRate,
    maxLeverage: () => spec.maxLeverage,
    accountAddress: evmAddress,
    valuationPrice(side: Side, oraclePrice: number): number {
      if (spread === 0) return oraclePrice;
      return side === 'long' ? oraclePrice * (1 - spread) : oraclePrice * (1 + spread);
    },
    openingBalance(all: readonly MarketSpec[]): VenueBalance {
      return {
        venue: spec.id,
        insuranceStart: 0,
        insuranceEnd: 0,
        feesCollected: 0,
        insurancePaid: 0,
        badDebt: 0,
        pools: Object.fromEntries(all.filter((m) => m.venues.includes(spec.id)).map((m) => [m.symbol, spec.adl.poolValueUsd])),
      };
    },
    planLiquidation(ctx: VenueContext, due: DueAccount): LiquidationPlan {
      const closes: PlannedClose[] = due.open.map((p) => ({ p, size: p.size, exit: ctx.valuation(p), method: 'oracle', adl: null, mark: ctx.valuation(p, (pub) => pub.price) }));
      return { closes, feeRate: spec.liquidationFeeRate, insuranceAvailable: 0 };
    },
    settle(ctx: VenueContext, closes: readonly PlannedClose[], settlement: Settlement): void {
      // the pool is the counterparty: it gains what traders lose, minus what they could not pay
      const pools = ctx.balance(spec.id).pools!;
      for (const c of closes) pools[c.p.market] = pools[c.p.market]! - unrealizedPnl(c.p.side, c.p.entry, c.size, c.exit);
      pools[closes[0]!.p.market] = pools[closes[0]!.p.market]! - settlement.badDebt;
    },
    afterPublications(ctx: VenueContext, mi: number, tMs: number): void {
      if (!spec.adl.enabled) return;
      const price = ctx.feed(spec.id, mi).pub!.price;
      const positions = ctx.positions(spec.id, mi);
      const balance = ctx.balance(spec.id);
      const symbol = ctx.markets[mi]!.symbol;
      for (const side of ['long', 'short'] as const) {
        const key = `${mi}|${side}`;
        const pool = balance.pools![symbol]!;
        const factor = pnlToPoolFactor(positions, side, price, pool);
        let enabled = adlOn.get(key) ?? false;
        if (!enabled && factor > spec.adl.maxPnlFactor) {
          enabled = true;
          adlOn.set(key, true);
          ctx.emit({ type: 'adl-state', venue: spec.id, market: symbol, side, tMs, pnlToPoolFactor: factor, maxPnlFactor: spec.adl.maxPnlFactor, enabled: true });
        }
        if (!enabled) continue;
        const plan = planGmxAdl(positions, side, price, pool, spec.adl.minPnlFactorAfterAdl, spec.adl.closeShare);
        for (const step of plan) {
          const p = positions[step.index]!;
          const account = ctx.account(p.accountId);
          const pnl = unrealizedPnl(p.side, p.entry, step.size, price);
          // the position keeps its collateral share; realized pnl is paid by the pool
          account.collateral += pnl;
          balance.pools![symbol] = balance.pools![symbol]! - pnl;
          p.size -= step.size;
          if (p.size <= EPS) p.size = 0;
          if (p.fate === 'survived') p.fate = 'adl';
          const adl: AdlRecord = {
            type: 'adl',
            id: ctx.nextId(spec.id, 'adl'),
            venue: spec.id,
            venueKind: 'gmx-v2',
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
            liquidatedEquity: null,
          };
          p.records.push(adl.id);
          ctx.emit(adl);
        }
        const after = pnlToPoolFactor(positions, side, price, balance.pools![symbol]!);
        if (after <= spec.adl.maxPnlFactor) {
          adlOn.set(key, false);
          ctx.emit({ type: 'adl-state', venue: spec.id, market: symbol, side, tMs, pnlToPoolFactor: after, maxPnlFactor: spec.adl.maxPnlFactor, enabled: false });
        }
      }
    },
  };
}

/**
 * GMX v2 ADL rule: per market side, pnlToPoolFactor = (net pending pnl of that side's traders) /
 * pool value. ADL is enabled when it exceeds maxPnlFactor (AdlStateUpdated), and the keeper then
 * reduces the most profitable positions until the factor is at or below minPnlFactorAfterAdl.
 */
export function pnlToPoolFactor(positions: readonly { side: Side; entry: number; size: number }[], side: Side, price: number, poolValue: number): number {
  let pnl = 0;
  for (const p of positions) if (p.side === side && p.size > 0) pnl += unrealizedPnl(p.side, p.entry, p.size, price);
  return poolValue > 0 ? pnl / poolValue : Number.POSITIVE_INFINITY;
}

/**
 * Positions to ADL, most profitable (pnl in USD) first, each closed by `closeShare`, until the side's
 * pnl falls to minFactor × pool value. Returns [positionIndex, sizeToClose] pairs.
 */
export function planGmxAdl(
  positions: readonly { id: string; side: Side; entry: number; size: number }[],
  side: Side,
  price: number,
  poolValue: number,
  minFactor: number,
  closeShare: number,
): { index: number; size: number }[] {
  let pnl = 0;
  const winners: { index: number; pnl: number; id: string }[] = [];
  positions.forEach((p, index) => {
    if (p.side !== side || p.size <= 0) return;
    const u = unrealizedPnl(p.side, p.entry, p.size, price);
    pnl += u;
    if (u > 0) winners.push({ index, pnl: u, id: p.id });
  });
  winners.sort((a, b) => b.pnl - a.pnl || (a.id < b.id ? -1 : 1));
  const target = minFactor * poolValue;
  const plan: { index: number; size: number }[] = [];
  for (const w of winners) {
    if (pnl <= target) break;
    const p = positions[w.index]!;
    const size = p.size * closeShare;
    plan.push({ index: w.index, size });
    pnl -= w.pnl * closeShare;
  }
  return plan;
}
