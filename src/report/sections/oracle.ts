import type { Figure, Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { missingAnalytics, sqlText } from './section-context.ts';

const TITLE = 'Oracle deviation and erroneous liquidations';

/**
 * Oracle deviation and erroneous liquidations, as the oracle step of `liqscope analyze` classified
 * them (`liquidation_oracle_checks`, `oracle_episodes`, `oracle_feed_health`): verdicts per venue and
 * asset with the dollars lost, why a verdict could not be reached, the losses per venue and episode,
 * the erroneous liquidations themselves, the deviation and staleness episodes, the feeds' update
 * behaviour, and the deviation each liquidation saw, over time. Counts and sums of those rows only:
 * the verdicts, reference prices and dollars lost are analytics' own.
 */
export async function oracleSection(ctx: SectionContext): Promise<Section> {
  if (!ctx.has('liquidation_oracle_checks') || !ctx.has('oracle_episodes')) {
    return missingAnalytics('oracle', TITLE, ['liquidation_oracle_checks', 'oracle_episodes'], 'the oracle step of liqscope analyze');
  }
  const scoped = `with scope as (select * from liquidations l where ${ctx.q.liquidations('l')})`;
  const verdicts = await ctx.run({
    id: 'oracle.verdicts',
    title: 'Verdicts by venue and asset, with the dollars lost',
    caption:
      "Each liquidation's check: erroneous (solvent at the reference price, past the tolerance), borderline (within the tolerance of its threshold), justified, or unknown (no reference price, no venue price, or no margin rule that can judge the position: the next figure says which). Not checked: liquidations the oracle step has not analysed. Dollars lost: over the erroneous ones, the equity the position had at the reference price minus what it kept after the liquidation.",
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select l.venue, l.asset, count(*) as liquidations,
             count(*) filter (where c.verdict = 'erroneous') as erroneous,
             count(*) filter (where c.verdict = 'borderline') as borderline,
             count(*) filter (where c.verdict = 'justified') as justified,
             count(*) filter (where c.verdict = 'unknown') as unknown,
             count(*) filter (where c.liquidation_id is null) as not_checked,
             coalesce(sum(c.dollars_lost_usd) filter (where c.verdict = 'erroneous'), 0) as dollars_lost_usd
      from scope l left join liquidation_oracle_checks c on c.liquidation_id = l.id
      group by l.venue, l.asset order by erroneous desc, dollars_lost_usd desc, l.venue, l.asset`),
    columns: [
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'liquidations', unit: 'count' },
      { name: 'erroneous', unit: 'count' },
      { name: 'borderline', unit: 'count' },
      { name: 'justified', unit: 'count' },
      { name: 'unknown', unit: 'count' },
      { name: 'not_checked', label: 'not checked', unit: 'count' },
      { name: 'dollars_lost_usd', label: 'dollars lost', unit: 'usd' },
    ],
  });
  const checked = verdicts.rows.some((r) => Number(r.liquidations) > Number(r.not_checked));
  if (!checked) {
    return {
      id: 'oracle',
      title: TITLE,
      paragraphs: ["The oracle step has not checked these liquidations (they were not in a range `liqscope analyze` covered, or its run left the oracle step out): run it over this range for the verdicts, the dollars lost and the oracle episodes."],
      figures: [verdicts],
    };
  }
  const reasons = await ctx.run({
    id: 'oracle.reasons',
    title: 'Why a verdict is what it is',
    caption:
      "Per venue, the verdicts with the reason analytics recorded where it gave one: why a liquidation could not be judged (unknown), or why it is borderline although one of its two reference quotes was past the tolerance (reference_moved). A reason names what is missing from the data, not a fault of the venue.",
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select c.venue, c.verdict, coalesce(c.reason, '–') as reason, count(*) as liquidations, sum(l.size_usd) as usd
      from scope l join liquidation_oracle_checks c on c.liquidation_id = l.id
      group by c.venue, c.verdict, c.reason
      order by c.venue, array_position(array['erroneous', 'borderline', 'justified', 'unknown'], c.verdict), liquidations desc, reason`),
    columns: [
      { name: 'venue', unit: 'text' },
      { name: 'verdict', unit: 'text' },
      { name: 'reason', unit: 'text' },
      { name: 'liquidations', unit: 'count' },
      { name: 'usd', label: 'notional', unit: 'usd' },
    ],
  });
  const losses = await ctx.run({
    id: 'oracle.losses',
    title: 'Dollars lost per venue and oracle episode',
    caption:
      "The oracle_error_losses view's grouping (venue, asset, the episode analytics tied each liquidation to) over this report's liquidations: groups with an erroneous liquidation or an episode. An erroneous liquidation outside any episode has no episode.",
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select c.venue, c.asset, count(*) filter (where c.verdict = 'erroneous') as erroneous,
             coalesce(sum(c.dollars_lost_usd) filter (where c.verdict = 'erroneous'), 0) as dollars_lost_usd,
             count(*) as liquidations, count(*) filter (where c.verdict = 'borderline') as borderline,
             e.kind as episode_kind, e.cause as episode_cause, e.start_time as episode_start, e.end_time as episode_end, e.peak_deviation_pct, c.episode_id
      from scope l join liquidation_oracle_checks c on c.liquidation_id = l.id
      left join oracle_episodes e on e.id = c.episode_id
      group by c.venue, c.asset, c.episode_id, e.kind, e.cause, e.start_time, e.end_time, e.peak_deviation_pct
      having c.episode_id is not null or count(*) filter (where c.verdict = 'erroneous') > 0
      order by dollars_lost_usd desc, c.venue, c.asset, e.start_time nulls last`),
    columns: [
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'erroneous', unit: 'count' },
      { name: 'dollars_lost_usd', label: 'dollars lost', unit: 'usd' },
      { name: 'liquidations', unit: 'count' },
      { name: 'borderline', unit: 'count' },
      { name: 'episode_kind', label: 'kind', unit: 'text' },
      { name: 'episode_cause', label: 'cause', unit: 'text' },
      { name: 'episode_start', label: 'episode start', unit: 'time' },
      { name: 'episode_end', label: 'episode end', unit: 'time' },
      { name: 'peak_deviation_pct', label: 'peak deviation (%)', unit: 'pct' },
      { name: 'episode_id', label: 'episode', unit: 'text' },
    ],
  });
  const erroneous = await ctx.run({
    id: 'oracle.erroneous',
    title: 'Erroneous liquidations (largest losses first)',
    caption:
      'Liquidations whose position kept equity above maintenance at the reference price; the 25 with the most dollars lost. Distance: how far (%) the reference price was from the position\'s liquidation threshold, on the solvent side.',
    shape: 'table',
    sql: sqlText(`
      ${scoped}
      select c.time, c.venue, c.asset, c.side, l.size_usd, c.dollars_lost_usd, c.kept_usd, c.venue_price, c.reference_price, c.deviation_bps,
             c.distance_to_threshold_pct, c.venue_price_kind, c.reference_method, l.account, c.episode_id
      from scope l join liquidation_oracle_checks c on c.liquidation_id = l.id
      where c.verdict = 'erroneous'
      order by c.dollars_lost_usd desc nulls last, c.time, c.liquidation_id limit 25`),
    columns: [
      { name: 'time', unit: 'time' },
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'side', unit: 'text' },
      { name: 'size_usd', label: 'notional', unit: 'usd' },
      { name: 'dollars_lost_usd', label: 'dollars lost', unit: 'usd' },
      { name: 'kept_usd', label: 'kept', unit: 'usd' },
      { name: 'venue_price', label: 'venue price', unit: 'price' },
      { name: 'reference_price', label: 'reference', unit: 'price' },
      { name: 'deviation_bps', label: 'deviation (bps)', unit: 'bps' },
      { name: 'distance_to_threshold_pct', label: 'distance to threshold at reference (%)', unit: 'pct' },
      { name: 'venue_price_kind', label: 'kind', unit: 'text' },
      { name: 'reference_method', label: 'reference method', unit: 'text' },
      { name: 'account', unit: 'text' },
      { name: 'episode_id', label: 'episode', unit: 'text' },
    ],
  });
  const episodes = await ctx.run({
    id: 'oracle.episodes',
    title: 'Oracle episodes in the window',
    caption:
      "Deviation episodes (a feed's price away from the reference past the threshold) and stale windows (no update past the feed's heartbeat) overlapping the report window, for the reported assets. Cause: published (the feed published prices away from the market), stale, delayed (updates landed late on chain) or missed_heartbeat. Liquidations inside: of the venue the feed prices.",
    shape: 'table',
    sql: sqlText(`
      select e.kind, e.cause, e.venue, e.asset, e.liquidation_venue, e.start_time, e.end_time, e.duration_s, e.peak_deviation_pct, e.peak_time,
             e.peak_venue_price, e.peak_reference_price, e.threshold_pct, e.heartbeat_s, e.liquidations_inside, e.id
      from oracle_episodes e
      where e.start_time < ${ctx.q.windowTo} and coalesce(e.end_time, e.start_time) >= ${ctx.q.windowFrom}${ctx.q.narrowAsset('e')}
      order by e.start_time, e.venue, e.market, e.kind`),
    columns: [
      { name: 'kind', unit: 'text' },
      { name: 'cause', unit: 'text' },
      { name: 'venue', label: 'feed venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'liquidation_venue', label: 'liquidating venue', unit: 'text' },
      { name: 'start_time', label: 'start', unit: 'time' },
      { name: 'end_time', label: 'end', unit: 'time' },
      { name: 'duration_s', label: 'duration (s)', unit: 'seconds' },
      { name: 'peak_deviation_pct', label: 'peak deviation (%)', unit: 'pct' },
      { name: 'peak_time', label: 'peak at', unit: 'time' },
      { name: 'peak_venue_price', label: 'feed price at peak', unit: 'price' },
      { name: 'peak_reference_price', label: 'reference at peak', unit: 'price' },
      { name: 'threshold_pct', label: 'threshold (%)', unit: 'pct' },
      { name: 'heartbeat_s', label: 'heartbeat (s)', unit: 'seconds' },
      { name: 'liquidations_inside', label: 'liquidations inside', unit: 'count' },
      { name: 'id', label: 'episode', unit: 'text' },
    ],
  });
  const feeds = ctx.has('oracle_feed_health') ? await feedHealth(ctx) : null;
  const deviation = await ctx.run({
    id: 'oracle.deviation',
    title: 'Oracle deviation over time, at each liquidation',
    caption:
      "Signed deviation, in basis points, of the price that triggered each liquidation from the reference price at that instant, by venue and asset (analytics evaluates the deviation at liquidations and stores it there); shaded: the deviation episodes above. A cloud away from zero is a venue's oracle leaving the market; the price path charts in the microstructure section show the feeds themselves.",
    shape: 'series',
    sql: sqlText(`
      ${scoped}
      select c.time, c.venue, c.asset, c.deviation_bps, c.verdict
      from scope l join liquidation_oracle_checks c on c.liquidation_id = l.id
      where c.deviation_bps is not null
      order by c.time, c.venue, c.asset, c.liquidation_id`),
    columns: [
      { name: 'time', unit: 'time' },
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'deviation_bps', label: 'deviation (bps)', unit: 'bps' },
      { name: 'verdict', unit: 'text' },
    ],
    chart: {
      type: 'time-scatter',
      x: 'time',
      y: 'deviation_bps',
      seriesBy: ['venue', 'asset'],
      yLabel: 'deviation from reference (bps)',
      yUnit: 'bps',
      bands: episodes.rows.filter((e) => e.kind === 'deviation' && e.end_time !== null).map((e) => ({ from: String(e.start_time), to: String(e.end_time), label: '' })),
    },
  });

  const paragraphs = [
    "Whether the price that liquidated each position agreed with the market. The reference price is the one the oracle step was configured with (by default the median, over the venues other than the liquidating one, of each venue's freshest usable oracle or trade price), and each position is judged by its venue's margin rule at the venue's price and at the reference.",
  ];
  const anyErroneous = erroneous.rows.length > 0;
  paragraphs.push(
    anyErroneous
      ? 'The erroneous liquidations are listed below with the dollars their owners lost, grouped by the oracle episode that caused them.'
      : 'No liquidation in scope was erroneous at the reference price: every checked one was justified, borderline, or could not be judged (see why below).',
  );
  if (episodes.rows.length === 0) paragraphs.push('Analytics recorded no oracle deviation episode and no stale window for these assets in the window.');
  return {
    id: 'oracle',
    title: TITLE,
    paragraphs,
    figures: [
      verdicts,
      reasons,
      ...(anyErroneous || losses.rows.length > 0 ? [losses] : []),
      ...(anyErroneous ? [erroneous] : []),
      ...(episodes.rows.length > 0 ? [episodes] : []),
      ...(feeds && feeds.rows.length > 0 ? [feeds] : []),
      ...(deviation.rows.length > 0 ? [deviation] : []),
    ],
  };
}

/** Per push feed of the reported assets, its updates in the window as analytics classified them (oracle_feed_health). */
function feedHealth(ctx: SectionContext): Promise<Figure> {
  return ctx.run({
    id: 'oracle.feed-health',
    title: 'Oracle feeds in the window: heartbeat and deviation updates',
    caption:
      "Per feed with a known update rule (heartbeat, deviation threshold), its updates inside the window: how many analytics classified as heartbeat- or deviation-triggered, those published after the heartbeat was due (late), and the longest gap between two updates. The oracle_feed_summary view gives the same over the whole store.",
    shape: 'table',
    sql: sqlText(`
      select h.venue, h.market, h.asset, min(h.heartbeat_s) as heartbeat_s, min(h.deviation_pct) as deviation_pct, count(*) as updates,
             count(*) filter (where h.trigger = 'heartbeat') as heartbeat_updates,
             count(*) filter (where h.trigger = 'deviation') as deviation_updates,
             count(*) filter (where h.late) as late_updates,
             max(h.gap_s) as longest_gap_s
      from oracle_feed_health h
      where ${ctx.q.inWindow('h')}${ctx.q.narrowAsset('h')}
      group by h.venue, h.market, h.asset
      order by h.asset, h.venue, h.market`),
    columns: [
      { name: 'venue', label: 'feed venue', unit: 'text' },
      { name: 'market', label: 'feed', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'heartbeat_s', label: 'heartbeat (s)', unit: 'seconds' },
      { name: 'deviation_pct', label: 'deviation threshold (%)', unit: 'pct' },
      { name: 'updates', unit: 'count' },
      { name: 'heartbeat_updates', label: 'heartbeat-triggered', unit: 'count' },
      { name: 'deviation_updates', label: 'deviation-triggered', unit: 'count' },
      { name: 'late_updates', label: 'late', unit: 'count' },
      { name: 'longest_gap_s', label: 'longest gap (s)', unit: 'seconds' },
    ],
  });
}
