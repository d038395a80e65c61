import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { WAVE_FILLS } from './wave-fills.ts';

/**
 * Per wave, the production haircut at the wave's end and the overshoot = haircut − needed budget
 * (incidents.md, "Methods"; arXiv 2512.01112). The reference computes the haircut by replaying the
 * deleveraged accounts twice on the same price path, with and without the ADL fills, and summing each
 * account's positive equity difference at the evaluation horizon. At horizon 0 (the wave's end) the
 * two passes differ only by the ADL'd quantities: closed at the execution price in one, still held
 * and marked at the end in the other. So, per deleveraged account,
 *   lost = Σ over its fills in the wave of side·q·(mark_end(asset) − exec),  haircut = Σ max(0, lost),
 * with mark_end the last mark of the asset among the wave's fills (latest fill; same time: the later
 * pick). What this leaves out (fees, funding, later horizons, what the winners did next) is in
 * docs/analytics.md. NULL when a fill of the wave lacks a mark, size or price.
 */
export async function writeHaircut(trx: Transaction<Database>, runId: string): Promise<void> {
  // MATERIALIZED: computed once, not once per wave of the run (ranking-check.ts: 254 s → 1.4 s on the bench).
  await sql`with last_mark as (
      select distinct on (wave_id, asset) wave_id, asset, mark
        from ${WAVE_FILLS} where mark is not null
       order by wave_id, asset, time desc, block_number desc nulls last, log_index desc nulls last, id desc
    ), per_account as (
      select f.wave_id, f.account,
             sum(case when f.side = 'long' then 1 else -1 end * f.size * (m.mark - f.price)) as lost,
             bool_and(m.mark is not null and f.size is not null and f.price is not null) as known
        from ${WAVE_FILLS} f
        left join last_mark m on m.wave_id = f.wave_id and m.asset is not distinct from f.asset
       group by f.wave_id, f.account
    ), per_wave as materialized (
      select wave_id, bool_and(known) as known, sum(greatest(0, lost)) as haircut from per_account group by wave_id
    )
    update adl_waves w set
      haircut_usd = case when p.known then p.haircut end,
      overshoot_usd = case when p.known and w.budget_fills = w.fills then p.haircut - w.needed_budget_usd end,
      evidence = w.evidence || jsonb_build_object('overshoot', case
        when p.known and w.budget_fills = w.fills then 'haircut at the wave''s end (horizon 0: each deleveraged account''s ADL''d quantity marked at its asset''s last mark in the wave, against its execution) minus the needed budget'
        else format('not computed: %s of the wave''s %s fills have a mark (docs/analytics.md)', w.budget_fills, w.fills) end)
      from per_wave p
     where w.run_id = ${runId} and w.wave_id = p.wave_id`.execute(trx);
}
