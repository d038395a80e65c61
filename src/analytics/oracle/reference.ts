import type { ReferenceMethod } from './params.ts';

/**
 * The reference price of one asset at any moment, from the latest value of every source seen so far (the
 * analysis walks the store in time order and feeds it here). A source is one series: an oracle feed
 * (`oracle_prices` venue + market) or a venue's trade bars of one interval. Sources are grouped by venue,
 * where a venue's own prices (Hyperliquid's oracle, mark and trades) form one group: the median is taken
 * over one value per group, the freshest usable, so that no venue outvotes the others and one broken venue
 * cannot move the median of three.
 *
 * A value counts while it is younger than its source's limit: a feed with a known heartbeat until the
 * heartbeat passes (it is within its deviation threshold of the market until then), sampled series and
 * bars for `maxAgeSeconds`. Never a value from after the moment asked about.
 */
export interface SourceObservation {
  key: string;
  kind: 'oracle' | 'bar';
  venue: string;
  market: string;
  /** Bar interval; null for oracle rows. */
  interval: string | null;
  /** The venue group it belongs to (see the module comment). */
  group: string;
  price: number;
  /** When the value was the market's (the oracle's own timestamp, a bar's last trade or end), unix ms. */
  observedAtMs: number;
  /** How long it counts, ms. */
  maxAgeMs: number;
}

export interface UsedSource {
  kind: 'oracle' | 'bar' | 'peg';
  venue: string | null;
  market: string | null;
  interval: string | null;
  price: number;
  ageS: number;
}

export interface ReferenceQuote {
  method: 'median' | 'peg';
  price: number;
  sources: UsedSource[];
  /** The oldest value used, seconds. */
  ageS: number;
  /** Median absolute deviation of the values used from the reference, % of it (0 with one source). */
  dispersionPct: number;
}

export interface NoReference {
  unavailable: 'no_reference_source' | 'reference_stale' | 'too_few_reference_sources';
  detail: string;
}

export const hasReference = (q: ReferenceQuote | NoReference): q is ReferenceQuote => 'price' in q;

export class ReferenceBook {
  /** Latest observation per source, grouped by venue group. */
  private readonly groups = new Map<string, Map<string, SourceObservation>>();

  constructor(private readonly method: ReferenceMethod) {}

  /** Whether the method lets this venue's series count at all. */
  accepts(kind: 'oracle' | 'bar', venue: string, interval: string | null): boolean {
    const m = this.method;
    if (m.kind === 'peg') return false;
    if (m.venues && !m.venues.includes(venue)) return false;
    if (m.excludeVenues.includes(venue)) return false;
    if (kind === 'oracle') return m.oracles;
    return interval !== null && (m.barIntervals as readonly string[]).includes(interval);
  }

  observe(o: SourceObservation): void {
    if (!this.accepts(o.kind, o.venue, o.interval)) return;
    let group = this.groups.get(o.group);
    if (!group) this.groups.set(o.group, (group = new Map()));
    group.set(o.key, o);
  }

  /** The venue groups with a series, but `exclude`. */
  groupsExcept(exclude: string): string[] {
    return [...this.groups.keys()].filter((g) => g !== exclude);
  }

  /**
   * The reference from the values observed by `atMs`, leaving out the groups in `exclude` (the venue being
   * judged). Ages count from `agesFromMs` (default `atMs`), never below 0: a liquidation timed to its
   * block's second is quoted at the second's end, and a value of that second is as fresh as the event.
   */
  quote(atMs: number, exclude: string, agesFromMs = atMs): ReferenceQuote | NoReference {
    const m = this.method;
    if (m.kind === 'peg') return { method: 'peg', price: m.price, sources: [{ kind: 'peg', venue: null, market: null, interval: null, price: m.price, ageS: 0 }], ageS: 0, dispersionPct: 0 };
    const used: SourceObservation[] = [];
    let seen = 0;
    for (const [name, group] of this.groups) {
      if (name === exclude) continue;
      let best: SourceObservation | null = null;
      for (const o of group.values()) {
        seen++;
        if (o.observedAtMs > atMs || agesFromMs - o.observedAtMs > o.maxAgeMs) continue;
        if (!best || o.observedAtMs > best.observedAtMs) best = o;
      }
      if (best) used.push(best);
    }
    if (used.length === 0) {
      return seen === 0
        ? { unavailable: 'no_reference_source', detail: `no price of the asset from a venue other than ${exclude}` }
        : { unavailable: 'reference_stale', detail: `every other venue's price was older than its staleness limit` };
    }
    if (used.length < m.minSources) {
      return { unavailable: 'too_few_reference_sources', detail: `${used.length} venue(s) with a usable price, ${m.minSources} required` };
    }
    const price = median(used.map((o) => o.price));
    const dispersionPct = (100 * median(used.map((o) => Math.abs(o.price - price)))) / price;
    const sources = used
      .map((o): UsedSource => ({ kind: o.kind, venue: o.venue, market: o.market, interval: o.interval, price: o.price, ageS: Math.max(0, agesFromMs - o.observedAtMs) / 1000 }))
      .sort((a, b) => (a.venue! < b.venue! ? -1 : a.venue! > b.venue! ? 1 : 0));
    return { method: 'median', price, sources, ageS: Math.max(...sources.map((s) => s.ageS)), dispersionPct };
  }
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
