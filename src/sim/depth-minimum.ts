/**
 * The ground truth's depth minimum per market: the lowest depth factor makers reached, when it was
 * first reached and until when it held without interruption (a floor such as `minDepthFactor` or an
 * outage holds for a while). Depth is re-priced once a second, so one observation per second suffices.
 */
export interface DepthMinimum {
  marketIndex: number;
  depthFactor: number;
  /** First scenario time at the minimum, ms. */
  fromMs: number;
  /** Last scenario time of the uninterrupted run that started at `fromMs`, ms. */
  untilMs: number;
}

export class DepthMinimumTracker {
  private readonly minima: DepthMinimum[];
  /** Whether the run at the current minimum is still going, per market. */
  private readonly running: boolean[];

  constructor(markets: number) {
    this.minima = Array.from({ length: markets }, (_, marketIndex) => ({ marketIndex, depthFactor: Number.POSITIVE_INFINITY, fromMs: 0, untilMs: 0 }));
    this.running = new Array<boolean>(markets).fill(false);
  }

  observe(marketIndex: number, depthFactor: number, tMs: number): void {
    const m = this.minima[marketIndex]!;
    if (depthFactor < m.depthFactor) {
      m.depthFactor = depthFactor;
      m.fromMs = tMs;
      m.untilMs = tMs;
      this.running[marketIndex] = true;
    } else if (depthFactor === m.depthFactor && this.running[marketIndex]) {
      m.untilMs = tMs;
    } else {
      this.running[marketIndex] = false;
    }
  }

  result(): DepthMinimum[] {
    return this.minima.map((m) => ({ ...m }));
  }
}
