import { unrealizedPnl } from '../margin.ts';
import type { Side } from '../margin.ts';

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
