/**
 * Hawkes self-excitation for cascade analytics (docs/analytics-hawkes.md). Pure functions on event
 * times; the analytics pipeline reads the events and writes the results.
 */
export type { HawkesParams, HawkesWindowOptions } from './event-times.ts';
export { hawkesLogLikelihood, hawkesLogLikelihoodAndGradient } from './log-likelihood.ts';
export type { LogLikelihoodAndGradient } from './log-likelihood.ts';
export { fitHawkes } from './fit.ts';
export type { HawkesFit, HawkesFitOptions, HawkesFitted, HawkesNotFitted } from './fit.ts';
export { compensatorIncrements, ksTestExponential, timeRescalingTest } from './goodness-of-fit.ts';
export type { TimeRescalingTest } from './goodness-of-fit.ts';
export { kolmogorovSmirnovPValue } from './kolmogorov.ts';
export { selfExcitedShare, triggerProbabilities } from './self-excited-share.ts';
export { TIE_RULES, applyTieRule, collapseTies, spreadWithinMillisecond, windowEvents } from './ties.ts';
export type { StampedEvent, TieRule, WindowEvents, WindowSpec } from './ties.ts';
export { tieSensitivity } from './tie-sensitivity.ts';
export type { TieRuleFit, TieSensitivity, TieSensitivityOptions } from './tie-sensitivity.ts';
