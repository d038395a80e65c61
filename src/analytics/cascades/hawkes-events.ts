import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StampedEvent } from '../hawkes/index.ts';
import type { CascadeParams } from '../params.ts';
import { EVENTS_TABLE, type ClusterSummary } from './cluster.ts';
import { fitCascadeHawkes, type CascadeHawkes } from './hawkes-fit.ts';

/**
 * The Hawkes fit of a cascade (hawkes-fit.ts) on its liquidation fills and those of the lookback
 * before it, read from the run's events table. Past `maxEvents` fills only the distinct milliseconds
 * are read (all the default rule needs), and only that rule is fitted.
 */
export async function fitHawkesOfCluster(
  trx: Transaction<Database>,
  c: ClusterSummary,
  /** Liquidation fills from the lookback before the cascade to its end (cluster-facts.ts). */
  fills: number,
  params: CascadeParams,
): Promise<CascadeHawkes> {
  const ev = sql.table(EVENTS_TABLE);
  const hp = params.hawkes;
  const from = new Date(c.startMs - hp.lookbackSeconds * 1000);
  const to = new Date(c.endMs);
  let stamped: StampedEvent[];
  let params2 = hp;
  if (fills <= hp.maxEvents) {
    const { rows } = await sql<{ ms: string; account: string }>`
      select (extract(epoch from time) * 1000)::bigint as ms, venue || ':' || account as account from ${ev}
       where kind = 'L' and time >= ${from} and time <= ${to} order by time, id`.execute(trx);
    stamped = rows.map((r) => ({ timeMs: Number(r.ms), account: r.account }));
  } else {
    // Too many fills to hold the spread rules: the distinct milliseconds are all the default rule needs.
    const { rows } = await sql<{ ms: string }>`
      select distinct (extract(epoch from time) * 1000)::bigint as ms from ${ev} where kind = 'L' and time >= ${from} and time <= ${to} order by 1`.execute(trx);
    stamped = rows.map((r) => ({ timeMs: Number(r.ms), account: '' }));
    params2 = { ...hp, tieRule: 'millisecond' };
  }
  const fit = fitCascadeHawkes(stamped, { startMs: c.startMs, endMs: c.endMs }, params2);
  if (params2 !== hp) return { ...fit, note: [`${fills} liquidation fills > maxEvents ${hp.maxEvents}: only the millisecond rule was fitted`, fit.note].filter(Boolean).join('; ') };
  return fit;
}
