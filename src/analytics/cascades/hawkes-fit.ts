import { selfExcitedShare, tieSensitivity, timeRescalingTest, windowEvents } from '../hawkes/index.ts';
import type { StampedEvent, TieRule } from '../hawkes/index.ts';
import type { HawkesParams } from '../params.ts';

/** The Hawkes columns of a cascade (docs/analytics.md, "Hawkes self-excitation"). */
export interface CascadeHawkes {
  status: 'fitted' | 'not-fitted' | 'disabled';
  tieRule: TieRule;
  events: number | null;
  mu: number | null;
  alpha: number | null;
  beta: number | null;
  n: number | null;
  logLikelihood: number | null;
  ksP: number | null;
  nMin: number | null;
  nMax: number | null;
  selfExcitedShare: number | null;
  note: string | null;
}

/**
 * Fits the cascade's liquidations (fills, stamped in ms, with the liquidated account) in the window
 * [startMs, endMs], with the liquidations of the lookback before it as history, under the configured
 * tie rule, and the tie-rule sensitivity (every rule, every seed of the spread rules). A rule that would
 * give more than `maxEvents` events is skipped (its cost grows with the events) and said so in `note`.
 */
export function fitCascadeHawkes(fills: readonly StampedEvent[], window: { startMs: number; endMs: number }, params: HawkesParams): CascadeHawkes {
  const empty: CascadeHawkes = {
    status: 'disabled', tieRule: params.tieRule, events: null, mu: null, alpha: null, beta: null, n: null,
    logLikelihood: null, ksP: null, nMin: null, nMax: null, selfExcitedShare: null, note: null,
  };
  if (!params.enabled) return { ...empty, note: 'disabled in the configuration (analytics.cascades.hawkes.enabled)' };
  const spec = { startMs: window.startMs, endMs: window.endMs + 1, lookbackMs: params.lookbackSeconds * 1000 };
  const inWindow = fills.filter((f) => f.timeMs >= spec.startMs - spec.lookbackMs && f.timeMs < spec.endMs);
  const counts: Record<TieRule, number> = {
    millisecond: new Set(inWindow.map((f) => f.timeMs)).size,
    'account-millisecond-spread': new Set(inWindow.map((f) => `${f.timeMs}:${f.account}`)).size,
    'fill-spread': inWindow.length,
  };
  const rules = (['millisecond', 'account-millisecond-spread', 'fill-spread'] as const).filter((r) => counts[r] <= params.maxEvents);
  const skipped = (['millisecond', 'account-millisecond-spread', 'fill-spread'] as const).filter((r) => counts[r] > params.maxEvents);
  const notes = skipped.map((r) => `${r} not fitted: ${counts[r]} events > maxEvents ${params.maxEvents}`);
  if (!rules.includes(params.tieRule)) return { ...empty, status: 'not-fitted', events: counts[params.tieRule], note: notes.join('; ') };

  const sensitivity = tieSensitivity(fills, spec, { rules, seeds: params.seeds, minEvents: params.minEvents });
  const chosen = sensitivity.fits.find((f) => f.rule === params.tieRule && (f.seed === null || f.seed === params.seeds[0]))!;
  const fit = chosen.fit;
  const range = sensitivity.branchingRatioRange;
  if (fit.status !== 'fitted') {
    return { ...empty, status: 'not-fitted', events: fit.events, mu: fit.mu, logLikelihood: fit.logLikelihood, nMin: range?.min ?? null, nMax: range?.max ?? null, note: [fit.reason, ...notes].join('; ') };
  }
  const { times, history, T } = windowEvents(fills, spec, params.tieRule, chosen.seed ?? 1);
  const model = { mu: fit.mu, alpha: fit.alpha, beta: fit.beta };
  return {
    status: 'fitted',
    tieRule: params.tieRule,
    events: fit.events,
    mu: fit.mu,
    alpha: fit.alpha,
    beta: fit.beta,
    n: fit.branchingRatio,
    logLikelihood: fit.logLikelihood,
    ksP: timeRescalingTest(times, T, model, { history }).pValue,
    nMin: range?.min ?? null,
    nMax: range?.max ?? null,
    selfExcitedShare: selfExcitedShare(times, T, model, { history }),
    note: [...fit.warnings, ...notes].join('; ') || null,
  };
}
