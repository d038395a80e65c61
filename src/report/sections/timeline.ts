import type { Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { missingAnalytics, sqlText } from './section-context.ts';

/** The order stages are listed in when they start at the same time (the seed article's sequence). */
const STAGE_ORDER = `array_position(array['trigger', 'price_move', 'liquidity_withdrawal', 'liquidity_void', 'cross_margin_failure', 'adl', 'exhaustion', 'recovery'], s.stage)`;

/**
 * The UTC timeline: the key moments analytics recorded for each cascade (first liquidation, first
 * ADL, peaks, end) and its stages with the evidence that justified each. A stage with no evidence was
 * not recorded, and is not shown.
 */
export async function timelineSection(ctx: SectionContext): Promise<Section> {
  if (!ctx.has('cascades') || !ctx.has('cascade_stages')) return missingAnalytics('timeline', 'UTC timeline', ['cascades', 'cascade_stages'], 'cascade analytics');
  const c = ctx.q.cascades('c');
  const events = await ctx.run({
    id: 'timeline.events',
    title: 'Key moments',
    caption: 'First liquidation, first ADL, the peak second and minute, stage starts and the last event, in UTC, from the cascades and cascade_stages tables.',
    shape: 'table',
    sql: sqlText(`
      select time, cascade_id, event, usd from (
        select c.cascade_id, c.first_liquidation as time, 'first liquidation' as event, null::numeric as usd, 0 as o from cascades c where ${c}
        union all select c.cascade_id, c.first_adl, 'first ADL', null, 1 from cascades c where ${c} and c.first_adl is not null
        union all select c.cascade_id, c.peak_second, 'peak second', c.peak_second_usd, 2 from cascades c where ${c}
        union all select c.cascade_id, c.peak_minute, 'peak minute starts', c.peak_minute_usd, 3 from cascades c where ${c}
        union all select c.cascade_id, c.end_time, 'last event', null, 5 from cascades c where ${c}
        union all select s.cascade_id, s.start_time, 'stage starts: ' || s.stage, null, 4
          from cascade_stages s join cascades c on c.cascade_id = s.cascade_id where ${c}
      ) e
      order by time, o, event, cascade_id`),
    columns: [
      { name: 'time', unit: 'time' },
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'event', unit: 'text' },
      { name: 'usd', label: 'notional', unit: 'usd' },
    ],
  });
  const stages = await ctx.run({
    id: 'timeline.stages',
    title: 'Stages and their evidence',
    caption:
      "The stages of the seed article (trigger, price move, liquidity withdrawal, liquidity void, cross-margin failure, ADL) plus exhaustion and recovery that analytics recorded, each with the figures that justified it: the stage's evidence as stored (cascade_stages.evidence), one `path=value` per figure, nested objects flattened to dotted paths, lists left as JSON. A stage without evidence was not recorded. Stages may overlap.",
    shape: 'table',
    sql: sqlText(`
      with recursive evidence (cascade_id, stage, path, value) as (
        select s.cascade_id, s.stage, e.key, e.value
        from cascade_stages s join cascades c on c.cascade_id = s.cascade_id cross join lateral jsonb_each(s.evidence) e
        where ${c}
        union all
        select v.cascade_id, v.stage, v.path || '.' || e.key, e.value
        from evidence v cross join lateral jsonb_each(v.value) e
        where jsonb_typeof(v.value) = 'object'
      ),
      readable as (
        select cascade_id, stage,
               string_agg(path || '=' || case jsonb_typeof(value) when 'string' then value #>> '{}' else value::text end, '; ' order by path collate "C") as evidence
        from evidence where jsonb_typeof(value) <> 'object'
        group by cascade_id, stage
      )
      select s.cascade_id, s.stage, s.start_time, s.end_time, extract(epoch from s.end_time - s.start_time) as seconds, r.evidence
      from cascade_stages s join cascades c on c.cascade_id = s.cascade_id
      left join readable r on r.cascade_id = s.cascade_id and r.stage = s.stage
      where ${c}
      order by c.start_time, s.cascade_id, s.start_time, ${STAGE_ORDER}`),
    columns: [
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'stage', unit: 'text' },
      { name: 'start_time', label: 'start', unit: 'time' },
      { name: 'end_time', label: 'end', unit: 'time' },
      { name: 'seconds', unit: 'seconds' },
      { name: 'evidence', unit: 'text' },
    ],
  });
  if (events.rows.length === 0) {
    return { id: 'timeline', title: 'UTC timeline', paragraphs: ['Analytics found no cascade in this scope (every cluster of liquidations stayed below its thresholds, or the range was not analysed), so there are no stages to show.'], figures: [] };
  }
  return { id: 'timeline', title: 'UTC timeline', paragraphs: [], figures: [events, ...(stages.rows.length > 0 ? [stages] : [])] };
}
