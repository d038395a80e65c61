import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { LiquidationFacts, VenueMarginRules } from '../../pipeline/margin-rules.ts';
import { checkLiquidation, type CheckResult } from './check-liquidation.ts';
import { FeedEpisodes, type Episode, type EpisodeSettings } from './episodes.ts';
import { feedRule, type FeedRules } from './feeds.ts';
import type { OracleParams } from './params.ts';
import { hasReference, ReferenceBook, type NoReference, type ReferenceQuote } from './reference.ts';
import { barRows, liquidationRows, oracleRows, type AssetKey, type LiquidationRow } from './store-pages.ts';

/**
 * One asset's walk through the store in time order: every oracle update and complete trade bar feeds the
 * reference book and the feeds' episode trackers, and every liquidation in the range is checked against
 * the reference as it stood at that moment (never a later price; for a liquidation timed to its block's
 * second, that moment is the second's end). The walk starts a lookback before the
 * range, so the reference and the feeds' prices in force are known at its start, and goes past its end
 * only while an episode that started inside is still open.
 */
export interface WalkSettings {
  from: Date;
  to: Date;
  /** Liquidating venues to check and feeds to report (all when empty). */
  venues: readonly string[];
  params: OracleParams;
  /** The feeds' update rules: the configured ones, then those the protocols know. */
  feedRules: FeedRules;
  rulesByVenue: ReadonlyMap<string, VenueMarginRules<unknown>>;
  ruleParamsByVenue: ReadonlyMap<string, unknown>;
  /** The venue group of an `oracle_prices` or bar venue (own prices of a liquidating venue → that venue). */
  groupOf(venue: string): string;
  /** Groups whose prices liquidate positions (venues with margin rules or with liquidations of the asset). */
  liquidatingGroups: ReadonlySet<string>;
  /**
   * Where the walk reads prices and liquidations, when not through `db`: a connection of its own in the
   * run's snapshot (AnalysisScope.reader), so that the reads do not queue behind the writes of checks.
   */
  reader?: Kysely<Database>;
  /**
   * Called with each page of checks to write. The walk goes on while a page is written and waits for it
   * before handing over the next one (one write in flight, pages in order) and before it returns.
   */
  writeChecks(checks: { liquidation: LiquidationRow; result: CheckResult }[]): Promise<void>;
}

export interface WalkResult {
  episodes: Episode[];
  checks: number;
  events: number;
}

const INTERVAL_MS: Record<string, number> = { '1s': 1_000, '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 };
/**
 * Checks per insert (one unnest() statement each: the parameters do not grow with it). Each insert holds
 * the run's connection, where the cascades step, running beside this one, queues its queries: on the
 * analyze bench data, 10,000 rows a batch gave 77.0 s for the whole run, 5,000 75.6 s, 2,500 74.1 s and
 * 1,000 76.8 s (more statements).
 */
export const CHECK_BATCH = 2_500;

export async function walkAsset(db: Kysely<Database>, key: AssetKey, seriesInRange: readonly { venue: string; market: string }[], s: WalkSettings): Promise<WalkResult> {
  const { params } = s;
  const grace = params.heartbeatGracePct / 100;
  const fromMs = s.from.getTime();
  const toMs = s.to.getTime();
  const method = params.reference.assets[key.asset] ?? params.reference.default;
  const book = new ReferenceBook(method);
  const maxAgeOracleMs = params.reference.maxAgeSeconds.oracle * 1000;
  const maxAgeBarMs = params.reference.maxAgeSeconds.bar * 1000;

  // Look back far enough that every source's value still counting at `from` is seen.
  let lookbackMs = Math.max(maxAgeOracleMs, maxAgeBarMs);
  for (const series of seriesInRange) {
    const rule = feedRule(s.feedRules, series.venue, series.market, key.asset);
    if (rule) lookbackMs = Math.max(lookbackMs, rule.heartbeatSeconds * 1000 * (1 + grace));
  }
  const start = new Date(fromMs - lookbackMs);
  const intervals = method.kind === 'median' ? method.barIntervals : [];
  const reads = s.reader ?? db;
  const oracles = oracleRows(reads, key, start);
  const bars = intervals.map((interval) => ({ interval, reader: barRows(reads, key, interval, new Date(start.getTime() - INTERVAL_MS[interval]!)) }));
  const liquidations = liquidationRows(reads, key, s.from, s.to, s.venues);

  const settings: EpisodeSettings = {
    thresholdPct: params.episodes.thresholdPct,
    exitRatio: params.episodes.exitRatio,
    minDurationMs: (params.episodes.minDurationSeconds ?? params.reference.maxAgeSeconds.oracle) * 1000,
    heartbeatGrace: grace,
    confirmMs: params.reference.afterSeconds * 1000,
  };
  const feeds = new Map<string, FeedEpisodes>();
  const feedOf = (venue: string, market: string): FeedEpisodes => {
    const id = `${venue}\u0000${market}`;
    let feed = feeds.get(id);
    if (!feed) {
      const rule = feedRule(s.feedRules, venue, market, key.asset);
      const group = s.groupOf(venue);
      feed = new FeedEpisodes(
        {
          venue,
          market,
          asset: key.asset,
          quote: key.quote,
          group,
          liquidationVenue: group,
          heartbeatMs: rule ? rule.heartbeatSeconds * 1000 : null,
          deviationPct: rule ? rule.deviationPct : null,
        },
        settings,
      );
      feeds.set(id, feed);
    }
    return feed;
  };

  const quotes = new Map<string, ReferenceQuote | NoReference>();
  const quote = (atMs: number, group: string) => {
    let q = quotes.get(group);
    if (!q) quotes.set(group, (q = book.quote(atMs, group)));
    return q;
  };
  /**
   * Push feeds are compared at every instant with an event (their price is in force); a sampled series at
   * its own samples. An instant is compared once all its rows are in: two feeds updating in the same
   * second are never compared with one of them still at its previous price. A feed of a venue that
   * liquidates nothing (a reference such as Chainlink) is judged only against two or more other venues:
   * against one, a disagreement does not say which of the two is off.
   */
  let instant = null as { atMs: number; updated: Set<FeedEpisodes> } | null;
  const touch = (atMs: number, updated: FeedEpisodes | null) => {
    if (instant && instant.atMs !== atMs) evaluateInstant();
    instant ??= { atMs, updated: new Set() };
    if (updated) instant.updated.add(updated);
  };
  const evaluateInstant = () => {
    if (!instant) return;
    const { atMs, updated } = instant;
    instant = null;
    quotes.clear();
    for (const feed of feeds.values()) {
      if (!feed.isPushFeed && !updated.has(feed)) continue;
      const q = quote(atMs, feed.feed.group);
      if (!s.liquidatingGroups.has(feed.feed.group) && hasReference(q) && q.method === 'median' && q.sources.length < 2) continue;
      feed.evaluate(atMs, q);
    }
  };
  const openInsideRange = (atMs: number) => {
    for (const feed of feeds.values()) {
      if (!feed.isOpen(atMs)) continue;
      // only what started inside the range is this run's to finish
      const last = feed.lastUpdate;
      const staleFrom = last && feed.feed.heartbeatMs !== null ? last.timeMs + feed.feed.heartbeatMs : null;
      if (staleFrom !== null && staleFrom >= fromMs && staleFrom < toMs) return true;
      if (feed.openDeviationStart !== null && feed.openDeviationStart >= fromMs && feed.openDeviationStart < toMs) return true;
    }
    return false;
  };

  /**
   * Liquidations of a venue that times them coarser than the millisecond (block timestamps: whole
   * seconds), held until the end of their time unit: the reference is taken as it stood then, since the
   * other venues' prices of that second cannot be ordered before or after the event. Ordered by that end.
   */
  const deferred: { row: LiquidationRow; endMs: number }[] = [];
  const defer = (row: LiquidationRow, resolutionMs: number) => {
    const endMs = (Math.floor(row.time.getTime() / resolutionMs) + 1) * resolutionMs;
    let i = deferred.length;
    while (i > 0 && deferred[i - 1]!.endMs > endMs) i--;
    deferred.splice(i, 0, { row, endMs });
  };

  /** Checks waiting for the reference just after their liquidation. */
  const waiting: Waiting[] = [];
  let ready: { liquidation: LiquidationRow; result: CheckResult }[] = [];
  let checks = 0;
  let events = 0;
  const afterMs = params.reference.afterSeconds * 1000;
  /**
   * The write in flight. The walk does not wait for it: Postgres stores one page while Node walks to the
   * next (on the analyze bench's million checks, writing took about as long as walking).
   */
  let writing: Promise<void> = Promise.resolve();
  const flush = async (force: boolean) => {
    if (ready.length === 0 || (!force && ready.length < CHECK_BATCH)) return;
    const page = ready;
    ready = [];
    checks += page.length;
    await writing;
    writing = s.writeChecks(page);
    writing.catch(() => {}); // awaited before the next page and at the end
  };
  /** Checks whose after-reference is known by `atMs` (every source published again, or the wait is over). */
  const settle = (atMs: number, all: boolean) => {
    for (let i = 0; i < waiting.length; ) {
      const w = waiting[i]!;
      if (all || w.groups.size === 0 || atMs >= w.deadlineMs) {
        const at = Math.min(atMs, w.deadlineMs);
        const after = book.quote(at, w.group);
        ready.push({ liquidation: w.row, result: check(w, after, (at - w.atMs) / 1000) });
        waiting.splice(i, 1);
      } else i++;
    }
  };
  /** A liquidation met: it waits for the reference just after it, or is checked at once. */
  const enqueue = (w: Waiting) => {
    if (afterMs > 0) waiting.push(w);
    else ready.push({ liquidation: w.row, result: check(w, null, null) });
  };
  const observed = (group: string, observedAtMs: number) => {
    for (const w of waiting) if (observedAtMs >= w.atMs) w.groups.delete(group);
  };

  const readers: { readonly ready: boolean; fill(): Promise<void> }[] = [oracles, ...bars.map((b) => b.reader), liquidations];
  try {
    for (;;) {
      // Awaits only at a page's end (and below, at a full batch of checks): two awaits per event (2.5 million
      // on the analyze bench) cost more than holding its 150,000 block-timed liquidations to their second's
      // end. In three alternating pairs on the bench data, the oracle step took 62.9–65.8 s without them and
      // with the held rows, against 64.1–71.2 s for the code before both.
      if (!readers.every((r) => r.ready)) await Promise.all(readers.map((r) => r.fill()));
      // The next event. At equal times: bars (their trades were before their end), then liquidations
      // held to the end of their second (with those bars, without prices stamped at the next second),
      // then oracle rows, then liquidations (a price is in force before the liquidation it triggers).
      let nextMs = Number.POSITIVE_INFINITY;
      let pick = null as 'oracle' | 'liquidation' | 'deferred' | number | null;
      for (let i = 0; i < bars.length; i++) {
        const bar = bars[i]!.reader.head;
        if (!bar) continue;
        const at = bar.time.getTime() + INTERVAL_MS[bar.interval]!;
        if (at < nextMs) {
          nextMs = at;
          pick = i;
        }
      }
      if (deferred.length > 0 && deferred[0]!.endMs < nextMs) {
        nextMs = deferred[0]!.endMs;
        pick = 'deferred';
      }
      const o = oracles.head;
      if (o && o.time.getTime() < nextMs) {
        nextMs = o.time.getTime();
        pick = 'oracle';
      }
      const l = liquidations.head;
      if (l && l.time.getTime() < nextMs) {
        nextMs = l.time.getTime();
        pick = 'liquidation';
      }
      if (pick === null) break;
      const resolutionMs = pick === 'liquidation' ? (s.rulesByVenue.get(l!.venue)?.timeResolutionMs ?? 1) : 1;
      if (resolutionMs > 1) {
        // held until its second ends, out of the reader's way, so the liquidations behind it come in turn
        defer(l!, resolutionMs);
        liquidations.shift();
        continue;
      }
      // the instant before this event is complete: compare the feeds with the reference as it stood
      if (instant && instant.atMs < nextMs) evaluateInstant();
      // the state just before this event is the later reference of checks and comparisons whose wait ended
      settle(nextMs, false);
      for (const feed of feeds.values()) feed.confirm(nextMs, (dueMs) => book.quote(dueMs, feed.feed.group));
      if (ready.length >= CHECK_BATCH) await flush(false);
      if (nextMs >= toMs && !liquidations.head && deferred.length === 0 && waiting.length === 0 && !openInsideRange(nextMs)) break;
      events++;
      quotes.clear();

      if (pick === 'oracle') {
        oracles.shift();
        const price = Number(o!.price);
        if (!(price > 0)) continue;
        const at = o!.time.getTime();
        const feed = feedOf(o!.venue, o!.market);
        const group = s.groupOf(o!.venue);
        book.observe({
          key: `oracle:${o!.venue}:${o!.market}`,
          kind: 'oracle',
          venue: o!.venue,
          market: o!.market,
          interval: null,
          group,
          price,
          observedAtMs: at,
          maxAgeMs: feed.feed.heartbeatMs !== null ? feed.feed.heartbeatMs * (1 + grace) : maxAgeOracleMs,
        });
        feed.update(at, price, o!.block_time ? o!.block_time.getTime() : null);
        if (book.accepts('oracle', o!.venue, null)) observed(group, at);
        touch(at, feed);
      } else if (pick === 'liquidation') {
        liquidations.shift();
        enqueue(begin(l!, nextMs));
      } else if (pick === 'deferred') {
        // held to the end of its second: the reference at that second's last millisecond, ages from its own time
        const { row } = deferred.shift()!;
        enqueue(begin(row, nextMs - 1, row.time.getTime()));
      } else {
        const { reader, interval } = bars[pick]!;
        const bar = reader.head!;
        reader.shift();
        const price = Number(bar.close);
        if (!(price > 0)) continue;
        const group = s.groupOf(bar.venue);
        // a candle's close may be its first trade: without a last-trade time, it is as old as the bar
        const observedAtMs = bar.last_trade_at ? bar.last_trade_at.getTime() : bar.time.getTime();
        book.observe({
          key: `bar:${bar.venue}:${bar.market}:${interval}`,
          kind: 'bar',
          venue: bar.venue,
          market: bar.market,
          interval,
          group,
          price,
          observedAtMs,
          maxAgeMs: maxAgeBarMs,
        });
        if (book.accepts('bar', bar.venue, interval)) observed(group, observedAtMs);
        touch(nextMs, null);
      }
    }
  } catch (error) {
    // A failed write aborts the transaction, and the reads queued behind it fail with that; its own
    // error is the one that says what went wrong.
    await writing;
    throw error;
  }
  evaluateInstant();
  settle(Number.POSITIVE_INFINITY, true);
  await flush(true);
  await writing;
  for (const feed of feeds.values()) feed.finish((dueMs) => book.quote(dueMs, feed.feed.group));

  const inScope = (e: Episode) => s.venues.length === 0 || s.venues.includes(e.feed.venue) || s.venues.includes(e.feed.liquidationVenue);
  const episodes = [...feeds.values()].flatMap((f) => f.done).filter((e) => e.startMs >= fromMs && e.startMs < toMs && inScope(e));
  return { episodes, checks, events };

  /** A liquidation met in the walk: the reference and the venue's own price as they stood then. */
  function begin(row: LiquidationRow, atMs: number, agesFromMs = atMs): Waiting {
    const group = s.groupOf(row.venue);
    // the venue's own price in force: its latest own oracle update of this asset
    let own: FeedEpisodes | null = null;
    for (const feed of feeds.values()) {
      if (feed.feed.group !== group || !feed.lastUpdate) continue;
      if (!own || feed.lastUpdate.timeMs > own.lastUpdate!.timeMs) own = feed;
    }
    return {
      row,
      atMs,
      group,
      before: book.quote(atMs, group, agesFromMs),
      groups: new Set(book.groupsExcept(group)),
      deadlineMs: atMs + afterMs,
      ownTimeMs: own ? own.lastUpdate!.timeMs : null,
      ownHeartbeatS: own?.feed.heartbeatMs != null ? own.feed.heartbeatMs / 1000 : null,
    };
  }

  function check(w: Waiting, after: ReferenceQuote | NoReference | null, afterDelayS: number | null): CheckResult {
    return checkLiquidation({
      facts: toFacts(w.row),
      rules: s.rulesByVenue.get(w.row.venue),
      ruleParams: s.ruleParamsByVenue.get(w.row.venue),
      reference: w.before,
      referenceAfter: after,
      referenceAfterDelayS: afterDelayS,
      venuePriceTime: w.ownTimeMs === null ? null : new Date(w.ownTimeMs),
      venueHeartbeatS: w.ownHeartbeatS,
      tolerancePct: params.tolerancePct,
      heartbeatGrace: grace,
    });
  }
}

interface Waiting {
  row: LiquidationRow;
  atMs: number;
  group: string;
  before: ReferenceQuote | NoReference;
  /** Reference groups that have not published since the liquidation. */
  groups: Set<string>;
  deadlineMs: number;
  ownTimeMs: number | null;
  ownHeartbeatS: number | null;
}

function toFacts(row: LiquidationRow): LiquidationFacts {
  const extra = typeof row.extra === 'string' ? (JSON.parse(row.extra) as Record<string, unknown>) : ((row.extra ?? {}) as Record<string, unknown>);
  return {
    id: row.id,
    venue: row.venue,
    market: row.market,
    asset: row.asset,
    quote: row.quote,
    side: row.side,
    time: row.time,
    size: row.size,
    sizeUsd: row.size_usd,
    price: row.price,
    markPrice: row.mark_price,
    oraclePrice: row.oracle_price,
    collateralToken: row.collateral_token,
    collateralAsset: row.collateral_asset,
    collateralAmount: row.collateral_amount,
    collateralUsd: row.collateral_usd,
    pnlUsd: row.pnl_usd,
    feeUsd: row.fee_usd,
    badDebtUsd: row.bad_debt_usd,
    flags: row.flags ?? [],
    extra,
  };
}
