import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { AnalysisScope } from '../step.ts';
import { scopeFilter } from '../scope.ts';

/**
 * Time-gap clustering of liquidations and ADL fills across venues and assets, in SQL: the events never
 * become JavaScript objects (a million liquidations are a temp table and one sorted window pass). A new
 * cluster starts after a gap longer than `gapMs` between consecutive events, ordered by (time, kind, id)
 * so that ties are cut the same way on every run.
 */
export const EVENTS_TABLE = 'analysis_cascade_events';

/**
 * Copies the scope's liquidations ('L') and ADL fills ('A') into a temp table (dropped at commit) with
 * the gap to the previous event, the clusters of the default gap (`cluster`) and those of the sweep's
 * smallest gap (`base`: the sweep merges them, see gapSweep).
 */
export async function createClusteredEvents(trx: Transaction<Database>, scope: AnalysisScope, gapMs: number, baseGapMs: number): Promise<number> {
  const range = sql`time >= ${scope.from} and time < ${scope.to}`;
  const filter = scopeFilter(scope.venues, scope.assets);
  await sql`drop table if exists ${sql.table(EVENTS_TABLE)}`.execute(trx);
  // The gap to the previous event (lag), then the clusters of the default and the smallest gap: running
  // counts of the gaps longer than each, over the same order (one sort). All in one statement: no
  // UPDATE of a million rows after.
  await sql`create temp table ${sql.table(EVENTS_TABLE)} on commit drop as
    select g.*,
           sum(case when gap_ms is null or gap_ms > ${gapMs} then 1 else 0 end) over w::integer as cluster,
           sum(case when gap_ms is null or gap_ms > ${baseGapMs} then 1 else 0 end) over w::integer as base
      from (
        select kind, id, venue, market, asset, side, time, account, counterparty, usd,
               extract(epoch from time - lag(time) over (order by time, kind, id)) * 1000 as gap_ms
          from (
            select 'L'::char(1) as kind, id, venue, market, asset, side, time, account, null::text as counterparty, size_usd as usd
              from liquidations where ${range} and ${filter}
            union all
            select 'A', id, venue, market, asset, side, time, account, counterparty, size_usd
              from adl_events where ${range} and ${filter}
          ) e
      ) g
    window w as (order by time, kind, id rows unbounded preceding)`.execute(trx);
  await sql`create index on ${sql.table(EVENTS_TABLE)} (cluster)`.execute(trx);
  // The Hawkes fit reads each cascade's lookback by time, across clusters.
  await sql`create index on ${sql.table(EVENTS_TABLE)} (time)`.execute(trx);
  await sql`analyze ${sql.table(EVENTS_TABLE)}`.execute(trx);
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(EVENTS_TABLE)}`.execute(trx);
  return Number(rows[0]!.n);
}

export interface ClusterSummary {
  cluster: number;
  startMs: number;
  endMs: number;
  liquidations: number;
  liquidatedUsd: number;
  adlFills: number;
  /** Assets of its liquidations and ADL fills (sorted). */
  assets: string[];
  /** Per asset: liquidated notional of long and short positions (for the adverse direction). */
  sides: Record<string, { long: number; short: number }>;
}

/** Clusters that pass the count and notional tests (the price test needs the reference prices). */
export async function candidateClusters(trx: Transaction<Database>, minLiquidations: number, minNotionalUsd: number): Promise<ClusterSummary[]> {
  const { rows } = await sql<{ cluster: number; start: Date; end: Date; liquidations: number; usd: number | null; adl: number; assets: string[]; sides: Record<string, { long: number; short: number }> | null }>`
    with c as (
      select cluster, min(time) as start, max(time) as "end",
             count(*) filter (where kind = 'L')::integer as liquidations,
             sum(usd) filter (where kind = 'L')::float8 as usd,
             count(*) filter (where kind = 'A')::integer as adl
        from ${sql.table(EVENTS_TABLE)} group by cluster
    )
    select p.*,
           (select array_agg(distinct asset order by asset) from ${sql.table(EVENTS_TABLE)} e where e.cluster = p.cluster and asset is not null) as assets,
           (select jsonb_object_agg(asset, jsonb_build_object('long', l, 'short', s)) from (
              select asset, coalesce(sum(usd) filter (where side = 'long'), 0)::float8 as l, coalesce(sum(usd) filter (where side = 'short'), 0)::float8 as s
                from ${sql.table(EVENTS_TABLE)} e where e.cluster = p.cluster and kind = 'L' and asset is not null group by asset) x) as sides
      from c p
     where p.liquidations >= ${minLiquidations} and coalesce(p.usd, 0) >= ${minNotionalUsd}
     order by p.cluster`.execute(trx);
  return rows.map((r) => ({
    cluster: r.cluster,
    startMs: r.start.getTime(),
    endMs: r.end.getTime(),
    liquidations: r.liquidations,
    liquidatedUsd: r.usd ?? 0,
    adlFills: r.adl,
    assets: r.assets ?? [],
    sides: r.sides ?? {},
  }));
}

export interface GapSweepRow {
  gapMs: number;
  clusters: number;
  singletons: number;
  /** Clusters passing the count and notional tests (the price test is not swept: it needs prices per cluster). */
  cascades: number;
  liquidationsInCascades: number;
  shareInCascades: number | null;
  medianLiquidations: number | null;
  maxLiquidations: number | null;
  longestSeconds: number | null;
}

const BASE_TABLE = 'analysis_cascade_base';

/**
 * The clustering redone for every gap (each at least the base gap the events table was built with).
 * Clusters at a gap g are unions of consecutive base clusters: two merge exactly when the gap between
 * them — the first gap of the later one, the only gap in it longer than the base gap — is at most g.
 * So the events are read once, into one row per base cluster, and each gap is a window pass over those.
 */
export async function gapSweep(trx: Transaction<Database>, gapsMs: readonly number[], minLiquidations: number, minNotionalUsd: number): Promise<GapSweepRow[]> {
  const out: GapSweepRow[] = [];
  const { rows: totals } = await sql<{ n: number }>`select count(*) filter (where kind = 'L')::integer as n from ${sql.table(EVENTS_TABLE)}`.execute(trx);
  const totalLiquidations = totals[0]?.n ?? 0;
  await sql`drop table if exists ${sql.table(BASE_TABLE)}`.execute(trx);
  await sql`create temp table ${sql.table(BASE_TABLE)} on commit drop as
    select base, min(time) as start, max(time) as "end", count(*) as events,
           count(*) filter (where kind = 'L') as liqs, coalesce(sum(usd) filter (where kind = 'L'), 0) as usd,
           case when bool_or(gap_ms is null) then null else max(gap_ms) end as gap_before
      from ${sql.table(EVENTS_TABLE)} group by base`.execute(trx);
  for (const gapMs of [...new Set(gapsMs)].sort((a, b) => a - b)) {
    const { rows } = await sql<{ clusters: number; singletons: number; cascades: number; in_cascades: number | null; median: number | null; max: number | null; longest: number | null }>`
      with c as (
        select sum(events) as events, sum(liqs) as liqs, sum(usd) as usd, extract(epoch from max("end") - min(start)) as seconds
          from (select *, sum(case when gap_before is null or gap_before > ${gapMs} then 1 else 0 end) over (order by base rows unbounded preceding) as c
                  from ${sql.table(BASE_TABLE)}) b
         group by c
      )
      select count(*)::integer as clusters,
             count(*) filter (where events = 1)::integer as singletons,
             count(*) filter (where liqs >= ${minLiquidations} and usd >= ${minNotionalUsd})::integer as cascades,
             sum(liqs) filter (where liqs >= ${minLiquidations} and usd >= ${minNotionalUsd})::integer as in_cascades,
             percentile_cont(0.5) within group (order by liqs) filter (where liqs >= ${minLiquidations} and usd >= ${minNotionalUsd}) as median,
             max(liqs) filter (where liqs >= ${minLiquidations} and usd >= ${minNotionalUsd})::integer as max,
             max(seconds) filter (where liqs >= ${minLiquidations} and usd >= ${minNotionalUsd})::float8 as longest
        from c`.execute(trx);
    const r = rows[0]!;
    out.push({
      gapMs,
      clusters: r.clusters,
      singletons: r.singletons,
      cascades: r.cascades,
      liquidationsInCascades: r.in_cascades ?? 0,
      shareInCascades: totalLiquidations > 0 ? (r.in_cascades ?? 0) / totalLiquidations : null,
      medianLiquidations: r.median === null ? null : Number(r.median),
      maxLiquidations: r.max,
      longestSeconds: r.longest,
    });
  }
  return out;
}
