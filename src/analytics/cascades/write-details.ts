import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { CascadeDetail } from './describe.ts';

/** Every cascade's computed columns, its assets' and its stages, in three statements (rows as JSON records). */
export async function writeDetails(trx: Transaction<Database>, details: readonly { id: string; detail: CascadeDetail }[]): Promise<void> {
  if (details.length === 0) return;
  const time = (second: number | undefined | null) => (second === undefined || second === null ? null : new Date(second * 1000).toISOString());
  const cascades = details.map(({ id, detail: d }) => {
    const h = d.hawkes;
    if (h.note) d.notes.hawkes = h.note;
    return {
      cascade_id: id, price_reference: d.priceReference, price_move_pct: d.movePct,
      max_drawdown_pct: d.maxDrawdown?.pct ?? null, max_drawdown_asset: d.maxDrawdown?.asset ?? null,
      impact_pct_per_musd: d.impactPerMusd, depth_asset: d.depthAsset, cross_margin_accounts: d.crossMarginAccounts,
      kyle_lambda_before: d.depth.kyle_lambda_before ?? null, kyle_lambda_during: d.depth.kyle_lambda_during ?? null,
      amihud_before: d.depth.amihud_before ?? null, amihud_during: d.depth.amihud_during ?? null,
      hawkes_status: h.status, hawkes_tie_rule: h.tieRule, hawkes_events: h.events, hawkes_mu: h.mu, hawkes_alpha: h.alpha,
      hawkes_beta: h.beta, hawkes_n: h.n, hawkes_log_likelihood: h.logLikelihood, hawkes_ks_p: h.ksP,
      hawkes_n_min: h.nMin, hawkes_n_max: h.nMax, hawkes_self_excited_share: h.selfExcitedShare, hawkes_note: h.note,
      flags: d.flags, notes: d.notes,
    };
  });
  await sql`update cascades c set
      price_reference = x.price_reference, price_move_pct = x.price_move_pct, max_drawdown_pct = x.max_drawdown_pct,
      max_drawdown_asset = x.max_drawdown_asset, impact_pct_per_musd = x.impact_pct_per_musd, depth_asset = x.depth_asset,
      cross_margin_accounts = x.cross_margin_accounts, kyle_lambda_before = x.kyle_lambda_before, kyle_lambda_during = x.kyle_lambda_during,
      amihud_before = x.amihud_before, amihud_during = x.amihud_during,
      hawkes_status = x.hawkes_status, hawkes_tie_rule = x.hawkes_tie_rule, hawkes_events = x.hawkes_events, hawkes_mu = x.hawkes_mu,
      hawkes_alpha = x.hawkes_alpha, hawkes_beta = x.hawkes_beta, hawkes_n = x.hawkes_n, hawkes_log_likelihood = x.hawkes_log_likelihood,
      hawkes_ks_p = x.hawkes_ks_p, hawkes_n_min = x.hawkes_n_min, hawkes_n_max = x.hawkes_n_max,
      hawkes_self_excited_share = x.hawkes_self_excited_share, hawkes_note = x.hawkes_note,
      flags = array(select jsonb_array_elements_text(x.flags)), notes = x.notes
    from jsonb_to_recordset(${JSON.stringify(cascades)}::jsonb) as x(
      cascade_id text, price_reference text, price_move_pct float8, max_drawdown_pct float8, max_drawdown_asset text,
      impact_pct_per_musd float8, depth_asset text, cross_margin_accounts integer, kyle_lambda_before float8, kyle_lambda_during float8, amihud_before float8,
      amihud_during float8, hawkes_status text, hawkes_tie_rule text, hawkes_events integer, hawkes_mu float8, hawkes_alpha float8,
      hawkes_beta float8, hawkes_n float8, hawkes_log_likelihood float8, hawkes_ks_p float8, hawkes_n_min float8, hawkes_n_max float8,
      hawkes_self_excited_share float8, hawkes_note text, flags jsonb, notes jsonb)
    where c.cascade_id = x.cascade_id`.execute(trx);

  const assets = details.flatMap(({ id, detail: d }) =>
    d.assets.map((a) => {
      const p = a.path;
      return {
        cascade_id: id, asset: a.asset, price_sources: a.sources,
        price_before: p?.adverse?.from.price ?? null,
        price_low: p?.drawdown?.to.price ?? null, price_low_time: time(p?.drawdown?.to.second),
        price_high: p?.runup?.to.price ?? null, price_high_time: time(p?.runup?.to.second),
        drawdown_pct: p?.drawdown?.pct ?? (p ? 0 : null), runup_pct: p?.runup?.pct ?? (p ? 0 : null),
        move_pct: p?.adverse?.pct ?? (p ? 0 : null), recovered_pct: p?.recoveredPct ?? null,
        recovered_half_at: time(p?.recoveredAt), price_after: p?.priceAfter ?? null,
        impact_pct_per_musd: a.impactPerMusd,
        ...a.depth,
      };
    }),
  );
  if (assets.length > 0) {
    await sql`update cascade_assets ca set
        price_sources = array(select jsonb_array_elements_text(x.price_sources)), price_before = x.price_before,
        price_low = x.price_low, price_low_time = x.price_low_time, price_high = x.price_high, price_high_time = x.price_high_time,
        drawdown_pct = x.drawdown_pct, runup_pct = x.runup_pct, move_pct = x.move_pct, recovered_pct = x.recovered_pct,
        recovered_half_at = x.recovered_half_at, price_after = x.price_after, impact_pct_per_musd = x.impact_pct_per_musd,
        kyle_lambda_before = x.kyle_lambda_before, kyle_lambda_during = x.kyle_lambda_during,
        amihud_before = x.amihud_before, amihud_during = x.amihud_during,
        roll_spread_bps_before = x.roll_spread_bps_before, roll_spread_bps_during = x.roll_spread_bps_during,
        trades_per_minute_before = x.trades_per_minute_before, trades_per_minute_during = x.trades_per_minute_during,
        volume_usd_per_minute_before = x.volume_usd_per_minute_before, volume_usd_per_minute_during = x.volume_usd_per_minute_during
      from jsonb_to_recordset(${JSON.stringify(assets)}::jsonb) as x(
        cascade_id text, asset text, price_sources jsonb, price_before float8, price_low float8, price_low_time timestamptz,
        price_high float8, price_high_time timestamptz, drawdown_pct float8, runup_pct float8, move_pct float8, recovered_pct float8,
        recovered_half_at timestamptz, price_after float8, impact_pct_per_musd float8, kyle_lambda_before float8, kyle_lambda_during float8,
        amihud_before float8, amihud_during float8, roll_spread_bps_before float8, roll_spread_bps_during float8,
        trades_per_minute_before float8, trades_per_minute_during float8, volume_usd_per_minute_before float8, volume_usd_per_minute_during float8)
      where ca.cascade_id = x.cascade_id and ca.asset = x.asset`.execute(trx);
  }

  const stages = details.flatMap(({ id, detail: d }) =>
    d.stages.map((st) => ({ cascade_id: id, stage: st.stage, start_time: new Date(st.startMs).toISOString(), end_time: new Date(Math.max(st.startMs, st.endMs)).toISOString(), evidence: st.evidence })),
  );
  if (stages.length > 0) {
    await sql`insert into cascade_stages (cascade_id, stage, start_time, end_time, evidence)
      select cascade_id, stage, start_time, end_time, evidence
        from jsonb_to_recordset(${JSON.stringify(stages)}::jsonb) as x(cascade_id text, stage text, start_time timestamptz, end_time timestamptz, evidence jsonb)`.execute(trx);
  }
}
