/**
 * Chooses the block span of the next eth_getLogs request for one source.
 *
 * - Grows (doubling) after successes while no refusal has been seen, up to the ceiling.
 * - A refusal with a suggested span adopts it; without one, the span halves. Either way the ceiling
 *   drops (it never rises again): a provider that said no once will say no again.
 * - After refusals it binary-searches between the largest span that worked and the smallest that was
 *   refused, then settles, so a provider's hidden limit costs a few probes, not a halving forever.
 * - While `probing` (no success since the last refusal) the fetcher sends one request at a time, so a
 *   too-large span is refused once, not once per parallel request.
 * - Memory follows the response, not the batch: a node that caps nothing (anvil, a self-hosted node)
 *   answers a 10,000-block GMX range with ~420 MB. A response past its budget of logs or bytes shrinks
 *   the next spans to about the budget, and growth stops short of it; this is no refusal, so the
 *   ceiling stays (log density changes along a chain).
 */
export interface ResponseLoad {
  logs: number;
  bytes: number;
}

/** What one eth_getLogs response may carry: with four requests in flight, about 128 MB at most. */
export const DEFAULT_RESPONSE_BUDGET: ResponseLoad = { logs: 10_000, bytes: 32 * 1024 * 1024 };

export class RangeSizer {
  private current: number;
  private ceilingValue: number;
  private maxOk = 0;
  private minFail = Number.POSITIVE_INFINITY;
  private probingValue = true;

  constructor(
    maxBlockRange: number,
    initial?: number,
    private readonly budget: ResponseLoad = DEFAULT_RESPONSE_BUDGET,
  ) {
    if (!Number.isSafeInteger(maxBlockRange) || maxBlockRange < 1) throw new Error(`maxBlockRange must be a positive integer, got ${maxBlockRange}`);
    this.ceilingValue = maxBlockRange;
    this.current = Math.min(maxBlockRange, initial ?? maxBlockRange);
  }

  get ceiling(): number {
    return this.ceilingValue;
  }

  get probing(): boolean {
    return this.probingValue;
  }

  /** Span (number of blocks, inclusive) for the next request. */
  next(): number {
    return Math.max(1, Math.min(this.current, this.ceilingValue));
  }

  onSuccess(span: number, load?: ResponseLoad): void {
    this.probingValue = false;
    // How full the response was against its budget (1 = exactly the budget).
    const fill = load ? Math.max(load.logs / this.budget.logs, load.bytes / this.budget.bytes) : 0;
    if (fill > 1) {
      this.current = Math.max(1, Math.floor(span / fill));
      return;
    }
    if (span > this.maxOk) this.maxOk = span;
    if (span < this.current) return; // a short tail range says nothing about the limit
    if (this.minFail === Number.POSITIVE_INFINITY) {
      // Double, but not past the span that would fill the budget at this density.
      const withinBudget = fill > 0 ? Math.floor(span / fill) : Number.POSITIVE_INFINITY;
      this.current = Math.max(span, Math.min(this.ceilingValue, this.current * 2, withinBudget));
      return;
    }
    const gap = this.minFail - this.maxOk;
    this.current = gap > Math.max(1, Math.floor(this.maxOk / 16)) ? Math.floor((this.maxOk + this.minFail) / 2) : this.maxOk;
  }

  onRefusal(span: number, suggestedBlocks?: number): void {
    this.probingValue = true;
    // A span that worked before and is refused now means the limit is on results (density changed):
    // forget what worked and search again below.
    if (this.maxOk >= span) this.maxOk = 0;
    this.minFail = Math.min(this.minFail, span);
    this.ceilingValue = Math.max(1, Math.min(this.ceilingValue, span - 1));
    if (suggestedBlocks !== undefined && suggestedBlocks < span) {
      this.ceilingValue = Math.min(this.ceilingValue, suggestedBlocks);
      this.current = suggestedBlocks;
      // Trust the provider's number: do not probe above it.
      this.minFail = Math.min(this.minFail, suggestedBlocks + 1);
    } else {
      this.current = Math.max(1, Math.floor(span / 2));
    }
  }
}
