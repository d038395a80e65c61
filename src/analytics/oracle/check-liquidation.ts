import type { LiquidationFacts, PositionAtLiquidation, VenueMarginRules, VenuePrice } from '../../pipeline/margin-rules.ts';
import { isUnknowable } from '../../pipeline/margin-rules.ts';
import { hasReference, type NoReference, type ReferenceQuote } from './reference.ts';

/**
 * The verdict on one liquidation (pure). At the reference price, the position's cushion (equity −
 * maintenance, by the venue's own rules) says whether the venue's price was needed to liquidate it:
 *
 * - `distance` = the % adverse move from the reference to the position's threshold (> 0: solvent at the
 *   reference). Rules are linear in the price for an isolated position, so the threshold price is found
 *   from the cushion at two prices.
 * - The distance is taken at the reference as it stood at the liquidation and at the reference just after
 *   it, once its sources had published again (a reference a few seconds old is not the market after a gap
 *   of a few %). `erroneous` when both distances are ≥ the tolerance, `justified` when both are ≤ −the
 *   tolerance, `borderline` otherwise (reason `reference_moved` when the two disagree outright); the
 *   tolerance is the configured one widened to the reference sources' own disagreement.
 * - `unknown`, with the reason, when there is no reference, no venue price, no margin rules for the venue,
 *   or the row lacks the position's state (cross margin): never a guess.
 *
 * The venue did liquidate, so its rules said the cushion at its own price was ≤ 0. When the modelled
 * cushion there is positive, costs the row does not carry (borrowing and funding fees accrued) were at
 * least that large; the same amount is taken off at the reference (`calibrated_to_venue`).
 *
 * Dollars lost (erroneous only): what the account would have had, closing at the reference price (its
 * equity there, fees of closing included; the lower of the two references), minus what it kept after the
 * liquidation.
 */
export interface CheckInput {
  facts: LiquidationFacts;
  rules: VenueMarginRules<unknown> | undefined;
  ruleParams: unknown;
  reference: ReferenceQuote | NoReference;
  /** The reference just after the liquidation, once its sources published again (null: not looked up). */
  referenceAfter?: ReferenceQuote | NoReference | null;
  /** How long after the liquidation `referenceAfter` stood. */
  referenceAfterDelayS?: number | null;
  /** When the venue's price was the market's (its oracle row's own time), if known. */
  venuePriceTime: Date | null;
  /** The venue feed's heartbeat, if configured. */
  venueHeartbeatS: number | null;
  tolerancePct: number;
  heartbeatGrace: number;
}

export interface CheckResult {
  venuePrice: number | null;
  venuePriceKind: VenuePrice['kind'] | null;
  venuePriceTime: Date | null;
  venuePriceStalenessS: number | null;
  venueHeartbeatS: number | null;
  venuePriceStale: boolean | null;
  referencePrice: number | null;
  referenceMethod: string | null;
  referenceSources: unknown[];
  referenceAgeS: number | null;
  referenceDispersionPct: number | null;
  referenceAfterPrice: number | null;
  referenceAfterDelayS: number | null;
  deviationBps: number | null;
  equityAtReferenceUsd: number | null;
  maintenanceAtReferenceUsd: number | null;
  equityAtVenuePriceUsd: number | null;
  maintenanceAtVenuePriceUsd: number | null;
  thresholdPrice: number | null;
  distanceToThresholdPct: number | null;
  distanceAfterPct: number | null;
  tolerancePct: number;
  verdict: 'erroneous' | 'borderline' | 'justified' | 'unknown';
  reason: string | null;
  detail: string | null;
  keptUsd: number | null;
  dollarsLostUsd: number | null;
  notes: string[];
}

export function checkLiquidation(input: CheckInput): CheckResult {
  const { facts, rules, reference } = input;
  const after = input.referenceAfter ?? null;
  const notes: string[] = [];
  const result: CheckResult = {
    venuePrice: null,
    venuePriceKind: null,
    venuePriceTime: null,
    venuePriceStalenessS: null,
    venueHeartbeatS: input.venueHeartbeatS,
    venuePriceStale: null,
    referencePrice: null,
    referenceMethod: null,
    referenceSources: [],
    referenceAgeS: null,
    referenceDispersionPct: null,
    referenceAfterPrice: null,
    referenceAfterDelayS: input.referenceAfterDelayS ?? null,
    deviationBps: null,
    equityAtReferenceUsd: null,
    maintenanceAtReferenceUsd: null,
    equityAtVenuePriceUsd: null,
    maintenanceAtVenuePriceUsd: null,
    thresholdPrice: null,
    distanceToThresholdPct: null,
    distanceAfterPct: null,
    tolerancePct: input.tolerancePct,
    verdict: 'unknown',
    reason: null,
    detail: null,
    keptUsd: null,
    dollarsLostUsd: null,
    notes,
  };
  const unknown = (reason: string, detail: string): CheckResult => Object.assign(result, { verdict: 'unknown' as const, reason, detail });

  const quotes = [reference, after].filter((q): q is ReferenceQuote => q !== null && hasReference(q));
  if (hasReference(reference)) {
    result.referencePrice = reference.price;
    result.referenceMethod = reference.method;
    result.referenceSources = reference.sources;
    result.referenceAgeS = reference.ageS;
    result.referenceDispersionPct = reference.dispersionPct;
  } else if (after && hasReference(after)) {
    // nothing usable at the liquidation: the reference just after it stands in (its sources say when)
    notes.push('reference_after_only');
    result.referenceMethod = after.method;
    result.referenceSources = after.sources;
  }
  if (after && hasReference(after)) result.referenceAfterPrice = after.price;
  for (const q of quotes) result.tolerancePct = Math.max(result.tolerancePct, q.dispersionPct);

  if (!rules) return unknown('no_margin_rules', `no margin rules for venue ${facts.venue}: the price that triggered it and the position's equity are not known`);

  const trigger = rules.triggerPrice(facts);
  if (isUnknowable(trigger)) return unknown(trigger.unknown, trigger.detail);
  result.venuePrice = trigger.price;
  result.venuePriceKind = trigger.kind;
  const priceTime = trigger.observedAt ?? input.venuePriceTime;
  if (priceTime) {
    result.venuePriceTime = priceTime;
    result.venuePriceStalenessS = Math.max(0, (facts.time.getTime() - priceTime.getTime()) / 1000);
    if (input.venueHeartbeatS !== null) result.venuePriceStale = result.venuePriceStalenessS > input.venueHeartbeatS * (1 + input.heartbeatGrace);
  }

  if (quotes.length === 0) {
    const missing = hasReference(reference) ? (after as NoReference) : reference;
    return unknown(missing.unavailable, missing.detail);
  }
  const ref = quotes[0]!.price;
  result.deviationBps = ((trigger.price - ref) / ref) * 10_000;

  const position = rules.position(facts, input.ruleParams);
  if (isUnknowable(position)) return unknown(position.unknown, position.detail);
  notes.push(...position.notes);
  if (facts.side === null) return unknown('no_side', 'the row does not say whether the position was long or short');
  const side = facts.side;

  const cushion = (p: number) => position.equityAt(p) - position.maintenanceAt(p);
  // Costs the row does not show, at least as large as the cushion the model finds where the venue liquidated.
  const unseen = Math.max(0, cushion(trigger.price));
  if (unseen > 0) notes.push('calibrated_to_venue');
  result.equityAtVenuePriceUsd = position.equityAt(trigger.price) - unseen;
  result.maintenanceAtVenuePriceUsd = position.maintenanceAt(trigger.price);
  result.equityAtReferenceUsd = position.equityAt(ref) - unseen;
  result.maintenanceAtReferenceUsd = position.maintenanceAt(ref);
  const threshold = thresholdPrice(position, ref, unseen);
  result.thresholdPrice = threshold;
  result.keptUsd = position.keptUsd;

  const distances = quotes.map((q) => distancePct(side, q.price, cushion(q.price) - unseen, threshold));
  result.distanceToThresholdPct = distances[0]!;
  if (quotes.length === 2) result.distanceAfterPct = distances[1]!;
  // The verdict must hold at the reference as it stood at the liquidation and just after, once its
  // sources had published again: a reference a few seconds old in a fast market is not the market.
  const least = Math.min(...distances);
  const most = Math.max(...distances);
  const tolerance = result.tolerancePct;
  if (least >= tolerance) {
    result.verdict = 'erroneous';
    const equity = Math.min(...quotes.map((q) => position.equityAt(q.price) - unseen));
    result.dollarsLostUsd = Math.max(0, Math.max(0, equity) - position.keptUsd);
  } else if (most <= -tolerance) {
    result.verdict = 'justified';
  } else {
    result.verdict = 'borderline';
    if (least <= -tolerance || most >= tolerance) {
      result.reason = 'reference_moved';
      result.detail = 'the verdicts at the reference at the liquidation and just after it differ';
    }
  }
  return result;
}

/** The price where the cushion is zero (linear rules: two evaluations suffice), or null if it does not depend on price. */
function thresholdPrice(position: PositionAtLiquidation, ref: number, unseen: number): number | null {
  const c = (p: number) => position.equityAt(p) - position.maintenanceAt(p) - unseen;
  const p2 = ref * 1.01;
  const slope = (c(p2) - c(ref)) / (p2 - ref);
  if (!Number.isFinite(slope) || slope === 0) return null;
  const price = ref - c(ref) / slope;
  return price > 0 ? price : 0;
}

/** % adverse move from the reference to the threshold: positive when the position was solvent at the reference. */
function distancePct(side: 'long' | 'short', ref: number, cushionRef: number, threshold: number | null): number {
  if (threshold === null) return cushionRef > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const adverse = side === 'long' ? ref - threshold : threshold - ref;
  return (100 * adverse) / ref;
}
