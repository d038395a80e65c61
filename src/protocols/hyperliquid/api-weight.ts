import { INFO_BASE_WEIGHT, infoWeight } from './api-limits.ts';

/**
 * The weight to send with a stream's next request. Hyperliquid charges `userFillsByTime` and
 * `candleSnapshot` by what they return, which is known only after the answer; the HTTP client paces by
 * the weight given before. So a stream charges what its last answer weighed (a full page before its
 * first answer), and carries the difference between what an answer weighed and what was charged onto
 * its next request: over a run the client is charged what the venue counts, at most one answer late.
 * Charging every request as a full page instead would cost a watch list of ten users, polled while
 * caught up, 1,200 weight a poll (the whole minute) for answers that weigh about 210.
 */
export class StreamWeight {
  private lastItems: number;
  private charged = 0;
  private owed = 0;

  constructor(
    private readonly type: 'candleSnapshot' | 'userFillsByTime' | 'metaAndAssetCtxs',
    fullPage: number,
  ) {
    this.lastItems = fullPage;
  }

  /** The weight of the request about to be sent. */
  charge(): number {
    // a credit larger than the estimate's extra is dropped: never charge below the request's base weight
    this.charged = Math.max(INFO_BASE_WEIGHT, infoWeight(this.type, this.lastItems) + this.owed);
    this.owed = 0;
    return this.charged;
  }

  /** Records what the answer held. */
  settle(items: number): void {
    this.lastItems = items;
    this.owed = infoWeight(this.type, items) - this.charged;
  }
}
