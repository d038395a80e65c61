import type { Figure, Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { sqlText } from './section-context.ts';

/**
 * Methodology and data coverage: what was indexed (sources, cursors), what the window holds per table
 * and venue, chain block ranges, the longest gaps, decode errors, and the analysis runs behind the
 * analytics figures. Source configurations are not printed: they may hold RPC URLs with keys.
 */
export async function methodologySection(ctx: SectionContext, extra: readonly Figure[], paragraphs: readonly string[]): Promise<Section> {
  const q = ctx.q;
  const sources = await ctx.run({
    id: 'methodology.sources',
    title: 'Sources indexed',
    caption: 'Configured sources (their configuration is not printed: it may hold credentials).',
    shape: 'table',
    sql: sqlText(`
      select s.id as source, s.kind, s.protocol, s.venue, s.chain_id, s.start_block,
             count(c.stream) as streams, max(c.block_number) as last_block, max(c.updated_at) as cursor_updated_at
      from sources s left join cursors c on c.source_id = s.id
      group by s.id, s.kind, s.protocol, s.venue, s.chain_id, s.start_block order by s.id`),
    columns: [
      { name: 'source', unit: 'text' },
      { name: 'kind', unit: 'text' },
      { name: 'protocol', unit: 'text' },
      { name: 'venue', unit: 'text' },
      { name: 'chain_id', label: 'chain id', unit: 'text' },
      { name: 'start_block', label: 'start block', unit: 'text' },
      { name: 'streams', label: 'cursor streams', unit: 'count' },
      { name: 'last_block', label: 'last block stored', unit: 'text' },
      { name: 'cursor_updated_at', label: 'cursor updated', unit: 'time' },
    ],
  });
  const coverage = await ctx.run({
    id: 'methodology.coverage',
    title: 'Data in the report window, by table and venue',
    caption: 'Rows of each canonical table inside the window drawn (for a cascade: its span plus context before and after), with the first and last time.',
    shape: 'table',
    sql: sqlText(`
      select 'liquidations' as table_name, venue, count(*) as rows, count(distinct asset) as assets, min(time) as first_time, max(time) as last_time
        from liquidations t where ${q.inWindow('t')}${q.narrow('t')} group by venue
      union all
      select 'adl_events', venue, count(*), count(distinct asset), min(time), max(time)
        from adl_events t where ${q.inWindow('t')}${q.narrow('t')} group by venue
      union all
      select 'oracle_prices', venue, count(*), count(distinct asset), min(time), max(time)
        from oracle_prices t where ${q.inWindow('t')}${q.narrowAsset('t')} group by venue
      union all
      select 'trade_bars', venue || ' ' || interval, count(*), count(distinct asset), min(time), max(time)
        from trade_bars t where ${q.inWindow('t')}${q.narrowAsset('t')} group by venue, interval
      order by 1, 2`),
    columns: [
      { name: 'table_name', label: 'table', unit: 'text' },
      { name: 'venue', unit: 'text' },
      { name: 'rows', unit: 'count' },
      { name: 'assets', unit: 'count' },
      { name: 'first_time', label: 'first', unit: 'time' },
      { name: 'last_time', label: 'last', unit: 'time' },
    ],
  });
  const blocks = await ctx.run({
    id: 'methodology.blocks',
    title: 'Chain blocks in the window',
    caption: 'Raw logs kept per source in the window, with their block and time range (on-chain sources only; off-chain venues have no blocks).',
    shape: 'table',
    sql: sqlText(`
      select r.source_id as source, r.chain_id, count(*) as raw_logs, count(distinct r.block_number) as blocks,
             min(r.block_number) as first_block, max(r.block_number) as last_block, min(r.block_time) as first_time, max(r.block_time) as last_time
      from raw_logs r where ${q.inWindow('r', 'block_time')}
      group by r.source_id, r.chain_id order by r.source_id`),
    columns: [
      { name: 'source', unit: 'text' },
      { name: 'chain_id', label: 'chain id', unit: 'text' },
      { name: 'raw_logs', label: 'raw logs', unit: 'count' },
      { name: 'blocks', unit: 'count' },
      { name: 'first_block', label: 'first block', unit: 'text' },
      { name: 'last_block', label: 'last block', unit: 'text' },
      { name: 'first_time', label: 'first', unit: 'time' },
      { name: 'last_time', label: 'last', unit: 'time' },
    ],
  });
  const gaps = await ctx.run({
    id: 'methodology.gaps',
    title: 'Longest gaps between consecutive updates',
    caption:
      'Per venue, market and asset in the window: the longest time between two consecutive oracle updates, and between two trade bars (a bar exists only for a second with trades, so a bar gap is quiet trading or missing data; the store cannot tell which).',
    shape: 'table',
    sql: sqlText(`
      with g as (
        select 'oracle_prices' as table_name, o.venue, o.market, o.asset, o.time,
               extract(epoch from o.time - lag(o.time) over (partition by o.venue, o.market order by o.time)) as gap_s
        from oracle_prices o where ${q.inWindow('o')}${q.narrowAsset('o')}
        union all
        select 'trade_bars ' || b.interval, b.venue, b.market, b.asset, b.time,
               extract(epoch from b.time - lag(b.time) over (partition by b.venue, b.market, b.interval order by b.time))
        from trade_bars b where ${q.inWindow('b')}${q.narrowAsset('b')}
      )
      select distinct on (table_name, venue, market) table_name, venue, asset, market, gap_s as longest_gap_s, time as gap_end
      from g where gap_s is not null
      order by table_name, venue, market, gap_s desc, time`),
    columns: [
      { name: 'table_name', label: 'table', unit: 'text' },
      { name: 'venue', unit: 'text' },
      { name: 'asset', unit: 'text' },
      { name: 'market', unit: 'text' },
      { name: 'longest_gap_s', label: 'longest gap (s)', unit: 'seconds' },
      { name: 'gap_end', label: 'gap ended', unit: 'time' },
    ],
  });
  const decodeErrors = await ctx.run({
    id: 'methodology.decode-errors',
    title: 'Records that could not be decoded',
    caption: 'From decode_errors, over the whole store (a record that failed to decode has no time of its own).',
    shape: 'table',
    sql: sqlText(`
      select source_id as source, coalesce(event, '–') as event, reason, count(*) as records
      from decode_errors group by 1, 2, 3 order by records desc, 1, 2, 3 limit 20`),
    columns: [
      { name: 'source', unit: 'text' },
      { name: 'event', unit: 'text' },
      { name: 'reason', unit: 'text' },
      { name: 'records', unit: 'count' },
    ],
  });
  return {
    id: 'methodology',
    title: 'Methodology and data coverage',
    paragraphs: [
      'Every figure in this report is one SQL query over this database, printed under it; all of them ran in one read-only snapshot (REPEATABLE READ), so they agree with each other even while indexing or analysis writes. Amounts are exact NUMERIC values from the canonical tables; times are UTC. Analytics figures (cascades, stages, ADL waves, oracle checks, Hawkes fits) are read from the tables `liqscope analyze` writes, with the parameters recorded in its run; the report computes only plain counts and sums of the canonical tables.',
      ...paragraphs,
    ],
    figures: [...extra, sources, coverage, blocks, gaps, decodeErrors],
  };
}
