import type { JoinOp, PendingReader } from '../../pipeline/decode.ts';
import type { DydxFill } from './responses.ts';

/**
 * Pairs the two fills of one liquidation or deleveraging event across subaccounts, so that each side
 * names the other: an OFFSETTING fill's ADL row gets the deleveraged (liquidated) subaccount as its
 * counterparty, and a liquidation gets the subaccount that took the other side.
 *
 * The fills endpoint does not expose the event id the two fills share (their ids are UUIDs derived
 * from it, which cannot be reversed), and each subaccount is its own stream, so the halves meet through
 * `pending_joins`, keyed by what both fills of an event carry identically (the indexer writes both
 * from one event: dydx_deleveraging_handler.sql, the liquidation fill handler): event family, market,
 * height, price, size and the taker's side. Two events of one key in one block (same market, price and
 * size) are told apart only when they involve the same liquidated subaccount (then either pairing is
 * right); otherwise the pairing is flagged `counterparty_ambiguous`.
 */
export const TAKER_KIND = 'dydx-v4:taker';
export const MAKER_KIND = 'dydx-v4:maker';

export interface WaitingFill {
  /** The fill's id (its row's uid). */
  uid: string;
  /** `address/subaccountNumber`. */
  account: string;
}

export type Role = 'taker' | 'maker';

export function roleOf(fill: DydxFill): Role {
  return fill.type === 'LIQUIDATED' || fill.type === 'DELEVERAGED' ? 'taker' : 'maker';
}

export function familyOf(fill: DydxFill): 'liquidation' | 'deleveraging' {
  return fill.type === 'LIQUIDATED' || fill.type === 'LIQUIDATION' ? 'liquidation' : 'deleveraging';
}

/** The key both fills of an event share. */
export function eventKey(fill: DydxFill): string {
  const takerSide = roleOf(fill) === 'taker' ? fill.side : fill.side === 'BUY' ? 'SELL' : 'BUY';
  return [familyOf(fill), fill.market, fill.createdAtHeight, fill.price, fill.size, takerSide].join('|');
}

export interface Match {
  other: WaitingFill;
  ambiguous: boolean;
}

/**
 * The halves waiting by key, as committed before this batch plus what this batch changed; `joins()`
 * returns the operations that store the change.
 */
export class WaitingHalves {
  private readonly waiting = new Map<string, WaitingFill[]>();
  private readonly touched = new Set<string>();

  static async load(pending: PendingReader, fills: readonly DydxFill[]): Promise<WaitingHalves> {
    const halves = new WaitingHalves();
    const keys = [...new Set(fills.map(eventKey))];
    if (keys.length === 0) return halves;
    for (const kind of [TAKER_KIND, MAKER_KIND]) {
      const found = await pending.find(kind, keys);
      for (const [key, payload] of found) halves.waiting.set(`${kind} ${key}`, [...((payload.waiting as WaitingFill[] | undefined) ?? [])]);
    }
    return halves;
  }

  /** Takes the other side of `fill`'s event if it is waiting; else leaves `fill` waiting for it. */
  meet(fill: DydxFill, self: WaitingFill): Match | null {
    const key = eventKey(fill);
    const own = roleOf(fill) === 'taker' ? TAKER_KIND : MAKER_KIND;
    const other = own === TAKER_KIND ? MAKER_KIND : TAKER_KIND;
    const candidates = this.waiting.get(`${other} ${key}`) ?? [];
    if (candidates.length > 0) {
      const ambiguous = candidates.some((c) => c.account !== candidates[0]!.account);
      const taken = candidates.shift()!;
      this.touched.add(`${other} ${key}`);
      return { other: taken, ambiguous };
    }
    const list = this.waiting.get(`${own} ${key}`) ?? [];
    list.push(self);
    this.waiting.set(`${own} ${key}`, list);
    this.touched.add(`${own} ${key}`);
    return null;
  }

  joins(): JoinOp[] {
    const ops: JoinOp[] = [];
    for (const id of this.touched) {
      const space = id.indexOf(' ');
      const kind = id.slice(0, space);
      const key = id.slice(space + 1);
      const list = this.waiting.get(id) ?? [];
      ops.push(list.length === 0 ? { op: 'delete', kind, keys: [key] } : { op: 'put', kind, key, blockNumber: null, payload: { waiting: list } });
    }
    return ops;
  }
}
