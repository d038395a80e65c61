/**
 * Exact fixed-point → decimal-string conversion. On-chain integers must reach Postgres NUMERIC
 * without ever passing through a JS number, so every normalized value goes through here.
 */

/**
 * `value / 10^decimals` as an exact decimal string, trailing fractional zeros trimmed.
 * @example scaleDown(346022000000000000000000000000000n, 30) === '346.022'
 * @example scaleDown(-15n, 1) === '-1.5'
 */
export function scaleDown(value: bigint, decimals: number): string {
  if (!Number.isInteger(decimals)) throw new Error(`scaleDown: decimals must be an integer, got ${decimals}`);
  if (decimals <= 0) return (value * 10n ** BigInt(-decimals)).toString();
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const fraction = (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** `(a + b) / 2 / 10^decimals`, exact: halving is a multiplication by 5 and one more decimal. */
export function midpoint(a: bigint, b: bigint, decimals: number): string {
  return scaleDown((a + b) * 5n, decimals + 1);
}

/** `a × b / 10^decimals`, exact (e.g. a token amount times a ×10^30 per-unit price → USD). */
export function mulScaled(a: bigint, b: bigint, decimals: number): string {
  return scaleDown(a * b, decimals);
}

export function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}
