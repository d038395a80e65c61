import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { WAVE_FILLS } from './wave-fills.ts';

/**
 * Per wave, the losers' deficit: Σ over the wave's liquidated accounts (the fills' counterparties) of
 * max(0, −lowest equity in the wave), as the reference implementation computes it (arXiv 2512.01112).
 * Equity comes from `account_equity` (venue snapshots, or a simulation's ground truth) between the
 * wave's first and last fill; only when it knows every liquidated account of the wave, else NULL with
 * the evidence saying how many it knew.
 */
export async function writeLosersDeficit(trx: Transaction<Database>, runId: string): Promise<void> {
  // MATERIALIZED: computed once, not once per wave of the run (ranking-check.ts: 254 s → 1.4 s on the bench).
  await sql`with spans as (
      select wave_id, venue, min(time) as first, max(time) as last from ${WAVE_FILLS} group by wave_id, venue
    ), losers as (
      select distinct wave_id, counterparty from ${WAVE_FILLS} where counterparty is not null
    ), lows as (
      select l.wave_id,
             (select min(e.equity_usd) from account_equity e
               where e.venue = s.venue and e.account = l.counterparty and e.time >= s.first and e.time <= s.last) as low
        from losers l join spans s on s.wave_id = l.wave_id
    ), per_wave as (
      select wave_id, count(*) as liquidated, count(low) as known, sum(greatest(0, -low)) as deficit from lows group by wave_id
    ), verdict as materialized (
      select s.wave_id, p.liquidated, p.known, p.deficit from spans s left join per_wave p on p.wave_id = s.wave_id
    )
    update adl_waves w set
      losers_deficit_usd = case when v.liquidated > 0 and v.known = v.liquidated then v.deficit end,
      evidence = w.evidence || jsonb_build_object('losersDeficit', case
        when v.liquidated is null then 'not computed: the fills do not name the liquidated accounts'
        when v.known = v.liquidated then 'from account_equity: each liquidated account''s lowest equity between the wave''s first and last fill'
        else format('not computed: account_equity knows %s of the wave''s %s liquidated accounts in the wave''s span (no venue source publishes account equity yet)', v.known, v.liquidated) end)
      from verdict v
     where w.run_id = ${runId} and w.wave_id = v.wave_id`.execute(trx);
}
