import type { OracleSpec } from './scenario-schema.ts';

/** What an oracle saw: the reference (with impact) and the no-impact path at the observation time. */
export interface Observation {
  reference: number;
  exogenous: number;
}

export interface Publication {
  /** Published price (what the venue uses). */
  price: number;
  /** The same transform applied to the no-impact path: the price had no liquidation moved the market. */
  exogenousPrice: number;
  /** The reference the oracle observed. */
  observedReference: number;
  observedAtMs: number;
  /** When the venue starts using it (later than decided under congestion). */
  publishedAtMs: number;
  /** Why it was published. */
  trigger: 'start' | 'heartbeat' | 'deviation';
  /** The thin venue's discount applied (0 = none). */
  depegPct: number;
}

/**
 * One venue's oracle for one market. Each poll it observes its source `lagMs` late and decides to
 * publish when the price moved ≥ deviationPct since the last decision or heartbeatSeconds passed.
 * Faults: no decision at all in a `stale` window; decisions land `delaySeconds` late in a
 * `congestion` window; in a `depeg` window the source is a thin single venue trading below the
 * reference by up to `dropPct` (ramped in and out over `rampSeconds`).
 */
export class OracleFeed {
  private lastDecided: Publication | null = null;
  private readonly queue: Publication[] = [];
  current: Publication | null = null;

  constructor(
    private readonly spec: OracleSpec,
    private readonly depegApplies: boolean,
  ) {}

  /** Discount of the thin venue at scenario time tMs, in %. */
  depegPctAt(tMs: number): number {
    const d = this.spec.depeg;
    if (!d || !this.depegApplies) return 0;
    const t = tMs / 1000;
    const ramp = Math.max(d.rampSeconds, 1e-9);
    if (t < d.fromSecond || t >= d.toSecond + ramp) return 0;
    if (t < d.fromSecond + ramp) return (d.dropPct * (t - d.fromSecond)) / ramp;
    if (t < d.toSecond) return d.dropPct;
    return (d.dropPct * (d.toSecond + ramp - t)) / ramp;
  }

  private inWindow(w: { fromSecond: number; toSecond: number } | undefined, tMs: number): boolean {
    return !!w && tMs >= w.fromSecond * 1000 && tMs < w.toSecond * 1000;
  }

  /**
   * Advances to time tMs. `observe(obsMs)` returns the reference at that time. Returns the
   * publications that land now, oldest first (several can land together after congestion).
   */
  poll(tMs: number, observe: (obsMs: number) => Observation): Publication[] {
    if (!this.inWindow(this.spec.stale, tMs)) {
      const obsMs = Math.max(0, tMs - this.spec.lagMs);
      const obs = observe(obsMs);
      const depegPct = this.depegPctAt(obsMs);
      const k = 1 - depegPct / 100;
      const price = obs.reference * k;
      let trigger: Publication['trigger'] | null = null;
      if (!this.lastDecided) trigger = 'start';
      else if (tMs - this.lastDecided.observedAtMs - this.spec.lagMs >= this.spec.heartbeatSeconds * 1000) trigger = 'heartbeat';
      else if (this.spec.deviationPct > 0 && Math.abs(price / this.lastDecided.price - 1) * 100 >= this.spec.deviationPct) trigger = 'deviation';
      if (trigger) {
        const delay = this.inWindow(this.spec.congestion, tMs) ? this.spec.congestion!.delaySeconds * 1000 : 0;
        const pub: Publication = {
          price,
          exogenousPrice: obs.exogenous * k,
          observedReference: obs.reference,
          observedAtMs: obsMs,
          publishedAtMs: tMs + delay,
          trigger,
          depegPct,
        };
        this.lastDecided = pub;
        this.queue.push(pub);
      }
    }
    const landed: Publication[] = [];
    // publications land in decision order; a delayed one holds back the later ones (one queue, as a congested chain)
    while (this.queue.length > 0 && this.queue[0]!.publishedAtMs <= tMs) landed.push(this.queue.shift()!);
    if (landed.length > 0) this.current = landed[landed.length - 1]!;
    return landed;
  }
}
