/**
 * The same window fitted under every tie rule, so that a report can print n next to how much it moves
 * when same-millisecond fills are counted differently. A spread rule is random, so it is fitted for
 * several seeds and the spread of its n is part of the answer.
 */
import { fitHawkes } from './fit.ts';
import type { HawkesFit, HawkesFitOptions } from './fit.ts';
import { TIE_RULES, windowEvents } from './ties.ts';
import type { StampedEvent, TieRule, WindowSpec } from './ties.ts';

export interface TieRuleFit {
  readonly rule: TieRule;
  /** The spreading seed (null for the deterministic 'millisecond' rule). */
  readonly seed: number | null;
  readonly fit: HawkesFit;
}

export interface TieSensitivity {
  /** The default rule's fit ('millisecond'): the figure to report. */
  readonly primary: HawkesFit;
  readonly fits: readonly TieRuleFit[];
  /** Smallest and largest fitted n over all rules and seeds (null when nothing could be fitted). */
  readonly branchingRatioRange: { readonly min: number; readonly max: number } | null;
}

export interface TieSensitivityOptions extends Omit<HawkesFitOptions, 'history' | 'timeResolution'> {
  /** Rules to compare. Default: all of them. */
  readonly rules?: readonly TieRule[];
  /** Seeds for the spread rules. Default [1, 2, 3]. */
  readonly seeds?: readonly number[];
}

export function tieSensitivity(events: readonly StampedEvent[], window: WindowSpec, options: TieSensitivityOptions = {}): TieSensitivity {
  const rules = options.rules ?? TIE_RULES;
  const seeds = options.seeds ?? [1, 2, 3];
  const fits: TieRuleFit[] = [];
  for (const rule of rules) {
    for (const seed of rule === 'millisecond' ? [null] : seeds) {
      const { times, history, T } = windowEvents(events, window, rule, seed ?? 1);
      fits.push({ rule, seed, fit: fitHawkes(times, T, { ...options, history, timeResolution: 0.001 }) });
    }
  }
  const primary = fits.find((f) => f.rule === 'millisecond')?.fit ?? fitPrimary(events, window, options);
  const ns = fits.map((f) => f.fit.branchingRatio).filter((n): n is number => n !== null);
  return { primary, fits, branchingRatioRange: ns.length === 0 ? null : { min: Math.min(...ns), max: Math.max(...ns) } };
}

function fitPrimary(events: readonly StampedEvent[], window: WindowSpec, options: TieSensitivityOptions): HawkesFit {
  const { times, history, T } = windowEvents(events, window, 'millisecond');
  return fitHawkes(times, T, { ...options, history, timeResolution: 0.001 });
}
