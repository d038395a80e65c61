import { hasReference, type NoReference, type ReferenceQuote } from './reference.ts';

/**
 * Episodes of one venue feed (an `oracle_prices` venue + market), found while the analysis walks the
 * asset's prices in time order:
 *
 * - **stale windows**: a gap between two updates longer than the feed's heartbeat (plus grace), from the
 *   moment the heartbeat was due to the next update, with the largest deviation of the price in force
 *   from the reference meanwhile;
 * - **deviation episodes**: the feed's price at least `threshold` % from the reference (the feed's own
 *   deviation threshold if larger, and the reference sources' disagreement if larger still). It is over
 *   once the deviation falls below `exitRatio` of the threshold (hysteresis: a price hovering at the
 *   threshold is one episode, not many), and it ended at the first comparison back within the threshold
 *   after the last one past it (when the price came back for good). A push feed (known heartbeat) is judged at every moment, since its price is in force until its
 *   next update; a sampled series (no known update rule) only at its samples, which are points. Like a
 *   liquidation's verdict, a deviation counts only if it holds against the reference at that moment and
 *   against the reference `confirmMs` later (the part both agree on): a reference source a few seconds
 *   old is not the market after a gap. Shorter than `minDurationMs`, an episode is dropped. Its cause:
 *   `stale` when the price in force was past its heartbeat, `delayed` when updates landed on chain later
 *   than a heartbeat after their own time (congestion), else `published` (the venue published prices
 *   away from the market: a depeg, a single-venue source).
 */
export const TIMESTAMP_RESOLUTION_MS = 1000;

export interface FeedIdentity {
  venue: string;
  market: string;
  asset: string | null;
  quote: string | null;
  /** The group the reference leaves out when judging this feed. */
  group: string;
  /** The venue whose liquidations this feed's prices trigger. */
  liquidationVenue: string;
  heartbeatMs: number | null;
  deviationPct: number | null;
}

export interface EpisodeSettings {
  thresholdPct: number;
  exitRatio: number;
  minDurationMs: number;
  heartbeatGrace: number;
  /** How much later the reference must confirm a deviation (0: not at all). */
  confirmMs: number;
}

export interface Episode {
  kind: 'deviation' | 'stale';
  cause: 'published' | 'stale' | 'delayed' | 'missed_heartbeat';
  feed: FeedIdentity;
  startMs: number;
  /** Null: still going when the data ended. */
  endMs: number | null;
  lastUpdateMs: number | null;
  peakDeviationPct: number | null;
  peakMs: number | null;
  peakVenuePrice: number | null;
  peakReferencePrice: number | null;
  thresholdPct: number;
  evaluations: number;
}

type Point = { dev: number; atMs: number; venue: number; ref: number };

/** A comparison waiting for the later reference that confirms it. */
interface Pending {
  point: Point;
  threshold: number;
  stale: boolean;
  delayed: boolean;
}

interface Open {
  startMs: number;
  thresholdPct: number;
  /** First comparison back within the threshold since it was last past it (null: still past it). */
  backWithinMs: number | null;
  peak: Point;
  evaluations: number;
  stale: boolean;
  delayed: boolean;
}

export type QuoteAt = (atMs: number) => ReferenceQuote | NoReference;

export class FeedEpisodes {
  private last: { timeMs: number; price: number; delayMs: number } | null = null;
  private deviation: Open | null = null;
  private readonly queue: Pending[] = [];
  private queueHead = 0;
  /** Largest deviation while past the heartbeat, for the stale window the next update will close. */
  private stalePeak: Point | null = null;
  private staleEvaluations = 0;
  readonly done: Episode[] = [];

  constructor(
    readonly feed: FeedIdentity,
    private readonly settings: EpisodeSettings,
  ) {}

  /** The feed's latest update (its price in force) and its time. */
  get lastUpdate(): { timeMs: number; price: number } | null {
    return this.last;
  }

  get isPushFeed(): boolean {
    return this.feed.heartbeatMs !== null;
  }

  /** Start of the deviation episode open or still to be confirmed, if any. */
  get openDeviationStart(): number | null {
    if (this.deviation) return this.deviation.startMs;
    return this.queueHead < this.queue.length ? this.queue[this.queueHead]!.point.atMs : null;
  }

  /**
   * A gap longer than this missed a heartbeat: the heartbeat plus its grace, plus one second because
   * on-chain timestamps are whole seconds (a gap between two of them reads up to a second long).
   */
  private overdueMs(): number | null {
    return this.feed.heartbeatMs === null ? null : this.feed.heartbeatMs * (1 + this.settings.heartbeatGrace) + TIMESTAMP_RESOLUTION_MS;
  }

  /** A new update of the feed: closes a stale window when the gap since the previous one was past the heartbeat. */
  update(timeMs: number, price: number, blockTimeMs: number | null): void {
    const overdue = this.overdueMs();
    if (this.last && overdue !== null && timeMs - this.last.timeMs > overdue) this.done.push(this.staleWindow(timeMs));
    this.stalePeak = null;
    this.staleEvaluations = 0;
    this.last = { timeMs, price, delayMs: blockTimeMs === null ? 0 : Math.max(0, blockTimeMs - timeMs) };
  }

  /**
   * Compares the price in force with the reference at `atMs` (called at every event of the asset for a
   * push feed, at its own updates for a sampled series). The comparison joins the episode state once the
   * later reference confirmed it (`confirm`).
   */
  evaluate(atMs: number, reference: ReferenceQuote | NoReference): void {
    if (!this.last || !hasReference(reference)) return;
    const point: Point = { dev: (100 * (this.last.price - reference.price)) / reference.price, atMs, venue: this.last.price, ref: reference.price };
    const overdue = this.overdueMs();
    const stale = overdue !== null && atMs - this.last.timeMs > overdue;
    if (stale) {
      this.staleEvaluations++;
      if (!this.stalePeak || Math.abs(point.dev) > Math.abs(this.stalePeak.dev)) this.stalePeak = point;
    }
    const threshold = Math.max(this.settings.thresholdPct, this.feed.deviationPct ?? 0, reference.dispersionPct);
    const delayed = this.feed.heartbeatMs !== null && this.last.delayMs > this.feed.heartbeatMs;
    this.queue.push({ point, threshold, stale, delayed });
  }

  /** Confirms the comparisons made `confirmMs` or more before `nowMs` against the reference of now. */
  confirm(nowMs: number, quoteAt: QuoteAt): void {
    while (this.queueHead < this.queue.length) {
      const pending = this.queue[this.queueHead]!;
      const dueMs = pending.point.atMs + this.settings.confirmMs;
      if (dueMs > nowMs) break;
      this.queueHead++;
      this.step(pending, quoteAt(dueMs));
    }
    if (this.queueHead > 4096) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Whether an episode or a stale window is still open (the walk continues past the range to close it). */
  isOpen(atMs: number): boolean {
    const overdue = this.overdueMs();
    return this.openDeviationStart !== null || (this.last !== null && overdue !== null && atMs - this.last.timeMs > overdue);
  }

  /** The data ended: pending comparisons are confirmed with what there is, and what is still open is kept with no end. */
  finish(quoteAt: QuoteAt): void {
    this.confirm(Number.POSITIVE_INFINITY, quoteAt);
    if (this.deviation) this.closeDeviation(null);
    if (this.last && this.stalePeak) this.done.push(this.staleWindow(null));
  }

  private staleWindow(endMs: number | null): Episode {
    return {
      kind: 'stale',
      cause: 'missed_heartbeat',
      feed: this.feed,
      startMs: this.last!.timeMs + this.feed.heartbeatMs!,
      endMs,
      lastUpdateMs: this.last!.timeMs,
      ...peakFields(this.stalePeak),
      thresholdPct: this.settings.thresholdPct,
      evaluations: this.staleEvaluations,
    };
  }

  /** One confirmed comparison: the deviation both references agree on (0 when they disagree in sign). */
  private step(pending: Pending, later: ReferenceQuote | NoReference): void {
    const { point } = pending;
    let dev = point.dev;
    let threshold = pending.threshold;
    if (this.settings.confirmMs > 0 && hasReference(later)) {
      const devLater = (100 * (point.venue - later.price)) / later.price;
      dev = Math.sign(dev) === Math.sign(devLater) ? Math.sign(dev) * Math.min(Math.abs(dev), Math.abs(devLater)) : 0;
      threshold = Math.max(threshold, later.dispersionPct);
    }
    const confirmed: Point = { ...point, dev };
    const open = this.deviation;
    if (!open) {
      if (Math.abs(dev) >= threshold) {
        this.deviation = { startMs: point.atMs, thresholdPct: threshold, backWithinMs: null, peak: confirmed, evaluations: 1, stale: pending.stale, delayed: pending.delayed };
      }
      return;
    }
    open.evaluations++;
    open.stale ||= pending.stale;
    open.delayed ||= pending.delayed;
    if (Math.abs(dev) > Math.abs(open.peak.dev)) open.peak = confirmed;
    if (Math.abs(dev) >= open.thresholdPct) open.backWithinMs = null;
    else open.backWithinMs ??= point.atMs;
    // over once below the exit level; it ended when it came back within the threshold for good
    if (Math.abs(dev) < open.thresholdPct * this.settings.exitRatio) this.closeDeviation(open.backWithinMs);
  }

  private closeDeviation(endMs: number | null): void {
    const open = this.deviation!;
    this.deviation = null;
    if (endMs !== null && endMs - open.startMs < this.settings.minDurationMs) return;
    this.done.push({
      kind: 'deviation',
      cause: open.stale ? 'stale' : open.delayed ? 'delayed' : 'published',
      feed: this.feed,
      startMs: open.startMs,
      endMs,
      lastUpdateMs: null,
      ...peakFields(open.peak),
      thresholdPct: open.thresholdPct,
      evaluations: open.evaluations,
    });
  }
}

function peakFields(peak: Point | null) {
  return {
    peakDeviationPct: peak?.dev ?? null,
    peakMs: peak?.atMs ?? null,
    peakVenuePrice: peak?.venue ?? null,
    peakReferencePrice: peak?.ref ?? null,
  };
}
