import { unrealizedPnl } from '../margin.ts';
import type { AdlRecord, SimPosition } from '../types.ts';
import { EPS } from './venue.ts';
import type { DueAccount, PlannedClose, SimVenue, VenueContext } from './venue.ts';

/**
 * Closes the liquidated position `p` against opposite positions in `order` (Hyperliquid's ranked
 * winners, dYdX's offsetting subaccounts) at `price`: each match is one liquidation fill and one
 * ADL fill in the same millisecond. The ADL'd position realizes its pnl into its account's
 * collateral. Returns the matches and the size nobody took.
 */
export function matchAdl(
  ctx: VenueContext,
  venue: SimVenue,
  due: DueAccount,
  p: SimPosition,
  price: number,
  mark: number,
  order: readonly SimPosition[],
): { closes: PlannedClose[]; remaining: number } {
  const closes: PlannedClose[] = [];
  let remaining = p.size;
  for (const cp of order) {
    if (remaining <= EPS) break;
    const q = Math.min(remaining, cp.size);
    if (q <= EPS) continue;
    const cpAccount = ctx.account(cp.accountId);
    const pnl = unrealizedPnl(cp.side, cp.entry, q, price);
    cpAccount.collateral += pnl;
    cp.size -= q;
    if (cp.size <= EPS) cp.size = 0;
    if (cp.fate === 'survived') cp.fate = 'adl';
    const adl: AdlRecord = {
      type: 'adl',
      id: ctx.nextId(venue.id, 'adl'),
      venue: venue.id,
      venueKind: venue.kind,
      market: p.market,
      account: cpAccount.address,
      positionId: cp.id,
      side: cp.side,
      tMs: due.tMs,
      size: q,
      price,
      markPrice: mark,
      pnl,
      liquidationId: null,
      liquidatedAccount: due.account.address,
      liquidatedEquity: due.health.equity,
    };
    cp.records.push(adl.id);
    closes.push({ p, size: q, exit: price, method: 'adl', adl, mark });
    remaining -= q;
  }
  return { closes, remaining };
}
