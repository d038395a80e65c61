import { sleep } from '../../util/backoff.ts';

/**
 * Per-endpoint request pacing that adapts: halves the rate on a 429 and creeps back up on success
 * (additive increase, multiplicative decrease), never above the configured rate. Requests are spaced
 * evenly rather than allowed to burst, which is what providers' per-second windows reward.
 */
export class AdaptiveRateLimiter {
  private nextAt = 0;
  private rate: number;
  private readonly minRate: number;

  constructor(private readonly maxRate: number) {
    this.rate = maxRate;
    // A floor relative to the configured rate: a long 429 storm must not slow us to a crawl for minutes.
    this.minRate = Math.max(0.2, maxRate / 32);
  }

  get currentRate(): number {
    return this.rate;
  }

  /** Waits for this endpoint's next slot. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.rate;
    await sleep(at - now, signal);
  }

  onRateLimited(retryAfterSeconds?: number): void {
    this.rate = Math.max(this.minRate, this.rate / 2);
    if (retryAfterSeconds !== undefined) {
      // Honour Retry-After, capped so a bogus value cannot stall the indexer.
      this.nextAt = Math.max(this.nextAt, Date.now() + Math.min(retryAfterSeconds, 30) * 1000);
    }
  }

  onSuccess(): void {
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate + Math.max(0.5, this.maxRate / 50));
  }
}
