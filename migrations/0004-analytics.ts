import { sql, type Kysely } from 'kysely';

/**
 * Cascade analytics (issue 13): what `liqscope analyze` writes, read by analysts and reports
 * (docs/analytics.md explains the methods, docs/schema.md every column).
 *
 * - `analysis_runs`: one row per run (range, venues, assets, parameters, input coverage, each step's
 *   figures). A run is one transaction: a failed run leaves no row and changes no result.
 * - Results carry the run that wrote them and its `scope` ('all', or the venues/assets it was limited
 *   to). Re-running a range replaces the results of the same scope that overlap it.
 * - `cascades` (+ `cascade_assets`, `cascade_members`, `cascade_adl_members`, `cascade_stages`),
 *   `adl_waves`, and the gap sweeps of both clusterings.
 * - `account_equity`: account equity snapshots where a venue publishes them (none of the current
 *   sources does): the losers' deficit of an ADL wave needs them, and is NULL without.
 * - Views over liquidations and ADL across venues, per event, second and minute.
 *
 * Member tables reference fact rows by their surrogate `id`, without a foreign key: `redecode` rebuilds
 * facts with new ids, after which analysis must be run again (docs/analytics.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);

  await run(`create table analysis_runs (
    id bigint generated always as identity primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    range_from timestamptz(3) not null,
    range_to timestamptz(3) not null,
    venues text[] not null default '{}',
    assets text[] not null default '{}',
    scope text not null,
    params jsonb not null,
    coverage jsonb not null default '{}',
    steps jsonb not null default '{}'
  )`);
  await run(`create index analysis_runs_scope_range on analysis_runs (scope, range_from, range_to)`);

  await run(`create table cascades (
    cascade_id text primary key,
    run_id bigint not null references analysis_runs (id),
    scope text not null,
    params jsonb not null,
    start_time timestamptz(3) not null,
    end_time timestamptz(3) not null,
    duration_seconds double precision not null,
    venues text[] not null,
    assets text[] not null,
    liquidations integer not null,
    liquidations_long integer not null,
    liquidations_short integer not null,
    liquidated_usd numeric,
    liquidated_long_usd numeric,
    liquidated_short_usd numeric,
    accounts integer not null,
    cross_margin_accounts integer not null,
    adl_fills integer not null,
    adl_usd numeric,
    adl_long_usd numeric,
    adl_short_usd numeric,
    adl_accounts integer not null,
    first_liquidation timestamptz(3),
    first_adl timestamptz(3),
    adl_delay_seconds double precision,
    adl_share double precision,
    peak_second timestamptz(3),
    peak_second_usd numeric,
    peak_minute timestamptz(3),
    peak_minute_usd numeric,
    price_reference text,
    price_move_pct double precision,
    max_drawdown_pct double precision,
    max_drawdown_asset text,
    impact_pct_per_musd double precision,
    depth_asset text,
    kyle_lambda_before double precision,
    kyle_lambda_during double precision,
    amihud_before double precision,
    amihud_during double precision,
    hawkes_status text,
    hawkes_tie_rule text,
    hawkes_events integer,
    hawkes_mu double precision,
    hawkes_alpha double precision,
    hawkes_beta double precision,
    hawkes_n double precision,
    hawkes_log_likelihood double precision,
    hawkes_ks_p double precision,
    hawkes_n_min double precision,
    hawkes_n_max double precision,
    hawkes_self_excited_share double precision,
    hawkes_note text,
    flags text[] not null default '{}',
    notes jsonb not null default '{}',
    created_at timestamptz not null default now()
  )`);
  await run(`create index cascades_scope_time on cascades (scope, start_time, end_time)`);
  await run(`create index cascades_run on cascades (run_id)`);

  await run(`create table cascade_assets (
    cascade_id text not null references cascades (cascade_id) on delete cascade,
    asset text not null,
    liquidations integer not null,
    liquidated_usd numeric,
    liquidated_long_usd numeric,
    liquidated_short_usd numeric,
    adl_fills integer not null,
    adl_usd numeric,
    price_sources text[] not null default '{}',
    price_before double precision,
    price_low double precision,
    price_low_time timestamptz(3),
    price_high double precision,
    price_high_time timestamptz(3),
    drawdown_pct double precision,
    runup_pct double precision,
    move_pct double precision,
    recovered_pct double precision,
    recovered_half_at timestamptz(3),
    price_after double precision,
    impact_pct_per_musd double precision,
    kyle_lambda_before double precision,
    kyle_lambda_during double precision,
    amihud_before double precision,
    amihud_during double precision,
    roll_spread_bps_before double precision,
    roll_spread_bps_during double precision,
    trades_per_minute_before double precision,
    trades_per_minute_during double precision,
    volume_usd_per_minute_before double precision,
    volume_usd_per_minute_during double precision,
    primary key (cascade_id, asset)
  )`);

  await run(`create table cascade_members (
    cascade_id text not null references cascades (cascade_id) on delete cascade,
    liquidation_id bigint not null,
    primary key (cascade_id, liquidation_id)
  )`);
  await run(`create index cascade_members_liquidation on cascade_members (liquidation_id)`);
  await run(`create table cascade_adl_members (
    cascade_id text not null references cascades (cascade_id) on delete cascade,
    adl_event_id bigint not null,
    primary key (cascade_id, adl_event_id)
  )`);
  await run(`create index cascade_adl_members_adl on cascade_adl_members (adl_event_id)`);

  await run(`create table cascade_stages (
    cascade_id text not null references cascades (cascade_id) on delete cascade,
    stage text not null check (stage in ('trigger', 'price_move', 'liquidity_withdrawal', 'liquidity_void', 'cross_margin_failure', 'adl', 'exhaustion', 'recovery')),
    start_time timestamptz(3) not null,
    end_time timestamptz(3) not null,
    evidence jsonb not null,
    primary key (cascade_id, stage)
  )`);

  await run(`create table adl_waves (
    wave_id text primary key,
    run_id bigint not null references analysis_runs (id),
    scope text not null,
    params jsonb not null,
    venue text not null,
    cascade_id text,
    start_time timestamptz(3) not null,
    end_time timestamptz(3) not null,
    fills integer not null,
    accounts integer not null,
    liquidated_accounts integer not null,
    assets text[] not null,
    notional_usd numeric,
    long_usd numeric,
    short_usd numeric,
    needed_budget_usd numeric,
    budget_fills integer not null,
    realised_pnl_usd numeric,
    losers_deficit_usd numeric,
    haircut_usd numeric,
    overshoot_usd numeric,
    ranking_key text,
    ranking_spearman double precision,
    ranking_batches integer not null default 0,
    ranking_fills integer not null default 0,
    evidence jsonb not null default '{}'
  )`);
  await run(`create index adl_waves_scope_time on adl_waves (scope, venue, start_time, end_time)`);
  await run(`create index adl_waves_cascade on adl_waves (cascade_id)`);

  await run(`create table cascade_gap_sweep (
    run_id bigint not null references analysis_runs (id) on delete cascade,
    gap_ms integer not null,
    clusters integer not null,
    singletons integer not null,
    cascades integer not null,
    liquidations_in_cascades integer not null,
    share_in_cascades double precision,
    median_liquidations double precision,
    max_liquidations integer,
    longest_seconds double precision,
    is_default boolean not null,
    primary key (run_id, gap_ms)
  )`);
  await run(`create table adl_gap_sweep (
    run_id bigint not null references analysis_runs (id) on delete cascade,
    venue text not null,
    gap_ms integer not null,
    waves integer not null,
    median_fills double precision,
    max_fills integer,
    median_seconds double precision,
    is_default boolean not null,
    primary key (run_id, venue, gap_ms)
  )`);

  await run(`create table account_equity (
    venue text not null,
    account text not null,
    time timestamptz(3) not null,
    equity_usd numeric not null,
    source_id text,
    primary key (venue, account, time)
  )`);

  // Views. The cascade of a fact is the one of the unrestricted analysis (scope 'all'): a venue- or
  // asset-limited run would otherwise list the same liquidation twice.
  await run(`create view liquidation_events as
    select 'liquidation'::text as kind, l.id, l.venue, l.chain, l.market, l.asset, l.side, l.time, l.account,
           null::text as counterparty, l.size, l.price, l.mark_price, l.size_usd as usd, l.pnl_usd, cm.cascade_id
      from liquidations l
      left join (cascade_members cm join cascades c on c.cascade_id = cm.cascade_id and c.scope = 'all')
        on cm.liquidation_id = l.id
    union all
    select 'adl'::text, a.id, a.venue, a.chain, a.market, a.asset, a.side, a.time, a.account,
           a.counterparty, a.size, a.price, a.mark_price, a.size_usd, a.pnl_usd, cm.cascade_id
      from adl_events a
      left join (cascade_adl_members cm join cascades c on c.cascade_id = cm.cascade_id and c.scope = 'all')
        on cm.adl_event_id = a.id`);
  // Per cascade and venue: what each venue contributed (counts, notional by side, first fills).
  await run(`create view cascade_venues as
    select m.cascade_id, l.venue, 'liquidation'::text as kind, count(*) as fills, count(distinct l.account) as accounts,
           sum(l.size_usd) as usd, coalesce(sum(l.size_usd) filter (where l.side = 'long'), 0) as long_usd,
           coalesce(sum(l.size_usd) filter (where l.side = 'short'), 0) as short_usd, min(l.time) as first_time, max(l.time) as last_time
      from cascade_members m join liquidations l on l.id = m.liquidation_id
     group by m.cascade_id, l.venue
    union all
    select m.cascade_id, a.venue, 'adl', count(*), count(distinct a.account), sum(a.size_usd),
           coalesce(sum(a.size_usd) filter (where a.side = 'long'), 0), coalesce(sum(a.size_usd) filter (where a.side = 'short'), 0),
           min(a.time), max(a.time)
      from cascade_adl_members m join adl_events a on a.id = m.adl_event_id
     group by m.cascade_id, a.venue`);
  for (const [name, unit] of [['liquidations_per_second', 'second'], ['liquidations_per_minute', 'minute']] as const) {
    await run(`create view ${name} as
      select date_trunc('${unit}', time) as ${unit}, venue, asset, side, kind,
             count(*) as events, sum(usd) as usd, count(distinct account) as accounts,
             min(cascade_id) as cascade_id
        from liquidation_events
       group by 1, 2, 3, 4, 5`);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`drop view if exists liquidations_per_minute`);
  await run(`drop view if exists liquidations_per_second`);
  await run(`drop view if exists liquidation_events`);
  await run(`drop view if exists cascade_venues`);
  for (const table of ['account_equity', 'adl_gap_sweep', 'cascade_gap_sweep', 'adl_waves', 'cascade_stages', 'cascade_adl_members', 'cascade_members', 'cascade_assets', 'cascades', 'analysis_runs']) {
    await run(`drop table if exists ${table}`);
  }
}
