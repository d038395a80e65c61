import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { AdlParams } from '../params.ts';
import { scopeFilter } from '../scope.ts';
import type { AnalysisScope } from '../step.ts';

/** The run's ADL fills, one row each, with their mark, ranking rule and wave (a temp table, dropped at commit). */
export const WAVE_FILLS = sql.table('analysis_adl_fills');

/**
 * Fills the temp table of the analysed ADL fills:
 * - `mark`: the fill's own mark (Hyperliquid: its liquidation record's markPx; GMX: the index price
 *   the decrease used), else the venue's own oracle price of the asset at or before the fill and no
 *   older than `oracleMarkMaxAgeSeconds`; `mark_source` says which ('row', 'oracle', null);
 * - `gap_ms`: milliseconds since the venue's previous ADL fill (null for its first);
 * - `wave`: per venue, a new wave after a gap longer than `gapMs`; `wave_id` names it by its venue
 *   and first fill (and the scope when the run was limited), which is the `adl_waves` key;
 * - `ranking`: the venue's documented ranking rule from the parameters, null when it has none.
 * Returns the number of fills.
 */
export async function createWaveFills(trx: Transaction<Database>, scope: AnalysisScope, scopeKey: string, params: AdlParams): Promise<number> {
  const rankings = Object.entries(params.rankings);
  const rankingOf = rankings.length === 0 ? sql`null::text` : sql`case ${sql.join(rankings.map(([venue, rule]) => sql`when a.venue = ${venue} then ${rule}`), sql` `)} end`;
  const suffix = scopeKey === 'all' ? sql`''` : sql`${`@${scopeKey}`}::text`;

  await sql`drop table if exists ${WAVE_FILLS}`.execute(trx);
  await sql`create temp table ${WAVE_FILLS} on commit drop as
    with marked as (
      select a.id, a.venue, a.asset, a.side, a.time, a.account, a.counterparty, a.size, a.price, a.size_usd, a.pnl_usd,
             a.block_number, a.log_index,
             coalesce(a.mark_price, o.price) as mark,
             case when a.mark_price is not null then 'row' when o.price is not null then 'oracle' end as mark_source,
             ${rankingOf} as ranking,
             (extract(epoch from a.time - lag(a.time) over (partition by a.venue order by a.time, a.id)) * 1000)::bigint as gap_ms
        from adl_events a
        left join lateral (
          select p.price from oracle_prices p
           where a.mark_price is null and p.venue = a.venue and p.asset = a.asset
             and p.time <= a.time and p.time >= a.time - make_interval(secs => ${params.oracleMarkMaxAgeSeconds})
           order by p.time desc limit 1
        ) o on true
       where a.time >= ${scope.from} and a.time < ${scope.to} and ${scopeFilter(scope.venues, scope.assets, 'a')}
    ), numbered as (
      select *, sum(case when gap_ms is null or gap_ms > ${params.gapMs} then 1 else 0 end)
                  over (partition by venue order by time, id rows unbounded preceding)::integer as wave
        from marked
    )
    select *, 'W-' || venue || '-' || to_char(min(time) over (partition by venue, wave) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ${suffix} as wave_id
      from numbered`.execute(trx);
  const { rows } = await sql<{ n: number }>`select count(*)::integer as n from ${WAVE_FILLS}`.execute(trx);
  return rows[0]?.n ?? 0;
}
