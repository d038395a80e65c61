import type { OracleSpec } from './scenario-schema.ts';

/**
 * What each declared oracle fault (stale, congestion, depeg) did to a venue's price on a market:
 * while the fault can still affect prices (its window plus the tail over which its effect drains:
 * the next heartbeat after a stale window, the delay after congestion, the ramp-out of a depeg),
 * the engine reports every step's deviation of the venue's price in force from the reference, and
 * this keeps the largest and the first and last time it reached the materiality distance.
 */
export type OracleFaultKind = 'stale' | 'congestion' | 'depeg';

export interface OracleFaultObservation {
  venue: string;
  marketIndex: number;
  kind: OracleFaultKind;
  /** Declared window, scenario ms. */
  fromMs: number;
  toMs: number;
  /** End of the tail over which the fault can still move the venue's price, scenario ms (capped at the scenario's end). */
  envelopeEndMs: number;
  maxDeviationPct: number;
  /** First and last step inside the envelope with a deviation ≥ the materiality distance (null: never). */
  materialFromMs: number | null;
  materialToMs: number | null;
}

/** The faults a venue's oracle declares, with the tail of each (see the module comment). */
export function declaredFaults(spec: OracleSpec, durationMs: number): { kind: OracleFaultKind; fromMs: number; toMs: number; envelopeEndMs: number }[] {
  const out: { kind: OracleFaultKind; fromMs: number; toMs: number; envelopeEndMs: number }[] = [];
  const heartbeatMs = spec.heartbeatSeconds * 1000;
  const cap = (ms: number) => Math.min(durationMs, ms);
  if (spec.stale) out.push({ kind: 'stale', fromMs: spec.stale.fromSecond * 1000, toMs: spec.stale.toSecond * 1000, envelopeEndMs: cap(spec.stale.toSecond * 1000 + heartbeatMs + spec.lagMs) });
  if (spec.congestion)
    out.push({
      kind: 'congestion',
      fromMs: spec.congestion.fromSecond * 1000,
      toMs: spec.congestion.toSecond * 1000,
      envelopeEndMs: cap((spec.congestion.toSecond + spec.congestion.delaySeconds) * 1000 + heartbeatMs),
    });
  if (spec.depeg)
    out.push({
      kind: 'depeg',
      fromMs: spec.depeg.fromSecond * 1000,
      toMs: spec.depeg.toSecond * 1000,
      envelopeEndMs: cap((spec.depeg.toSecond + spec.depeg.rampSeconds) * 1000 + heartbeatMs + spec.lagMs),
    });
  return out;
}

export class OracleFaultTracker {
  readonly observation: OracleFaultObservation;

  constructor(
    venue: string,
    marketIndex: number,
    fault: { kind: OracleFaultKind; fromMs: number; toMs: number; envelopeEndMs: number },
    private readonly materialPct: number,
  ) {
    this.observation = { venue, marketIndex, ...fault, maxDeviationPct: 0, materialFromMs: null, materialToMs: null };
  }

  /** One step: the venue's price in force and the reference now. */
  observe(tMs: number, venuePrice: number, reference: number): void {
    const o = this.observation;
    if (tMs < o.fromMs || tMs > o.envelopeEndMs) return;
    const deviationPct = (Math.abs(venuePrice - reference) / reference) * 100;
    if (deviationPct > o.maxDeviationPct) o.maxDeviationPct = deviationPct;
    if (deviationPct >= this.materialPct) {
      if (o.materialFromMs === null) o.materialFromMs = tMs;
      o.materialToMs = tMs;
    }
  }
}
