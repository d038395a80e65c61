/**
 * Exact fixed-point → decimal-string conversion. On-chain integers must reach Postgres NUMERIC
 * without ever passing through a JS number, so every normalized value goes through here.
 */

/**
 * `value / 10^decimals` as an exact decimal string, trailing fractional zeros trimmed.
 * Splits the integer's decimal digits instead of dividing: BigInt division, a BigInt power per call and
 * a regex made the old version about 4× slower, and decoders call this several times per row.
 * @example scaleDown(346022000000000000000000000000000n, 30) === '346.022'
 * @example scaleDown(-15n, 1) === '-1.5'
 */
export function scaleDown(value: bigint, decimals: number): string {
  if (!Number.isInteger(decimals)) throw new Error(`scaleDown: decimals must be an integer, got ${decimals}`);
  if (decimals <= 0) return (value * 10n ** BigInt(-decimals)).toString();
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  const cut = digits.length - decimals;
  const whole = cut > 0 ? digits.slice(0, cut) : '0';
  const fraction = cut > 0 ? digits.slice(cut) : '0'.repeat(-cut) + digits;
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === 48 /* '0' */) end--;
  return `${negative ? '-' : ''}${whole}${end > 0 ? `.${fraction.slice(0, end)}` : ''}`;
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

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * `a × b` for two decimal strings (`px × sz` of an off-chain fill), exact: both become integers of
 * their own scale, and the product has the sum of the scales. Trailing fractional zeros are trimmed.
 * Accepts only plain decimals (`-12.5`, `0.001`); anything else (exponents, `.5`, blanks) throws.
 * @example mulDecimal('104582.5', '0.0123') === '1286.36475'
 */
export function mulDecimal(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return scaleDown(x.units * y.units, x.scale + y.scale);
}

function parseDecimal(text: string): { units: bigint; scale: number } {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal number: ${JSON.stringify(text)}`);
  const fraction = m[3] ?? '';
  const units = BigInt(m[2]! + fraction);
  return { units: m[1] ? -units : units, scale: fraction.length };
}
