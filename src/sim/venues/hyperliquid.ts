import { depthWithin } from '../book.ts';
import { hyperliquidAdlScore, hyperliquidMaintenanceRate, hyperliquidNeedsBackstop, sideSign, unrealizedPnl } from '../margin.ts';
import type { Settlement, Side } from '../margin.ts';
import type { MarketSpec, VenueSpec } from '../scenario-schema.ts';
import type { VenueBalance } from '../types.ts';
import { matchAdl } from './adl-match.ts';
import { evmAddress } from './addresses.ts';
import { EPS } from './venue.ts';
import type { DueAccount, LiquidationPlan, PlannedClose, SimVenue, VenueContext } from './venue.ts';

type HyperliquidSpec = Extract<VenueSpec, { kind: 'hyperliquid' }>;

/** A position the backstop vault took over and still holds. */
interface VaultLot {
  mi: number;
  side: Side;
  size: number;
  /** The takeover price. */
  mark: number;
  liqId: string;
  groupId: string;
}

/**
 * Hyperliquid (formats.md §8): maintenance = half the initial margin at the market's max leverage.
 * An account that is due is sold into the book by the liquidator (`market`) while its equity is at
 * least 2/3 of maintenance and the book absorbs it within the slippage cap; otherwise the backstop
 * vault takes it over at the mark and keeps its margin (`backstop`), then sells the inventory at
 * `backstopUnloadUsdPerSecond`. When the backstop is short (the account under water, the vault out
 * of capital or over capacity), ADL closes it against the opposite side's ranked winners at the
 * previous mark.
 */
export function createHyperliquidVenue(spec: HyperliquidSpec): SimVenue {
  /** The vault's inventory, oldest first. */
  const lots: VaultLot[] = [];
  const inventoryUsd = (ctx: VenueContext): number => lots.reduce((sum, lot) => sum + lot.size * ctx.refNow(lot.mi), 0);

  const venue: SimVenue = {
    spec,
    id: spec.id,
    kind: 'hyperliquid',
    crossMargin: true,
    hasBook: true,
    maintenanceRate: (market: MarketSpec) => hyperliquidMaintenanceRate(market.maxLeverage ?? spec.maxLeverage),
    maxLeverage: (market: MarketSpec) => market.maxLeverage ?? spec.maxLeverage,
    accountAddress: evmAddress,
    valuationPrice: (_side: Side, oraclePrice: number) => oraclePrice,
    openingBalance(): VenueBalance {
      return { venue: spec.id, insuranceStart: spec.backstopCapitalUsd, insuranceEnd: spec.backstopCapitalUsd, feesCollected: 0, insurancePaid: 0, badDebt: 0 };
    },
    planLiquidation(ctx: VenueContext, due: DueAccount): LiquidationPlan {
      const { open, health, groupId, tMs } = due;
      const balance = ctx.balance(spec.id);
      const closes: PlannedClose[] = [];
      const insuranceAvailable = balance.insuranceEnd;
      // the liquidator's market orders only work while the book can absorb them within the slippage cap
      const bookCanAbsorb = open.every(
        (p) => depthWithin(ctx.markets[p.marketIndex]!.depth, ctx.depthFactor(p.marketIndex), spec.liquidationSlippageCapPct) >= p.size * ctx.refNow(p.marketIndex),
      );
      if (bookCanAbsorb && !hyperliquidNeedsBackstop(health.equity, health.maintenance)) {
        for (const p of open) {
          const hit = ctx.hitBook(p.marketIndex, p.side, p.size, '', groupId, tMs);
          closes.push({ p, size: p.size, exit: hit.exec, method: 'market', adl: null, mark: ctx.valuation(p), contribution: hit.contribution });
        }
        return { closes, feeRate: spec.liquidationFeeRate, insuranceAvailable };
      }
      if (!spec.adl.enabled || (health.equity >= 0 && balance.insuranceEnd > 0 && inventoryUsd(ctx) + health.notional <= spec.backstopCapacityUsd)) {
        // the backstop vault takes the account over at the mark and keeps what margin is left...
        for (const p of open) closes.push({ p, size: p.size, exit: ctx.valuation(p), method: 'backstop', adl: null, mark: ctx.valuation(p) });
        const afterSettle = (firstFillId: string) => {
          // ...and sells the inventory into the book over the next seconds (endOfStep)
          for (const c of closes) lots.push({ mi: c.p.marketIndex, side: c.p.side, size: c.size, mark: c.exit, liqId: firstFillId, groupId });
        };
        return { closes, feeRate: Number.POSITIVE_INFINITY, insuranceAvailable, afterSettle };
      }
      // backstop short (the account is under water, or the vault has nothing left): ADL the ranked
      // winners at the previous mark, as Hyperliquid does when an account value turns negative
      for (const p of open) {
        const mark = ctx.valuation(p);
        const prevMark = ctx.feed(spec.id, p.marketIndex).prevPrice ?? mark;
        const opposite = ctx.positions(spec.id, p.marketIndex).filter((c) => c.side !== p.side && c.size > EPS && !ctx.account(c.accountId).liquidated);
        const candidates = opposite.map((c) => ({ positionId: c.id, side: c.side, entry: c.entry, size: c.size, accountValue: ctx.health(ctx.account(c.accountId)).equity }));
        const byId = new Map(opposite.map((c) => [c.id, c]));
        const order = rankHyperliquidAdl(candidates, mark).map((c) => byId.get(c.positionId)!);
        const matched = matchAdl(ctx, venue, due, p, prevMark, mark, order);
        closes.push(...matched.closes);
        if (matched.remaining > EPS) closes.push({ p, size: matched.remaining, exit: mark, method: 'backstop', adl: null, mark });
      }
      return { closes, feeRate: spec.liquidationFeeRate, insuranceAvailable };
    },
    settle(ctx: VenueContext, _closes: readonly PlannedClose[], settlement: Settlement): void {
      // the liquidation fee / kept margin goes to the backstop vault, which also pays shortfalls
      const balance = ctx.balance(spec.id);
      balance.insuranceEnd += settlement.fee - settlement.insurancePaid;
    },
    endOfStep(ctx: VenueContext, tMs: number): void {
      // the vault sells up to its unload rate into the book, oldest lot first; the slippage against
      // the takeover mark is its gain or loss, and the impact is the liquidation's whose lot it is
      let budget = (spec.backstopUnloadUsdPerSecond * ctx.stepMs) / 1000;
      const balance = ctx.balance(spec.id);
      for (const lot of lots) {
        if (budget <= 0) break;
        if (lot.size <= EPS) continue;
        const qty = Math.min(lot.size, budget / ctx.refNow(lot.mi));
        const { exec } = ctx.hitBook(lot.mi, lot.side, qty, lot.liqId, lot.groupId, tMs);
        balance.insuranceEnd += sideSign(lot.side) * qty * (exec - lot.mark);
        lot.size -= qty;
        budget -= qty * exec;
      }
      for (let i = lots.length - 1; i >= 0; i--) if (lots[i]!.size <= EPS) lots.splice(i, 1);
    },
  };
  return venue;
}

/** Hyperliquid venue rules used by the engine (formats.md §8). */
export interface AdlCandidate {
  positionId: string;
  side: Side;
  entry: number;
  size: number;
  /** Account value of the candidate's account at the mark. */
  accountValue: number;
}

/**
 * Orders ADL candidates: only winners (positive unrealized pnl at the mark) on the side opposite
 * the liquidated position, highest (mark/entry)×(notional/account value) first (entry/mark for
 * shorts), ties by position id so the order is deterministic.
 */
export function rankHyperliquidAdl(candidates: readonly AdlCandidate[], mark: number): AdlCandidate[] {
  return candidates
    .filter((c) => c.size > 0 && unrealizedPnl(c.side, c.entry, c.size, mark) > 0)
    .map((c) => ({ c, score: hyperliquidAdlScore(c.side, c.entry, mark, c.size * mark, c.accountValue) }))
    .sort((a, b) => b.score - a.score || (a.c.positionId < b.c.positionId ? -1 : a.c.positionId > b.c.positionId ? 1 : 0))
    .map((x) => x.c);
}

/** `dir` of a Hyperliquid liquidation fill for the liquidated user. */
export function hyperliquidLiquidationDir(side: Side, mode: 'isolated' | 'cross'): string {
  return `Liquidated ${mode === 'cross' ? 'Cross' : 'Isolated'} ${side === 'long' ? 'Long' : 'Short'}`;
}
