/**
 * The price impact liquidations leave on each market's reference, as a log offset from the
 * exogenous (no-impact) path that decays back toward it with `resilienceSeconds` (arbitrage), and
 * the ledger of who caused it, for the ground truth's causal links.
 */
export interface Contribution {
  /** The fill that caused it (set once the fill record has an id). */
  id: string;
  /** Its account liquidation. */
  groupId: string;
  tMs: number;
  /** log(price with it / price without it) when it happened. */
  log: number;
}

/** Impact older than this many resilience time constants weighs e^-40 of its start: dropped from the ledger. */
const HORIZON_TAUS = 40;

export class ImpactLedger {
  private readonly impactLog: number[];
  private readonly ledger: Contribution[][];
  private readonly decayPerStep: number;

  constructor(
    markets: number,
    /** Resilience time constant, ms. */
    private readonly tauMs: number,
    stepMs: number,
  ) {
    this.impactLog = new Array<number>(markets).fill(0);
    this.ledger = Array.from({ length: markets }, () => []);
    this.decayPerStep = Math.exp(-stepMs / tauMs);
  }

  /** The impact on market mi now (log units). */
  log(mi: number): number {
    return this.impactLog[mi]!;
  }

  add(mi: number, log: number, id: string, groupId: string, tMs: number): Contribution {
    const contribution = { id, groupId, tMs, log };
    this.impactLog[mi]! += log;
    this.ledger[mi]!.push(contribution);
    return contribution;
  }

  /** Start of step `step` at tMs: the impact decays one step (not at step 0) and the ledger drops what has faded. */
  decay(mi: number, step: number, tMs: number): void {
    if (step > 0) this.impactLog[mi]! *= this.decayPerStep;
    const list = this.ledger[mi]!;
    if (list.length > 0 && Math.abs(this.impactLog[mi]!) < 1e-9) list.length = 0;
    // contributions arrive in time order: drop the prefix whose impact has decayed to nothing
    let old = 0;
    while (old < list.length && tMs - list[old]!.tMs > HORIZON_TAUS * this.tauMs) old++;
    if (old > 0) list.splice(0, old);
  }

  contributions(mi: number): readonly Contribution[] {
    return this.ledger[mi]!;
  }

  /** A contribution's log impact as an oracle observing at obsMs saw it (0 if it came later). */
  decayedAt(c: Contribution, obsMs: number): number {
    return c.tMs < obsMs ? c.log * Math.exp(-(obsMs - c.tMs) / this.tauMs) : 0;
  }
}
