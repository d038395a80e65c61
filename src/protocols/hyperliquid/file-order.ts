import { compareNatural } from '../../util/natural-compare.ts';

/**
 * The node writes `…/hourly/<YYYYMMDD>/<H>` (hour without a leading zero), the archive the same with
 * `.lz4`; copies are often flattened to `node_fills_<YYYYMMDD>_<H>.lz4`.
 */
const HOURLY = /(?:^|[/_])(\d{8})[/_](\d{1,2})(?:\.lz4)?$/;

/**
 * Orders node fill files by the hour they hold (date, then hour as a number: 9 before 10), then by
 * key; files whose key names no hour come after, in numeric-aware order. Reading in time order is
 * what makes a resumed import continue where the data continues, and bars merge in time order.
 */
export function compareNodeFillFiles(a: string, b: string): number {
  const ha = HOURLY.exec(a);
  const hb = HOURLY.exec(b);
  if (ha && hb) {
    if (ha[1] !== hb[1]) return ha[1]! < hb[1]! ? -1 : 1;
    const hours = Number(ha[2]) - Number(hb[2]);
    if (hours !== 0) return hours;
    return compareNatural(a, b);
  }
  if (ha) return -1;
  if (hb) return 1;
  return compareNatural(a, b);
}
