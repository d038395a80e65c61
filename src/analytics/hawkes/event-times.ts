/**
 * Input checks shared by every Hawkes function. Times are seconds (floats) relative to the window start,
 * so a window is [0, T]. Checked once at the public entry points; the optimiser's inner loop evaluates
 * the likelihood unchecked (the checks are O(n) and would double the cost of an evaluation).
 */

export interface HawkesParams {
  /** Background rate μ (events per second). */
  readonly mu: number;
  /** Jump of the intensity after each event α (per second); the kernel is α·e^(−β·lag). */
  readonly alpha: number;
  /** Decay rate β (per second); 1/β is the kernel's time scale. */
  readonly beta: number;
}

export interface HawkesWindowOptions {
  /**
   * Events before the window (times ≤ 0, seconds relative to the window start, any order). Their
   * excitation, decayed to the window start, raises the intensity inside the window: a window that
   * starts in the middle of a cascade must not be treated as if it started calm.
   */
  readonly history?: readonly number[];
}

/** Throws a clear error unless `T` is a finite number ≥ 0. */
export function checkWindowLength(T: number, where: string): void {
  if (typeof T !== 'number' || !Number.isFinite(T) || T < 0) throw new Error(`${where}: window length T must be a finite number >= 0 (seconds), got ${T}`);
}

/** Throws a clear error naming the first bad index unless `times` is finite, non-decreasing and inside [0, T]. */
export function checkEventTimes(times: ArrayLike<number>, T: number, where: string): void {
  checkWindowLength(T, where);
  let previous = 0;
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`${where}: times[${i}] is not a finite number (${t})`);
    if (t < 0 || t > T) throw new Error(`${where}: times[${i}] = ${t} is outside the window [0, ${T}] (times are seconds from the window start)`);
    if (t < previous) throw new Error(`${where}: times must be sorted ascending, but times[${i}] = ${t} < times[${i - 1}] = ${previous}`);
    previous = t;
  }
}

export function checkHistory(history: readonly number[] | undefined, where: string): void {
  if (history === undefined) return;
  for (let i = 0; i < history.length; i++) {
    const h = history[i]!;
    if (typeof h !== 'number' || !Number.isFinite(h) || h > 0) throw new Error(`${where}: history[${i}] = ${h} must be a finite time <= 0 (before the window start)`);
  }
}

export function checkParams(params: HawkesParams, where: string): void {
  const { mu, alpha, beta } = params;
  if (!(Number.isFinite(mu) && mu > 0)) throw new Error(`${where}: mu must be a finite number > 0, got ${mu}`);
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new Error(`${where}: alpha must be a finite number >= 0, got ${alpha}`);
  if (!(Number.isFinite(beta) && beta > 0)) throw new Error(`${where}: beta must be a finite number > 0, got ${beta}`);
}
