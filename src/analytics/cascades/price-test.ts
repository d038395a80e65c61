import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { CascadeParams } from '../params.ts';
import { visitReferenceSpans, type PriceWindow } from '../prices/load-reference.ts';
import { movePct } from '../prices/price-path.ts';
import type { ClusterSummary } from './cluster.ts';

/**
 * The price test's figure per candidate cluster: the largest move (%, peak to trough or trough to
 * peak) of the reference price of any of its assets, from `priceMoveLookbackSeconds` before its first
 * event to its last; null when none of its assets has a price there. Reads each asset's reference over
 * the union of the windows a span at a time, so memory does not grow with the number of candidates.
 */
export async function candidateMoves(db: Kysely<Database> | Transaction<Database>, candidates: readonly ClusterSummary[], params: CascadeParams): Promise<Map<number, number>> {
  const windows: (PriceWindow & { cluster: number })[] = candidates.flatMap((c) =>
    c.assets.map((asset) => ({ cluster: c.cluster, asset, fromSecond: Math.floor(c.startMs / 1000) - params.priceMoveLookbackSeconds, toSecond: Math.floor(c.endMs / 1000) + 1 })),
  );
  const byAsset = new Map<string, (typeof windows)[number][]>();
  for (const w of windows) (byAsset.get(w.asset) ?? byAsset.set(w.asset, []).get(w.asset)!).push(w);
  const moves = new Map<number, number>();
  await visitReferenceSpans(db, windows, params.reference, (series) => {
    const end = series.fromSecond + series.prices.length;
    for (const w of byAsset.get(series.asset) ?? []) {
      if (w.fromSecond < series.fromSecond || w.toSecond > end) continue;
      const move = movePct(series, w.fromSecond, w.toSecond - 1);
      if (move !== null && move > (moves.get(w.cluster) ?? -1)) moves.set(w.cluster, move);
    }
  });
  return moves;
}
