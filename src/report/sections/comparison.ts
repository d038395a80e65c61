import type { Section } from '../figure.ts';
import { numberLiteral, textLiteral, timeLiteral } from '../sql-literal.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';
import { loadReferenceIncidents, type ReferenceIncident } from './reference-incidents.ts';

/**
 * The classification rule of the seed article's distinction, on the axes analytics stores per cascade
 * (docs/analytics.md): a **microstructure event** (leverage-driven, selective, recovered within days:
 * 10 October 2025) or a **macro repricing** (broad, deep, slow: 12 March 2020). Each axis votes:
 * - depth: the largest drawdown of a cascade asset's reference price. ≥ 25 % votes macro, below votes
 *   microstructure. A quarter of the price is beyond what the largest leverage flush on record did to
 *   BTC (−9 % in the seed article, −14.6 % intraday high to low) and half of Black Thursday's −50 %.
 * - recovery: the share of that drawdown won back within analytics' recovery horizon (recovered_pct).
 *   ≥ 50 % votes microstructure (the book refilled), below votes macro.
 * - speed: the cascade's duration. Under an hour votes microstructure (10 October's core ran 40 minutes);
 *   six hours or more votes macro (a repricing runs over a day or more); in between, no vote.
 * More macro votes than microstructure votes: macro repricing; the reverse: microstructure event;
 * a tie or no axis known: undetermined. Breadth across assets is shown but does not vote: in a leverage
 * flush on a perp venue every listed asset is hit (10 October: ADL on 162 tickers), so it does not tell
 * the two apart on the reference incidents.
 */
export const CLASSIFICATION = { deepDrawdownPct: 25, recoveredPct: 50, fastSeconds: 3_600, slowSeconds: 21_600 } as const;

export async function comparisonSection(ctx: SectionContext): Promise<Section> {
  const references = loadReferenceIncidents();
  const hasCascades = ctx.has('cascades') && ctx.has('cascade_assets');
  const columns = 'incident, origin, start_time, drawdown_pct, drawdown_asset, duration_seconds, liquidated_usd, assets, recovered_pct, adl_share_pct, published_class';
  const referenceRows = references.map(valuesRow).join(',\n    ');
  const thisReport = ctx.q.cascades('c');
  const measured = hasCascades
    ? `,
measured as (
  select c.cascade_id, case when ${thisReport} then 'this report' else 'this store' end, c.start_time,
         abs(c.max_drawdown_pct), c.max_drawdown_asset, c.duration_seconds, c.liquidated_usd, cardinality(c.assets),
         ca.recovered_pct, c.adl_share * 100, null::text
  from cascades c left join cascade_assets ca on ca.cascade_id = c.cascade_id and ca.asset = c.max_drawdown_asset
  where (${thisReport})
     or c.cascade_id in (select cascade_id from cascades where scope = 'all' order by liquidated_usd desc nulls last, cascade_id limit 10)
)`
    : '';
  const k = CLASSIFICATION;
  const figure = await ctx.run({
    id: 'comparison.incidents',
    title: 'This cascade beside the reference incidents and the largest cascades in the store',
    caption:
      `Same axes for every row: largest drawdown of an asset's price, duration, notional liquidated, breadth (assets), recovery (share of the drawdown won back within analytics' recovery horizon) and ADL share of notional. Reference rows are the published figures of docs/reference-incidents.json, each with its source there (null where nothing was published). Rule: depth ≥ ${k.deepDrawdownPct} % votes macro, below votes microstructure; recovered ≥ ${k.recoveredPct} % votes microstructure, below votes macro; duration under ${k.fastSeconds / 3600} h votes microstructure, ${k.slowSeconds / 3600} h or more votes macro; the majority decides.`,
    shape: 'table',
    sql: sqlText(`
with reference (${columns}) as (
  values
    ${referenceRows}
)${measured},
axes as (select * from reference${hasCascades ? ' union all select * from measured' : ''}),
votes as (
  select *,
         (case when drawdown_pct >= ${k.deepDrawdownPct} then 1 else 0 end) + (case when recovered_pct < ${k.recoveredPct} then 1 else 0 end)
           + (case when duration_seconds >= ${k.slowSeconds} then 1 else 0 end) as macro_votes,
         (case when drawdown_pct < ${k.deepDrawdownPct} then 1 else 0 end) + (case when recovered_pct >= ${k.recoveredPct} then 1 else 0 end)
           + (case when duration_seconds < ${k.fastSeconds} then 1 else 0 end) as micro_votes
  from axes
)
select incident, origin, start_time, drawdown_pct, drawdown_asset, duration_seconds, liquidated_usd, assets, recovered_pct, adl_share_pct,
       macro_votes, micro_votes,
       case when macro_votes > micro_votes then 'macro repricing' when micro_votes > macro_votes then 'microstructure event' else 'undetermined' end as rule_class,
       published_class
from votes
order by case origin when 'this report' then 0 when 'this store' then 2 else 1 end, start_time, incident`),
    columns: [
      { name: 'incident', unit: 'text' },
      { name: 'origin', unit: 'text' },
      { name: 'start_time', label: 'start', unit: 'time' },
      { name: 'drawdown_pct', label: 'drawdown (%)', unit: 'pct' },
      { name: 'drawdown_asset', label: 'of asset', unit: 'text' },
      { name: 'duration_seconds', label: 'duration (s)', unit: 'seconds' },
      { name: 'liquidated_usd', label: 'liquidated', unit: 'usd' },
      { name: 'assets', label: 'assets', unit: 'count' },
      { name: 'recovered_pct', label: 'recovered (%)', unit: 'pct' },
      { name: 'adl_share_pct', label: 'ADL share (%)', unit: 'pct' },
      { name: 'macro_votes', label: 'macro votes', unit: 'count' },
      { name: 'micro_votes', label: 'microstructure votes', unit: 'count' },
      { name: 'rule_class', label: 'by the rule', unit: 'text' },
      { name: 'published_class', label: 'published', unit: 'text' },
    ],
  });
  const mine = figure.rows.filter((r) => r.origin === 'this report');
  const paragraphs = [
    'The seed article tells two kinds of crash apart: a microstructure event (leverage-driven, selective, recovered within days, like 10 October 2025) and a macro repricing (broad, deep, slow, like 12 March 2020). The table puts this report\'s cascades beside both, on the axes analytics measures, and applies a stated rule (under the table) to every row alike; for the reference rows the rule can be checked against the published class.',
  ];
  for (const row of mine) paragraphs.push(`By the rule, ${String(row.incident)} is classed as: ${String(row.rule_class)} (macro votes ${String(row.macro_votes)}, microstructure votes ${String(row.micro_votes)}).`);
  if (hasCascades && mine.length === 0) paragraphs.push('Analytics found no cascade in this scope, so there is no row of this report to classify: the table lists the other incidents only.');
  if (!hasCascades) paragraphs.push('This database has no cascades table yet (run `liqscope analyze`): only the reference incidents are listed.');
  return { id: 'comparison', title: 'Comparison with other incidents', paragraphs, figures: [figure] };
}

function valuesRow(r: ReferenceIncident): string {
  const num = (v: number | null, type: string) => (v === null ? `null::${type}` : `${numberLiteral(v)}::${type}`);
  return `(${[
    textLiteral(r.name),
    textLiteral('published (docs/reference-incidents.json)'),
    timeLiteral(new Date(r.start)),
    num(r.drawdownPct.value, 'float8'),
    r.drawdownPct.asset ? textLiteral(r.drawdownPct.asset) : 'null::text',
    num(r.durationSeconds.value, 'float8'),
    num(r.liquidatedUsd.value, 'numeric'),
    num(r.assets.value, 'integer'),
    num(r.recoveredPct.value, 'float8'),
    num(r.adlSharePct.value, 'float8'),
    textLiteral(r.publishedClass),
  ].join(', ')})`;
}
