import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StageInputs } from './stages.ts';
import { ACCOUNT_KEY, KEPT_TABLE } from './aggregates.ts';
import { EVENTS_TABLE } from './cluster.ts';

/** A position (market and side, an unknown side its own) as one text key, as ACCOUNT_KEY is an account. */
const POSITION_KEY = sql`(e.market || chr(31) || coalesce(e.side, ''))`;

/** What the description of one kept cascade reads from its events (describe.ts). */
export interface ClusterFacts {
  /** Its liquidations in the first bucket (the trigger's), and the asset of its very first one. */
  first: { count: number; usd: number; venues: string[]; assets: string[]; firstMs: number; firstAsset: string | null };
  /** Liquidated notional per asset (assets named by the rows). */
  liquidatedByAsset: Map<string, number>;
  /** Accounts with two or more positions liquidated in it, largest notional first. */
  crossMargin: { venue: string; account: string; positions: number; usd: number | null; firstMs: number; lastMs: number }[];
  adl: StageInputs['adl'];
  /** Liquidated notional per unix second (seconds without a liquidation absent). */
  liquidatedUsdBySecond: { second: number; usd: number }[];
  /** Liquidation fills from the Hawkes lookback before its first event to its last (history and window). */
  hawkesFills: number;
}

/**
 * The facts of every kept cascade, in one set-based query per kind over the run's events and kept
 * tables, rather than six queries per cascade: the queries of a cascade's description queue on the run's
 * connection behind the oracle step's inserts (the steps run at once), so their number, not their size,
 * set the cascades step's time (on the analyze bench data, 2,674 queries for 382 cascades).
 */
export async function loadClusterFacts(trx: Transaction<Database>, bucketSeconds: number, hawkesLookbackSeconds: number): Promise<Map<number, ClusterFacts>> {
  const ev = sql.table(EVENTS_TABLE);
  const kept = sql.table(KEPT_TABLE);
  const facts = new Map<number, ClusterFacts>();

  const { rows: firsts } = await sql<{ cluster: number; first: Date; count: number; usd: number | null; venues: string[]; assets: string[] | null; first_asset: string | null }>`
    with l as (
      select e.cluster, e.time, e.id, e.venue, e.asset, e.usd, min(e.time) over (partition by e.cluster) as first
        from ${ev} e join ${kept} k on k.cluster = e.cluster where e.kind = 'L'
    )
    select cluster, min(first) as first, count(*)::integer as count, sum(usd)::float8 as usd,
           array_agg(distinct venue order by venue) as venues,
           array_agg(distinct asset order by asset) filter (where asset is not null) as assets,
           (array_agg(asset order by time, id))[1] as first_asset
      from l where time < first + make_interval(secs => ${bucketSeconds})
     group by cluster`.execute(trx);
  for (const r of firsts) {
    facts.set(r.cluster, {
      first: { count: r.count, usd: r.usd ?? 0, venues: r.venues, assets: r.assets ?? [], firstMs: r.first.getTime(), firstAsset: r.first_asset },
      liquidatedByAsset: new Map(),
      crossMargin: [],
      adl: null,
      liquidatedUsdBySecond: [],
      hawkesFills: 0,
    });
  }
  const of = (cluster: number) => {
    const f = facts.get(cluster);
    // every kept cluster has a liquidation (minLiquidations >= 1), so the first query named it
    if (!f) throw new Error(`cascade facts: cluster ${cluster} has no liquidation`);
    return f;
  };

  const { rows: byAsset } = await sql<{ cluster: number; asset: string; usd: number }>`
    select e.cluster, e.asset, coalesce(sum(e.usd), 0)::float8 as usd
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     where e.kind = 'L' and e.asset is not null group by e.cluster, e.asset`.execute(trx);
  for (const r of byAsset) of(r.cluster).liquidatedByAsset.set(r.asset, r.usd);

  const { rows: cross } = await sql<{ cluster: number; venue: string; account: string; positions: number; usd: number | null; first: Date; last: Date }>`
    select e.cluster, e.venue, e.account, count(distinct ${POSITION_KEY})::integer as positions, sum(e.usd)::float8 as usd,
           min(e.time) as first, max(e.time) as last
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     where e.kind = 'L'
     group by e.cluster, e.venue, e.account having count(distinct ${POSITION_KEY}) >= 2
     order by e.cluster, sum(e.usd) desc nulls last, e.venue, e.account`.execute(trx);
  for (const r of cross) of(r.cluster).crossMargin.push({ venue: r.venue, account: r.account, positions: r.positions, usd: r.usd, firstMs: r.first.getTime(), lastMs: r.last.getTime() });

  const { rows: adl } = await sql<{ cluster: number; fills: number; usd: number | null; accounts: number; venues: string[]; first: Date; last: Date }>`
    select e.cluster, count(*)::integer as fills, sum(e.usd)::float8 as usd,
           count(distinct ${ACCOUNT_KEY})::integer as accounts,
           array_agg(distinct e.venue order by e.venue) as venues, min(e.time) as first, max(e.time) as last
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     where e.kind = 'A' group by e.cluster`.execute(trx);
  for (const r of adl) of(r.cluster).adl = { fills: r.fills, usd: r.usd ?? 0, accounts: r.accounts, venues: r.venues, firstMs: r.first.getTime(), lastMs: r.last.getTime() };

  const { rows: perSecond } = await sql<{ cluster: number; second: string; usd: number | null }>`
    select e.cluster, floor(extract(epoch from e.time))::bigint as second, sum(e.usd)::float8 as usd
      from ${ev} e join ${kept} k on k.cluster = e.cluster
     where e.kind = 'L' group by 1, 2`.execute(trx);
  for (const r of perSecond) of(r.cluster).liquidatedUsdBySecond.push({ second: Number(r.second), usd: r.usd ?? 0 });

  // The Hawkes window reaches back across earlier clusters: counted by time, on the events' time index.
  const { rows: hawkes } = await sql<{ cluster: number; n: number }>`
    select k.cluster, (select count(*) from ${ev} h
                        where h.kind = 'L' and h.time >= c.start - make_interval(secs => ${hawkesLookbackSeconds}) and h.time <= c.end)::integer as n
      from ${kept} k
      join lateral (select min(time) as start, max(time) as end from ${ev} e where e.cluster = k.cluster) c on true`.execute(trx);
  for (const r of hawkes) of(r.cluster).hawkesFills = r.n;
  return facts;
}
