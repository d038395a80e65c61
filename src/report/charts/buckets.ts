/**
 * Sums per-bucket series into wider buckets for drawing, on one shared grid so that stacked bars stay
 * aligned: every series gets a value (0 when empty) in every drawn bucket from the first to the last.
 * Points are [time ms at the bucket's start, value].
 */
export function sumIntoBuckets(
  groups: ReadonlyMap<string, readonly (readonly [number, number | null])[]>,
  dataBucketSeconds: number,
  maxBars: number,
): { buckets: Map<string, [number, number][]>; bucketSeconds: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const points of groups.values()) for (const [t] of points) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const buckets = new Map<string, [number, number][]>();
  if (!Number.isFinite(min)) return { buckets, bucketSeconds: dataBucketSeconds };
  const dataMs = dataBucketSeconds * 1000;
  const spanBuckets = Math.floor((max - min) / dataMs) + 1;
  const factor = Math.max(1, Math.ceil(spanBuckets / maxBars));
  const widthMs = dataMs * factor;
  const count = Math.floor((max - min) / widthMs) + 1;
  for (const [name, points] of groups) {
    const sums = new Array<number>(count).fill(0);
    for (const [t, v] of points) if (v !== null) sums[Math.floor((t - min) / widthMs)]! += v;
    // a bar is drawn at the middle of its bucket
    buckets.set(name, sums.map((s, i) => [min + i * widthMs + widthMs / 2, s]));
  }
  return { buckets, bucketSeconds: dataBucketSeconds * factor };
}
