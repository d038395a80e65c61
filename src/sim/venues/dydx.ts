import { walkBook } from '../book.ts';
import { bankruptcyPrice, settleClose, sideSign } from '../margin.ts';
import type { Settlement, Side } from '../margin.ts';
import type { VenueSpec } from '../scenario-schema.ts';
import type { VenueBalance } from '../types.ts';
import { matchAdl } from './adl-match.ts';
import { dydxAddress } from './addresses.ts';
import { EPS } from './venue.ts';
import type { DueAccount, LiquidationPlan, PlannedClose, SimVenue, VenueContext } from './venue.ts';

type DydxSpec = Extract<VenueSpec, { kind: 'dydx' }>;

/**
 * dYdX v4 (formats.md §7, §8): a liquidation order fills in the book (`book`), the fee goes to the
 * insurance fund, which covers shortfalls. When the fund cannot cover the shortfall the book close
 * would leave, the position is deleveraged instead against opposite-side subaccounts with positive
 * equity, walked from a pseudo-random start, at the bankruptcy price.
 */
export function createDydxVenue(spec: DydxSpec): SimVenue {
  const venue: SimVenue = {
    spec,
    id: spec.id,
    kind: 'dydx',
    crossMargin: true,
    hasBook: true,
    maintenanceRate: () => spec.maintenanceMarginRate,
    maxLeverage: () => spec.maxLeverage,
    accountAddress: dydxAddress,
    valuationPrice: (_side: Side, oraclePrice: number) => oraclePrice,
    openingBalance(): VenueBalance {
      return { venue: spec.id, insuranceStart: spec.insuranceFundUsd, insuranceEnd: spec.insuranceFundUsd, feesCollected: 0, insurancePaid: 0, badDebt: 0 };
    },
    planLiquidation(ctx: VenueContext, due: DueAccount): LiquidationPlan {
      const { account: a, open, health, groupId, tMs } = due;
      const balance = ctx.balance(spec.id);
      const closes: PlannedClose[] = [];
      const insuranceAvailable = balance.insuranceEnd;
      // price the book closes first; deleverage instead when insurance cannot cover the shortfall
      const trial = open.map((p) => {
        const mid = ctx.refNow(p.marketIndex);
        const fill = walkBook(ctx.markets[p.marketIndex]!.depth, ctx.depthFactor(p.marketIndex), p.size * mid);
        return { side: p.side, entry: p.entry, size: p.size, exit: mid * (1 - (sideSign(p.side) * fill.avgPct) / 100) };
      });
      const est = settleClose(a.collateral, trial, spec.liquidationFeeRate, balance.insuranceEnd);
      if (est.badDebt > EPS && spec.adl.enabled) {
        const notional = open.reduce((x, p) => x + p.size * ctx.valuation(p), 0);
        // one stream for the whole run, so the walk's start does not depend on how venues are split
        const random = ctx.random('dydx-deleveraging');
        for (const p of open) {
          const mark = ctx.valuation(p);
          // bankruptcy price: the account's equity shared by notional, so that all closes leave exactly zero
          const share = (health.equity * (p.size * mark)) / notional;
          const bk = bankruptcyPrice(p.side, mark, share, p.size);
          const offsetting = ctx
            .positions(spec.id, p.marketIndex)
            .filter((c) => c.side !== p.side && c.size > EPS && !ctx.account(c.accountId).liquidated)
            .filter((c) => ctx.health(ctx.account(c.accountId)).equity > 0)
            .sort((x, y) => (x.id < y.id ? -1 : 1));
          const order = deleveragingOrder(offsetting, random.int(0, Math.max(0, offsetting.length - 1)));
          const matched = matchAdl(ctx, venue, due, p, bk, mark, order);
          closes.push(...matched.closes);
          if (matched.remaining > EPS) closes.push({ p, size: matched.remaining, exit: bk, method: 'book', adl: null, mark });
        }
      } else {
        for (const p of open) {
          const hit = ctx.hitBook(p.marketIndex, p.side, p.size, '', groupId, tMs);
          closes.push({ p, size: p.size, exit: hit.exec, method: 'book', adl: null, mark: ctx.valuation(p), contribution: hit.contribution });
        }
      }
      return { closes, feeRate: spec.liquidationFeeRate, insuranceAvailable };
    },
    settle(ctx: VenueContext, _closes: readonly PlannedClose[], settlement: Settlement): void {
      const balance = ctx.balance(spec.id);
      balance.insuranceEnd += settlement.fee - settlement.insurancePaid;
    },
  };
  return venue;
}

/**
 * dYdX v4 deleveraging order: walk the offsetting subaccounts (sorted by id) starting from a
 * pseudo-random index, wrapping around, as the protocol does to avoid always hitting the same
 * subaccount first. `start` comes from the engine's seeded stream.
 */
export function deleveragingOrder<T>(sorted: readonly T[], start: number): T[] {
  if (sorted.length === 0) return [];
  const s = ((start % sorted.length) + sorted.length) % sorted.length;
  return [...sorted.slice(s), ...sorted.slice(0, s)];
}
