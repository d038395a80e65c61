/**
 * The distribution of the one-sample Kolmogorov–Smirnov statistic Dₙ = sup |Fₙ(x) − F(x)|, for p-values.
 *
 * Why not @stdlib/stats-kstest (the one kept npm package with this distribution): it always evaluates the
 * exact Marsaglia–Tsang–Wang formula, whose matrix power costs O(k³ log n) with k ≈ n·d. Measured on
 * Exp(1) samples: 0.8 s for n = 3,000, 3 s for 10,000, 113 s for 100,000, and a Hawkes window of a
 * liquidation cascade easily holds 100k events. It also brings 318 packages. So: the same exact
 * algorithm where it is cheap (n ≤ 1,000: at most ~30 ms), and the limiting distribution with Stephens'
 * finite-n correction above that. Against SciPy's kstwo the limit law is off by at most 4·10⁻³ in the
 * bulk (just above n = 1,000, less for larger n) and 3·10⁻⁵ near p = 0.05, where decisions are made.
 */

const EXACT_MAX_N = 1000;

/** P(Dₙ ≥ d): the two-sided KS p-value of a statistic `d` computed from `n` observations. */
export function kolmogorovSmirnovPValue(d: number, n: number): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`kolmogorovSmirnovPValue: n must be a positive integer, got ${n}`);
  if (!(d >= 0 && d <= 1)) throw new Error(`kolmogorovSmirnovPValue: d must be in [0, 1], got ${d}`);
  if (d === 0) return 1;
  if (n <= EXACT_MAX_N) return clamp01(1 - marsagliaTsangWang(n, d));
  const sqrtN = Math.sqrt(n);
  return clamp01(kolmogorovSurvival((sqrtN + 0.12 + 0.11 / sqrtN) * d));
}

/**
 * P(K > λ) for the limiting Kolmogorov distribution K = lim √n·Dₙ. Two series, each used where it
 * converges in a few terms: the alternating one for large λ, the Jacobi-theta form for small λ.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1) {
    // P(K ≤ λ) = √(2π)/λ · Σ_{k≥1} exp(−(2k−1)²π²/(8λ²))
    const q = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k <= 20; k++) sum += Math.exp((2 * k - 1) * (2 * k - 1) * q);
    return 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum;
  }
  // P(K > λ) = 2 Σ_{k≥1} (−1)^(k−1) exp(−2k²λ²)
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return 2 * sum;
}

/**
 * P(Dₙ < d), exact: Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's distribution", Journal of
 * Statistical Software 8(18). Entry (k, k) of Hⁿ times n!/nⁿ, with H the m×m matrix of the paper and
 * decimal exponents kept aside so that the power neither overflows nor underflows.
 */
function marsagliaTsangWang(n: number, d: number): number {
  const s = d * d * n;
  // The paper's own shortcut for the far tail, accurate to about 7 digits there.
  if (s > 7.24 || (s > 3.76 && n > 99)) return 1 - 2 * Math.exp(-(2.000071 + 0.331 / Math.sqrt(n) + 1.409 / n) * s);
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - h ** (i + 1);
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - h ** (m - i);
  }
  H[(m - 1) * m] = H[(m - 1) * m]! + (2 * h - 1 > 0 ? (2 * h - 1) ** m : 0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j] = H[i * m + j]! / g;
    }
  }
  const { matrix, exponent } = matrixPower(H, m, n);
  let value = matrix[(k - 1) * m + k - 1]!;
  let decimalExponent = exponent;
  for (let i = 1; i <= n; i++) {
    value = (value * i) / n;
    if (value < 1e-140) {
      value *= 1e140;
      decimalExponent -= 140;
    }
  }
  return value * 10 ** decimalExponent;
}

/** Aⁿ by repeated squaring, as (matrix, e) with Aⁿ = matrix·10^e. */
function matrixPower(a: Float64Array, m: number, n: number): { matrix: Float64Array; exponent: number } {
  if (n === 1) return { matrix: a, exponent: 0 };
  const half = matrixPower(a, m, Math.floor(n / 2));
  let matrix = multiply(half.matrix, half.matrix, m);
  let exponent = 2 * half.exponent;
  if (n % 2 === 1) matrix = multiply(a, matrix, m);
  const centre = Math.floor(m / 2);
  if (matrix[centre * m + centre]! > 1e140) {
    for (let i = 0; i < m * m; i++) matrix[i] = matrix[i]! * 1e-140;
    exponent += 140;
  }
  return { matrix, exponent };
}

function multiply(x: Float64Array, y: Float64Array, m: number): Float64Array {
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const xil = x[i * m + l]!;
      if (xil === 0) continue;
      for (let j = 0; j < m; j++) z[i * m + j] = z[i * m + j]! + xil * y[l * m + j]!;
    }
  }
  return z;
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}
