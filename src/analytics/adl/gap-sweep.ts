import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { WAVE_FILLS } from './wave-fills.ts';

export interface WaveSweepRow {
  venue: string;
  gapMs: number;
  waves: number;
  medianFills: number | null;
  maxFills: number | null;
  medianSeconds: number | null;
}

/**
 * The waves each gap would give, per venue (stored in `adl_gap_sweep`, the evidence for the default
 * gap in docs/analytics.md): the count, the median and largest wave in fills, the median duration.
 * Re-splits the fills' precomputed gaps in SQL, one pass per gap.
 */
export async function sweepWaveGaps(trx: Transaction<Database>, gapsMs: readonly number[]): Promise<WaveSweepRow[]> {
  const out: WaveSweepRow[] = [];
  for (const gapMs of [...new Set(gapsMs)].sort((a, b) => a - b)) {
    const { rows } = await sql<{ venue: string; waves: number; median: number | null; max: number | null; seconds: number | null }>`
      with w as (
        select venue, count(*) as fills, extract(epoch from max(time) - min(time)) as seconds
          from (select venue, time, sum(case when gap_ms is null or gap_ms > ${gapMs} then 1 else 0 end)
                                      over (partition by venue order by time, id rows unbounded preceding) as wave
                  from ${WAVE_FILLS}) x
         group by venue, wave
      )
      select venue, count(*)::integer as waves, percentile_cont(0.5) within group (order by fills) as median, max(fills)::integer as max,
             percentile_cont(0.5) within group (order by seconds) as seconds
        from w group by venue order by venue`.execute(trx);
    for (const r of rows) {
      out.push({ venue: r.venue, gapMs, waves: r.waves, medianFills: r.median === null ? null : Number(r.median), maxFills: r.max, medianSeconds: r.seconds === null ? null : Number(r.seconds) });
    }
  }
  return out;
}
