import { z } from 'zod';
import type { LiquidationFacts, PositionAtLiquidation, Unknowable, VenueMarginRules, VenuePrice } from '../../pipeline/margin-rules.ts';

/**
 * Hyperliquid liquidates on its mark price (shared/formats.md §6, §8): an account whose value falls below
 * its maintenance margin (half the initial margin at the asset's maximum leverage) is liquidated, in cross
 * margin across all its positions. A liquidation fill carries the mark (`liquidation.markPx`, the row's
 * `mark_price`) but neither the account value nor, for an isolated position, its margin: the equity at
 * another price cannot be computed from the fill, so the counterfactual is always unknown here. Its own
 * prices, never its reference: the oracle price (`hyperliquid`) and the mark (`hyperliquid-mark`) that
 * the info API source samples.
 */
export const hyperliquidMarginRules: VenueMarginRules<Record<string, never>> = {
  venue: 'hyperliquid',
  ownPriceVenues: ['hyperliquid', 'hyperliquid-mark'],
  params: z.strictObject({}),
  limits: ['a fill carries neither the account value (cross margin) nor the isolated margin: no counterfactual'],

  triggerPrice(l: LiquidationFacts): VenuePrice | Unknowable {
    const mark = l.markPrice === null ? NaN : Number(l.markPrice);
    if (!Number.isFinite(mark) || mark <= 0) return { unknown: 'no_venue_price', detail: 'the fill has no markPx' };
    // the fill's markPx is the mark at the fill
    return { price: mark, kind: 'mark', observedAt: l.time };
  },

  position(): PositionAtLiquidation | Unknowable {
    return {
      unknown: 'account_equity_not_in_event',
      detail: 'Hyperliquid margins the whole account (cross) or a position with its own margin (isolated); a fill carries neither value',
    };
  },
};
