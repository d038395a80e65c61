import type { Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * Auto-deleveraging: the ADL fills in scope (canonical adl_events) by venue and asset, per second on a
 * chart with the waves analytics found as bands, and the waves with their needed budget, the losers'
 * deficit and the overshoot where the data allows (adl_waves; NULL where the venue publishes no equity).
 */
export async function adlSection(ctx: SectionContext): Promise<Section> {
  const scoped = `with scope as (select * from adl_events a where ${ctx.q.adl('a')})`;
  const byVenue = await ctx.run({
    id: 'adl.by-venue-asset',
    title: 'ADL fills by venue and asset',
    caption: 'Positions reduced by auto-deleveraging (the deleveraged side is usually in profit), with the PnL they realised.',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select venue, asset, count(*) as fills, count(distinct account) as accounts, sum(size_usd) as usd, sum(pnl_usd) as pnl_usd,
             min(time) as first_time, max(time) as last_time
      from scope group by venue, asset order by usd desc nulls last, venue, asset`),
    columns: [
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'fills', unit: 'count' },
      { name: 'accounts', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
      { name: 'pnl_usd', label: 'realised PnL', unit: 'usd' },
      { name: 'first_time', label: 'first', unit: 'time' },
      { name: 'last_time', label: 'last', unit: 'time' },
    ],
  });
  if (byVenue.rows.length === 0) {
    return { id: 'adl', title: 'Auto-deleveraging', paragraphs: ['No ADL fill in scope (in the adl_events the store holds for these venues).'], figures: [] };
  }
  const hasWaves = ctx.has('adl_waves');
  const waves = hasWaves
    ? await ctx.run({
        id: 'adl.waves',
        title: 'ADL waves: notional, needed budget, haircut and overshoot',
        caption:
          "Per venue, ADL fills split where the gap between consecutive fills exceeds the run's gap (params). Needed budget: Σ |mark − exec| · |size| over the wave's fills that have a mark. Haircut: what the deleveraged accounts lost at the wave's end (each one's ADL'd quantity marked at its asset's last mark in the wave, against its execution; positive parts summed). Overshoot: haircut − needed budget, when every fill has a mark. Losers' deficit: the liquidated accounts' negative equity, known only where the venue publishes account equity.",
        shape: 'table',
        sql: sqlText(`
          select w.wave_id, w.venue, w.start_time, w.end_time, w.fills, w.notional_usd, w.needed_budget_usd, w.haircut_usd, w.overshoot_usd,
                 w.losers_deficit_usd, w.accounts, w.liquidated_accounts, array_to_string(w.assets, ', ') as assets
          from adl_waves w where ${ctx.q.adlWaves('w')}
          order by w.start_time, w.venue, w.wave_id`),
        columns: [
          { name: 'wave_id', label: 'wave', unit: 'text' },
          { name: 'venue', unit: 'text' },
          { name: 'start_time', label: 'start', unit: 'time' },
          { name: 'end_time', label: 'end', unit: 'time' },
          { name: 'fills', unit: 'count' },
          { name: 'notional_usd', label: 'notional', unit: 'usd' },
          { name: 'needed_budget_usd', label: 'needed budget', unit: 'usd' },
          { name: 'haircut_usd', label: 'haircut', unit: 'usd' },
          { name: 'overshoot_usd', label: 'overshoot', unit: 'usd' },
          { name: 'losers_deficit_usd', label: "losers' deficit", unit: 'usd' },
          { name: 'accounts', label: 'accounts deleveraged', unit: 'count' },
          { name: 'liquidated_accounts', label: 'liquidated accounts behind', unit: 'count' },
          { name: 'assets', unit: 'text' },
    ],
      })
    : null;
  const checks = hasWaves && (waves?.rows.length ?? 0) > 0
    ? await ctx.run({
        id: 'adl.wave-checks',
        title: 'ADL waves: ranking and what each figure could use',
        caption:
          "Ranking: Spearman correlation between the order the venue picked accounts in and its documented ranking key (1: exactly by the key), over the batches of same-instant fills it could rank. PnL realised by the deleveraged accounts. The notes are analytics' own (adl_waves.evidence): how the overshoot was computed, and why a losers' deficit is missing.",
        shape: 'table',
        sql: sqlText(`
          select w.wave_id, w.budget_fills, w.realised_pnl_usd, w.ranking_key, w.ranking_spearman, w.ranking_batches, w.ranking_fills,
                 w.evidence->>'overshoot' as overshoot_note, w.evidence->>'losersDeficit' as losers_deficit_note
          from adl_waves w where ${ctx.q.adlWaves('w')}
          order by w.start_time, w.venue, w.wave_id`),
        columns: [
          { name: 'wave_id', label: 'wave', unit: 'text' },
          { name: 'budget_fills', label: 'fills with a mark', unit: 'count' },
          { name: 'realised_pnl_usd', label: 'PnL realised by the deleveraged', unit: 'usd' },
          { name: 'ranking_key', label: 'ranking key', unit: 'text' },
          { name: 'ranking_spearman', label: 'ranking Spearman ρ', unit: 'ratio' },
          { name: 'ranking_batches', label: 'batches ranked', unit: 'count' },
          { name: 'ranking_fills', label: 'fills ranked', unit: 'count' },
          { name: 'overshoot_note', label: 'overshoot', unit: 'text' },
          { name: 'losers_deficit_note', label: "losers' deficit", unit: 'text' },
        ],
      })
    : null;
  const totals = hasWaves && (waves?.rows.length ?? 0) > 0
    ? await ctx.run({
        id: 'adl.totals',
        title: 'ADL totals by venue',
        caption: 'Sums over the waves above. Haircut, overshoot and deficit sum only the waves where they are known (counted beside them).',
        shape: 'table',
        sql: sqlText(`
          select w.venue, count(*) as waves, sum(w.fills) as fills, sum(w.notional_usd) as notional_usd, sum(w.needed_budget_usd) as needed_budget_usd,
                 count(w.haircut_usd) as waves_with_haircut, sum(w.haircut_usd) as haircut_usd,
                 count(w.overshoot_usd) as waves_with_overshoot, sum(w.overshoot_usd) as overshoot_usd,
                 count(w.losers_deficit_usd) as waves_with_equity, sum(w.losers_deficit_usd) as losers_deficit_usd
          from adl_waves w where ${ctx.q.adlWaves('w')}
          group by w.venue order by notional_usd desc nulls last, w.venue`),
        columns: [
          { name: 'venue', unit: 'text' },
          { name: 'waves', unit: 'count' },
          { name: 'fills', unit: 'count' },
          { name: 'notional_usd', label: 'notional', unit: 'usd' },
          { name: 'needed_budget_usd', label: 'needed budget', unit: 'usd' },
          { name: 'waves_with_haircut', label: 'waves with a haircut', unit: 'count' },
          { name: 'haircut_usd', label: 'haircut', unit: 'usd' },
          { name: 'waves_with_overshoot', label: 'waves with an overshoot', unit: 'count' },
          { name: 'overshoot_usd', label: 'overshoot', unit: 'usd' },
          { name: 'waves_with_equity', label: 'waves with equity', unit: 'count' },
          { name: 'losers_deficit_usd', label: "losers' deficit", unit: 'usd' },
        ],
      })
    : null;
  const bands = (waves?.rows ?? []).map((w) => ({ from: String(w.start_time), to: String(w.end_time), label: '' }));
  const perSecond = await ctx.run({
    id: 'adl.per-second',
    title: 'ADL timeline: notional per second, by venue',
    caption: bands.length ? 'ADL notional in each UTC second, stacked by venue; shaded: the ADL waves above.' : 'ADL notional in each UTC second, stacked by venue.',
    shape: 'series',
    sql: sqlText(`
      ${scoped}
      select date_trunc('second', time) as second, venue, count(*) as fills, sum(size_usd) as usd
      from scope group by 1, 2 order by 1, 2`),
    columns: [
      { name: 'second', unit: 'time' },
      { name: 'venue', unit: 'text' },
      { name: 'fills', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
    ],
    chart: { type: 'time-stacked-bars', x: 'second', y: 'usd', seriesBy: ['venue'], yLabel: 'ADL notional per second', yUnit: 'usd', bucketSeconds: 1, bands },
  });
  const paragraphs = [
    "Auto-deleveraging closes profitable positions against liquidated ones when the venue's backstop cannot absorb them. Per wave: the needed budget is the gap between the mark and the ADL execution price over the fills (what the deleveraging had to cover); the haircut is the equity the deleveraged winners lost to it; an overshoot above zero means the venue took more from them than the budget needed (the measure of incidents.md, arXiv 2512.01112).",
  ];
  if (!hasWaves) paragraphs.push('ADL waves are not available: this database has no adl_waves table (run `liqscope analyze`).');
  else if ((waves?.rows.length ?? 0) === 0) paragraphs.push('Analytics recorded no ADL wave for these fills (the range was not analysed, or only by a run limited to other venues or assets): run `liqscope analyze` over it.');
  return {
    id: 'adl',
    title: 'Auto-deleveraging',
    paragraphs,
    figures: [byVenue, ...(waves ? [waves] : []), ...(checks ? [checks] : []), ...(totals ? [totals] : []), perSecond],
  };
}
