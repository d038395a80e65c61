/**
 * Fixing engine floats into exact decimals, once. Every output (chain logs, node fills, indexer
 * pages, ground truth) is rendered from these decimal strings, so the database can be compared
 * with the ground truth exactly. `toFixed` is deterministic for a given float.
 */

/** `x` rounded to `places` decimals, without trailing zeros ("12.50" → "12.5", "-0" → "0"). */
export function dec(x: number, places: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot fix a non-finite number (${x})`);
  let s = x.toFixed(places);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}

/** The exact integer `decimal × 10^decimals`; throws if the decimal has more places than that. */
export function toRaw(decimal: string, decimals: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) throw new Error(`not a decimal: "${decimal}"`);
  const [, sign, whole, frac = ''] = match;
  if (frac.length > decimals) throw new Error(`"${decimal}" has more than ${decimals} decimals`);
  const value = BigInt(whole! + frac.padEnd(decimals, '0'));
  return sign === '-' ? -value : value;
}

/** The decimal string of `raw / 10^decimals`, exact, without trailing zeros. */
export function fromRaw(raw: bigint, decimals: number): string {
  const negative = raw < 0n;
  const digits = (negative ? -raw : raw).toString().padStart(decimals + 1, '0');
  let s = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return negative && s !== '0' ? `-${s}` : s;
}

/** Decimals a price of this magnitude keeps: about 8 significant digits, at least 2. */
export function pricePlaces(startPrice: number): number {
  return Math.min(10, Math.max(2, 8 - Math.ceil(Math.log10(startPrice))));
}

/** Decimals a size in tokens keeps (Hyperliquid-like szDecimals: more for pricier coins). */
export function sizePlaces(startPrice: number): number {
  return Math.min(8, Math.max(1, Math.ceil(Math.log10(startPrice)) + 1));
}

export const USD_PLACES = 6;

/** a × b of two decimal strings, rounded half away from zero to `places`. Exact. */
export function mulDec(a: string, b: string, places: number): string {
  const pa = (a.split('.')[1] ?? '').length;
  const pb = (b.split('.')[1] ?? '').length;
  const product = toRaw(a, pa) * toRaw(b, pb);
  const scale = pa + pb;
  if (scale <= places) return fromRaw(product * 10n ** BigInt(places - scale), places);
  const div = 10n ** BigInt(scale - places);
  const half = div / 2n;
  const q = product >= 0n ? (product + half) / div : -((-product + half) / div);
  return fromRaw(q, places);
}
