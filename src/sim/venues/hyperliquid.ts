import { hyperliquidAdlScore, unrealizedPnl } from '../margin.ts';
import type { Side } from '../margin.ts';

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
