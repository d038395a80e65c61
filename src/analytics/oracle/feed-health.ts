import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { feedRule, type FeedRules } from './feeds.ts';
import type { FeedUpdateRule } from '../../pipeline/feed-rules.ts';

/**
 * Classifies every update of the feeds whose update rule is known (configured or a known feed), in SQL
 * (a million updates never become JS objects). A feed publishes when the price moved its deviation
 * threshold or when its heartbeat passed, and for nothing else, so an update is
 *
 * - `heartbeat` when the heartbeat was due (the gap since the previous update reached the heartbeat less
 *   the grace) and the published price moved less than the threshold;
 * - `deviation` otherwise: the price moved past the threshold, or the update came before the heartbeat
 *   was due, which only the deviation trigger does. The oracle network compares its observations, not the
 *   answer it then publishes, so the published move can be smaller (`deviation_met` false): that share is
 *   reported, not hidden.
 *
 * `late`: the gap exceeded the heartbeat plus the grace, plus a second because on-chain timestamps are
 * whole seconds (a missed heartbeat). The first update a store
 * holds of a feed has no previous update: its trigger is NULL.
 */
export interface FeedHealthScope {
  runId: string;
  from: Date;
  to: Date;
  /** Feeds of these venues only (all when empty). */
  venues: readonly string[];
  assets: readonly string[];
  feeds: FeedRules;
  grace: number;
}

export async function writeFeedHealth(db: Kysely<Database>, scope: FeedHealthScope): Promise<{ feeds: number; updates: number }> {
  const venueFilter = scope.venues.length > 0 ? sql`and venue in (${sql.join(scope.venues)})` : sql``;
  const assetFilter = scope.assets.length > 0 ? sql`and asset in (${sql.join(scope.assets)})` : sql``;
  const { rows: series } = await sql<{ venue: string; market: string; asset: string | null }>`
    select distinct venue, market, asset from oracle_prices
    where time >= ${scope.from} and time < ${scope.to} and not ('raw_price' = any(flags)) ${venueFilter} ${assetFilter}`.execute(db);
  const rules = series
    .map((s) => ({ ...s, rule: feedRule(scope.feeds, s.venue, s.market, s.asset) }))
    .filter((s): s is typeof s & { rule: FeedUpdateRule } => s.rule !== null);
  if (rules.length === 0) return { feeds: 0, updates: 0 };

  const grace = String(scope.grace);
  const values = sql.join(rules.map((r) => sql`(${r.venue}, ${r.market}, ${String(r.rule.heartbeatSeconds)}::numeric, ${String(r.rule.deviationPct)}::numeric)`));
  const result = await sql`
    with feed (venue, market, heartbeat, deviation) as (values ${values}),
    before_range as (
      select f.venue, f.market, q.time, q.price
      from feed f
      cross join lateral (
        select p.time, p.price from oracle_prices p
        where p.venue = f.venue and p.market = f.market and p.time < ${scope.from} and not ('raw_price' = any(p.flags))
        order by p.time desc, p.id desc limit 1
      ) q
    ),
    updates as (
      select p.id, p.venue, p.market, p.asset, p.time, p.block_time, p.price, f.heartbeat, f.deviation,
             lag(p.time) over w as prev_time, lag(p.price) over w as prev_price
      from oracle_prices p
      join feed f on f.venue = p.venue and f.market = p.market
      where p.time >= ${scope.from} and p.time < ${scope.to} and not ('raw_price' = any(p.flags))
      window w as (partition by p.venue, p.market order by p.time, p.id)
    ),
    measured as (
      select u.*, coalesce(u.prev_time, b.time) as previous_time, coalesce(u.prev_price, b.price) as previous_price
      from updates u left join before_range b on b.venue = u.venue and b.market = u.market
    ),
    figures as (
      select m.*,
             -- exact (NUMERIC) so that a move or a gap right at a threshold is classified as the rule says
             extract(epoch from (m.time - m.previous_time)) as gap_s,
             abs(m.price - m.previous_price) * 100 / nullif(m.previous_price, 0) as move_pct
      from measured m
    )
    insert into oracle_feed_health
      (oracle_price_id, run_id, venue, market, asset, time, price, previous_time, gap_s, move_pct, delay_s,
       heartbeat_s, deviation_pct, trigger, deviation_met, late)
    select id, ${scope.runId}, venue, market, asset, time, price, previous_time, gap_s::float8, move_pct::float8,
           case when block_time is null then null else greatest(0, extract(epoch from (block_time - time)))::float8 end,
           heartbeat::float8, deviation::float8,
           case when previous_time is null then null
                when gap_s >= heartbeat * (1 - ${grace}::numeric) and move_pct < deviation then 'heartbeat'
                else 'deviation' end,
           case when previous_time is null then null else move_pct >= deviation end,
           case when previous_time is null then null else gap_s > heartbeat * (1 + ${grace}::numeric) + 1 end
    from figures`.execute(db);
  return { feeds: rules.length, updates: Number(result.numAffectedRows ?? 0n) };
}
