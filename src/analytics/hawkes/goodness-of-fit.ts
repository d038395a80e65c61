/**
 * Goodness of fit by time rescaling (Brown et al. 2002; Ogata 1988): if the model is right, the
 * compensator Λ(t) = ∫₀ᵗ λ(s) ds maps the events to a unit-rate Poisson process, so the increments
 * Λ(tᵢ₋₁, tᵢ) are i.i.d. Exp(1). A Kolmogorov–Smirnov test of the increments against Exp(1) then says
 * whether the fitted μ, α, β explain the timing of the events, not only their number.
 *
 * With the exponential kernel each increment has a closed form:
 *   Λ(tᵢ₋₁, tᵢ) = μ·Δᵢ + (α/β)·Sᵢ₋₁·(1 − e^(−βΔᵢ)),   Sᵢ₋₁ = excitation just after tᵢ₋₁ (= 1 + Aᵢ₋₁)
 * with t₀ = 0 and S₀ = R₀, the excitation carried in from before the window.
 *
 * Caveat: when μ, α, β were fitted on the same events, the KS p-value is conservative (too high), as for
 * any KS test with estimated parameters; a low p-value is still a real rejection.
 */
import { checkEventTimes, checkHistory, checkParams } from './event-times.ts';
import type { HawkesParams, HawkesWindowOptions } from './event-times.ts';
import { kolmogorovSmirnovPValue } from './kolmogorov.ts';
import { carriedExcitation } from './log-likelihood.ts';

export interface TimeRescalingTest {
  /** Number of increments tested (one per event). */
  readonly n: number;
  /** KS statistic sup |Fₙ − F_Exp(1)| of the increments. */
  readonly statistic: number;
  /** Two-sided p-value: small means the model does not explain the event times. */
  readonly pValue: number;
  /** Mean increment; 1 under the model (a mean far from 1 means the level of the intensity is wrong). */
  readonly meanIncrement: number;
}

/** The increments Λ(tᵢ₋₁, tᵢ), i = 1..N, of the compensator between consecutive events (t₀ = 0). */
export function compensatorIncrements(times: ArrayLike<number>, T: number, params: HawkesParams, options: HawkesWindowOptions = {}): Float64Array {
  checkEventTimes(times, T, 'compensatorIncrements');
  checkParams(params, 'compensatorIncrements');
  checkHistory(options.history, 'compensatorIncrements');
  const { mu, alpha, beta } = params;
  const out = new Float64Array(times.length);
  let excitation = carriedExcitation(options.history ?? [], beta).r0;
  let previous = 0;
  for (let i = 0; i < times.length; i++) {
    const gap = times[i]! - previous;
    // −expm1 keeps precision for βΔ ≪ 1, where 1 − e^(−βΔ) would cancel.
    out[i] = mu * gap + (alpha / beta) * excitation * -Math.expm1(-beta * gap);
    excitation = excitation * Math.exp(-beta * gap) + 1;
    previous = times[i]!;
  }
  return out;
}

/** KS test of the compensator increments against Exp(1). Needs at least one event. */
export function timeRescalingTest(times: ArrayLike<number>, T: number, params: HawkesParams, options: HawkesWindowOptions = {}): TimeRescalingTest {
  const increments = compensatorIncrements(times, T, params, options);
  if (increments.length === 0) throw new Error('timeRescalingTest: no events in the window, nothing to test');
  return ksTestExponential(increments);
}

/** One-sample KS test of `values` against Exp(1). */
export function ksTestExponential(values: ArrayLike<number>): TimeRescalingTest {
  const n = values.length;
  if (n === 0) throw new Error('ksTestExponential: no values');
  const sorted = Float64Array.from(values).sort();
  let statistic = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    sum += x;
    const cdf = x <= 0 ? 0 : -Math.expm1(-x);
    statistic = Math.max(statistic, (i + 1) / n - cdf, cdf - i / n);
  }
  return { n, statistic, pValue: kolmogorovSmirnovPValue(statistic, n), meanIncrement: sum / n };
}
