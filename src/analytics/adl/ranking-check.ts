import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { WAVE_FILLS } from './wave-fills.ts';

/**
 * Whether a venue picked accounts in its documented order: Spearman's ρ between the order of the
 * fills (block, log index, then storage order: the order the venue emitted them) and the rank of the
 * venue's ranking score, within each batch (one liquidated position's fills: same venue, time, asset,
 * side and liquidated account) of at least three fills; per wave, the fills-weighted mean over its
 * batches. +1: exactly the documented order, 0: unrelated, −1: reversed. Tied scores share their mean
 * rank. Scores:
 * - 'pnl_usd' (GMX: most profitable first): the fill's realised PnL;
 * - 'profit_pct' (Hyperliquid ranks by profit × leverage; leverage is not in the data): the position's
 *   profit at the mark relative to its entry, the entry recovered from the fill as exec − pnl/q (long)
 *   or exec + pnl/q (short): mark/entry − 1, or entry/mark − 1.
 */
export async function writeRankingCheck(trx: Transaction<Database>, runId: string): Promise<void> {
  // The per-wave rows are MATERIALIZED, computed once. Inlined, the planner, which estimates this run's
  // waves at one row (a new run_id lies past the column's statistics), joined them in a nested loop that
  // re-ran the whole aggregation over the run's fills once per wave: on the analyze bench's 1,243 waves,
  // \`--step adl\` with the statistics of an earlier run took 254 s, and 1.4 s with this.
  await sql`with scored as (
      select wave_id, venue, time, asset, side, coalesce(counterparty, '') as batch_account, id, block_number, log_index,
             case ranking
               when 'pnl_usd' then pnl_usd::float8
               when 'profit_pct' then case
                 when size is null or size = 0 or pnl_usd is null or price is null or coalesce(mark, price) <= 0 then null
                 when side = 'long' and price - pnl_usd / size > 0 then (coalesce(mark, price) / (price - pnl_usd / size) - 1)::float8
                 when side = 'short' then ((price + pnl_usd / size) / coalesce(mark, price) - 1)::float8
               end
             end as score
        from ${WAVE_FILLS} where ranking is not null
    ), batches as (
      select *, count(*) over b as batch_size,
             row_number() over (b order by block_number nulls last, log_index nulls last, id) as pick,
             rank() over (b order by score desc) + (count(*) over (partition by wave_id, time, asset, side, batch_account, score) - 1) / 2.0 as score_rank
        from scored where score is not null
      window b as (partition by wave_id, time, asset, side, batch_account)
    ), rho as (
      select wave_id, corr(pick, score_rank) as rho, count(*) as n
        from batches where batch_size >= 3 group by wave_id, time, asset, side, batch_account
    ), per_wave as materialized (
      select wave_id, sum(rho * n) filter (where rho is not null) / nullif(sum(n) filter (where rho is not null), 0) as rho,
             count(*) filter (where rho is not null) as batches, coalesce(sum(n) filter (where rho is not null), 0) as fills
        from rho group by wave_id
    )
    update adl_waves w set ranking_spearman = p.rho, ranking_batches = p.batches, ranking_fills = p.fills
      from per_wave p
     where w.run_id = ${runId} and w.wave_id = p.wave_id`.execute(trx);
}
