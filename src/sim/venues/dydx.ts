/**
 * dYdX v4 deleveraging order: walk the offsetting subaccounts (sorted by id) starting from a
 * pseudo-random index, wrapping around, as the protocol does to avoid always hitting the same
 * subaccount first. `start` comes from the engine's seeded stream.
 */
export function deleveragingOrder<T>(sorted: readonly T[], start: number): T[] {
  if (sorted.length === 0) return [];
  const s = ((start % sorted.length) + sorted.length) % sorted.length;
  return [...sorted.slice(s), ...sorted.slice(0, s)];
}
