/**
 * How much of a window's activity was self-excited. Under the branching (cluster) view of a Hawkes
 * process each event is either background (rate μ) or triggered by an earlier event (rate α·Aᵢ), so the
 * probability that event i was triggered is α·Aᵢ / (μ + α·Aᵢ). Their mean is the expected share of
 * triggered events in this window: "the share of self-excited liquidations" of a report. For a long
 * stationary stream it approaches the branching ratio n; in a short window it says what happened in that
 * window rather than what the process would do on average.
 */
import { checkEventTimes, checkHistory, checkParams } from './event-times.ts';
import type { HawkesParams, HawkesWindowOptions } from './event-times.ts';
import { carriedExcitation } from './log-likelihood.ts';

/** P(event i was triggered by an earlier event), for every event. */
export function triggerProbabilities(times: ArrayLike<number>, T: number, params: HawkesParams, options: HawkesWindowOptions = {}): Float64Array {
  checkEventTimes(times, T, 'triggerProbabilities');
  checkParams(params, 'triggerProbabilities');
  checkHistory(options.history, 'triggerProbabilities');
  const { mu, alpha, beta } = params;
  const out = new Float64Array(times.length);
  // Excitation just after the previous event (before the first: what history carries in).
  let excitation = carriedExcitation(options.history ?? [], beta).r0;
  let previous = 0;
  for (let i = 0; i < times.length; i++) {
    const a = excitation * Math.exp(-beta * (times[i]! - previous));
    out[i] = (alpha * a) / (mu + alpha * a);
    excitation = a + 1;
    previous = times[i]!;
  }
  return out;
}

/** Expected share of the window's events that were triggered by earlier events; null without events. */
export function selfExcitedShare(times: ArrayLike<number>, T: number, params: HawkesParams, options: HawkesWindowOptions = {}): number | null {
  const p = triggerProbabilities(times, T, params, options);
  if (p.length === 0) return null;
  let sum = 0;
  for (const v of p) sum += v;
  return sum / p.length;
}
