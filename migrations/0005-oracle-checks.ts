import { sql, type Kysely } from 'kysely';

/**
 * Oracle-driven liquidation errors (issue 14), written by the `oracle` step of `liqscope analyze`
 * (src/analytics/oracle). Each table holds one run's results for the time range it analysed; re-running
 * a range replaces them (the step deletes by time range, venue and asset, then inserts, in the run's
 * transaction). Derived figures are floats (`double precision`) or NUMERIC rounded to the micro-dollar;
 * the exact inputs stay in the canonical tables.
 *
 * - `liquidation_oracle_checks`: one row per liquidation: the venue's price that triggered it and its
 *   staleness, the reference price (method, sources, age), their deviation, the position's equity and
 *   maintenance at both prices (from the venue's margin rules), the verdict and the dollars lost.
 * - `oracle_feed_health`: one row per update of a feed whose update rule is known: heartbeat- or
 *   deviation-triggered, the gap since the previous update, its move, whether the heartbeat was missed.
 * - `oracle_episodes`: stale windows (gaps past a feed's heartbeat) and deviation episodes (a venue's price
 *   away from the reference), with their peak and the liquidations inside.
 * - Views: `oracle_erroneous_liquidations`, `oracle_error_losses` (per venue, asset and episode),
 *   `oracle_feed_summary` (per feed: shares of each trigger, longest gap).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);

  await run(`create table liquidation_oracle_checks (
    liquidation_id bigint primary key references liquidations (id) on delete cascade,
    run_id text not null,
    venue text not null,
    market text not null,
    asset text,
    quote text,
    side text,
    time timestamptz(3) not null,
    venue_price numeric,
    venue_price_kind text check (venue_price_kind in ('oracle', 'mark', 'index')),
    venue_price_time timestamptz(3),
    venue_price_staleness_s double precision,
    venue_heartbeat_s double precision,
    venue_price_stale boolean,
    reference_price numeric,
    reference_method text,
    reference_sources jsonb not null default '[]',
    reference_source_count integer not null default 0,
    reference_age_s double precision,
    reference_dispersion_pct double precision,
    reference_after_price numeric,
    reference_after_delay_s double precision,
    deviation_bps double precision,
    equity_at_reference_usd numeric,
    maintenance_at_reference_usd numeric,
    equity_at_venue_price_usd numeric,
    maintenance_at_venue_price_usd numeric,
    threshold_price numeric,
    distance_to_threshold_pct double precision,
    distance_after_pct double precision,
    tolerance_pct double precision not null,
    verdict text not null check (verdict in ('erroneous', 'borderline', 'justified', 'unknown')),
    reason text,
    detail text,
    kept_usd numeric,
    dollars_lost_usd numeric,
    episode_id text,
    notes text[] not null default '{}',
    params jsonb not null default '{}'
  )`);
  await run(`create index liquidation_oracle_checks_time on liquidation_oracle_checks (time)`);
  await run(`create index liquidation_oracle_checks_verdict on liquidation_oracle_checks (verdict, venue, asset)`);
  await run(`create index liquidation_oracle_checks_run on liquidation_oracle_checks (run_id)`);

  await run(`create table oracle_feed_health (
    oracle_price_id bigint primary key references oracle_prices (id) on delete cascade,
    run_id text not null,
    venue text not null,
    market text not null,
    asset text,
    time timestamptz(3) not null,
    price numeric not null,
    previous_time timestamptz(3),
    gap_s double precision,
    move_pct double precision,
    delay_s double precision,
    heartbeat_s double precision not null,
    deviation_pct double precision not null,
    trigger text check (trigger in ('heartbeat', 'deviation')),
    deviation_met boolean,
    late boolean
  )`);
  await run(`create index oracle_feed_health_feed_time on oracle_feed_health (venue, market, time)`);
  await run(`create index oracle_feed_health_time on oracle_feed_health (time)`);

  await run(`create table oracle_episodes (
    id text primary key,
    run_id text not null,
    kind text not null check (kind in ('deviation', 'stale')),
    cause text not null,
    venue text not null,
    market text not null,
    asset text,
    quote text,
    liquidation_venue text not null,
    start_time timestamptz(3) not null,
    end_time timestamptz(3),
    duration_s double precision,
    last_update_time timestamptz(3),
    peak_deviation_pct double precision,
    peak_time timestamptz(3),
    peak_venue_price numeric,
    peak_reference_price numeric,
    threshold_pct double precision,
    heartbeat_s double precision,
    evaluations integer not null default 0,
    liquidations_inside integer not null default 0,
    params jsonb not null default '{}',
    unique (venue, market, kind, start_time)
  )`);
  await run(`create index oracle_episodes_asset_time on oracle_episodes (asset, start_time)`);

  await run(`create view oracle_erroneous_liquidations as
    select c.liquidation_id, c.time, c.venue, c.market, c.asset, c.side, l.account, l.size_usd, l.collateral_usd,
           c.venue_price, c.venue_price_kind, c.reference_price, c.deviation_bps, c.distance_to_threshold_pct,
           c.equity_at_reference_usd, c.maintenance_at_reference_usd, c.kept_usd, c.dollars_lost_usd,
           c.episode_id, e.kind as episode_kind, e.cause as episode_cause, e.start_time as episode_start, e.end_time as episode_end,
           l.tx_hash, c.run_id
    from liquidation_oracle_checks c
    join liquidations l on l.id = c.liquidation_id
    left join oracle_episodes e on e.id = c.episode_id
    where c.verdict = 'erroneous'`);
  await run(`create view oracle_error_losses as
    select c.venue, c.asset, c.episode_id, e.start_time as episode_start, e.end_time as episode_end,
           count(*) as liquidations,
           count(*) filter (where c.verdict = 'erroneous') as erroneous,
           count(*) filter (where c.verdict = 'borderline') as borderline,
           count(*) filter (where c.verdict = 'justified') as justified,
           count(*) filter (where c.verdict = 'unknown') as unknown,
           coalesce(sum(c.dollars_lost_usd) filter (where c.verdict = 'erroneous'), 0) as dollars_lost_usd
    from liquidation_oracle_checks c
    left join oracle_episodes e on e.id = c.episode_id
    group by c.venue, c.asset, c.episode_id, e.start_time, e.end_time`);
  await run(`create view oracle_feed_summary as
    select venue, market, asset, min(heartbeat_s) as heartbeat_s, min(deviation_pct) as deviation_pct,
           count(*) as updates,
           count(trigger) as classified,
           count(*) filter (where trigger = 'heartbeat') as heartbeat_updates,
           count(*) filter (where trigger = 'deviation') as deviation_updates,
           count(*) filter (where trigger = 'heartbeat')::float8 / nullif(count(trigger), 0) as heartbeat_share,
           count(*) filter (where trigger = 'deviation')::float8 / nullif(count(trigger), 0) as deviation_share,
           count(*) filter (where trigger = 'deviation' and not deviation_met) as deviation_below_threshold,
           count(*) filter (where late) as late_updates,
           max(gap_s) as longest_gap_s,
           min(time) as first_update, max(time) as last_update
    from oracle_feed_health
    group by venue, market, asset`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`drop view if exists oracle_feed_summary`);
  await run(`drop view if exists oracle_error_losses`);
  await run(`drop view if exists oracle_erroneous_liquidations`);
  await run(`drop table if exists oracle_episodes`);
  await run(`drop table if exists oracle_feed_health`);
  await run(`drop table if exists liquidation_oracle_checks`);
}
