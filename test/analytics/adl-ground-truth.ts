import type { GroundTruth, GtAdl } from '../../src/sim/ground-truth.ts';
import { storeTimeMs, storeVenue } from '../helpers/sim-store.ts';

/**
 * ADL waves computed straight from a simulation's ground truth (its ADL fills, marks, positions and
 * the liquidated accounts' equity), for test/analytics/adl-waves*.test.ts to compare the step with.
 * Written from the definitions in docs/analytics.md ("ADL waves"), not from the step's SQL: plain
 * loops over the ground truth's records, floats where the step keeps NUMERIC.
 */
export interface ExpectedWave {
  venue: string;
  startMs: number;
  endMs: number;
  fills: number;
  accounts: number;
  liquidatedAccounts: number;
  assets: string[];
  notionalUsd: number;
  longUsd: number;
  shortUsd: number;
  /** Σ |mark − exec| · |q| over the wave's fills. */
  neededBudgetUsd: number;
  realisedPnlUsd: number;
  /** Σ over liquidated accounts of max(0, −their lowest equity in the wave); null when the fills name none. */
  losersDeficitUsd: number | null;
  /** Σ over deleveraged accounts of max(0, Σ side·q·(last mark of the asset in the wave − exec)). */
  haircutUsd: number;
  /** Fills-weighted mean over batches of ≥ 3 fills of Spearman's ρ (pick order vs ranking score); null without such a batch. */
  rankingSpearman: number | null;
  rankingBatches: number;
  rankingFills: number;
}

export type RankingRule = 'pnl_usd' | 'profit_pct';

export interface GtFill {
  gt: GtAdl;
  venue: string;
  timeMs: number;
  /** Position in the ground truth's event order: the order the venue picked accounts in. */
  order: number;
}

/** The ground truth's ADL fills with the venue and time they have in the store, per venue, in time order. */
export function fillsByVenue(gt: GroundTruth): Map<string, GtFill[]> {
  const out = new Map<string, GtFill[]>();
  gt.adlEvents.forEach((a, order) => {
    const venue = storeVenue(gt, a.venue);
    const list = out.get(venue) ?? [];
    list.push({ gt: a, venue, timeMs: storeTimeMs(gt, a), order });
    out.set(venue, list);
  });
  for (const list of out.values()) list.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  return out;
}

/** Splits time-ordered fills where the gap to the previous fill exceeds `gapMs`. */
export function splitWaves(fills: readonly GtFill[], gapMs: number): GtFill[][] {
  const waves: GtFill[][] = [];
  let previous: number | null = null;
  for (const f of fills) {
    if (previous === null || f.timeMs - previous > gapMs) waves.push([]);
    waves[waves.length - 1]!.push(f);
    previous = f.timeMs;
  }
  return waves;
}

/**
 * The expected waves of every venue. `rankings` names each venue's documented ranking; the score of
 * 'profit_pct' is the position's profit at the fill's mark relative to its entry (mark/entry − 1 for
 * a long, entry/mark − 1 for a short), with the entry taken from the ground truth's positions.
 */
export function expectedWaves(gt: GroundTruth, gapMs: number, rankings: Record<string, RankingRule>): ExpectedWave[] {
  const entries = new Map(gt.positions.map((p) => [p.id, Number(p.entryPrice)]));
  const out: ExpectedWave[] = [];
  for (const [venue, fills] of fillsByVenue(gt)) {
    for (const wave of splitWaves(fills, gapMs)) out.push(summarise(venue, wave, rankings[venue] ?? null, entries));
  }
  return out.sort((a, b) => a.venue.localeCompare(b.venue) || a.startMs - b.startMs);
}

function summarise(venue: string, wave: GtFill[], rule: RankingRule | null, entries: Map<string, number>): ExpectedWave {
  const sum = (f: (x: GtFill) => number) => wave.reduce((s, x) => s + f(x), 0);
  const usd = (x: GtFill) => Number(x.gt.sizeUsd);
  const liquidated = new Map<string, number | null>();
  for (const x of wave) {
    const who = x.gt.liquidatedAccount;
    if (who === null) continue;
    const equity = x.gt.liquidatedEquityUsd === null ? null : Number(x.gt.liquidatedEquityUsd);
    const low = liquidated.get(who);
    liquidated.set(who, low === undefined ? equity : low === null || equity === null ? null : Math.min(low, equity));
  }
  const lows = [...liquidated.values()];
  const losersDeficitUsd = lows.length === 0 || lows.some((v) => v === null) ? null : lows.reduce<number>((s, v) => s + Math.max(0, -v!), 0);

  // the last mark of each asset in the wave (latest fill; same time: the later pick)
  const lastMark = new Map<string, { timeMs: number; order: number; mark: number }>();
  for (const x of wave) {
    const seen = lastMark.get(x.gt.market);
    if (!seen || x.timeMs > seen.timeMs || (x.timeMs === seen.timeMs && x.order > seen.order)) lastMark.set(x.gt.market, { timeMs: x.timeMs, order: x.order, mark: Number(x.gt.markPrice) });
  }
  const lostByAccount = new Map<string, number>();
  for (const x of wave) {
    const sign = x.gt.side === 'long' ? 1 : -1;
    const lost = sign * Number(x.gt.size) * (lastMark.get(x.gt.market)!.mark - Number(x.gt.price));
    lostByAccount.set(x.gt.account, (lostByAccount.get(x.gt.account) ?? 0) + lost);
  }

  const ranking = rule === null ? { rho: null, batches: 0, fills: 0 } : rankingCheck(wave, rule, entries);
  return {
    venue,
    startMs: wave[0]!.timeMs,
    endMs: wave[wave.length - 1]!.timeMs,
    fills: wave.length,
    accounts: new Set(wave.map((x) => x.gt.account)).size,
    liquidatedAccounts: liquidated.size,
    assets: [...new Set(wave.map((x) => x.gt.market))].sort(),
    notionalUsd: sum(usd),
    longUsd: sum((x) => (x.gt.side === 'long' ? usd(x) : 0)),
    shortUsd: sum((x) => (x.gt.side === 'short' ? usd(x) : 0)),
    neededBudgetUsd: sum((x) => Math.abs(Number(x.gt.markPrice) - Number(x.gt.price)) * Math.abs(Number(x.gt.size))),
    realisedPnlUsd: sum((x) => Number(x.gt.pnlUsd)),
    losersDeficitUsd,
    haircutUsd: [...lostByAccount.values()].reduce((s, v) => s + Math.max(0, v), 0),
    rankingSpearman: ranking.rho,
    rankingBatches: ranking.batches,
    rankingFills: ranking.fills,
  };
}

/** Batches: one liquidated position's fills (same time, asset, side and liquidated account). */
function rankingCheck(wave: GtFill[], rule: RankingRule, entries: Map<string, number>): { rho: number | null; batches: number; fills: number } {
  const batches = new Map<string, GtFill[]>();
  for (const x of wave) {
    const key = `${x.timeMs}|${x.gt.market}|${x.gt.side}|${x.gt.liquidatedAccount ?? ''}`;
    const list = batches.get(key) ?? [];
    list.push(x);
    batches.set(key, list);
  }
  let weighted = 0;
  let fills = 0;
  let counted = 0;
  for (const batch of batches.values()) {
    if (batch.length < 3) continue;
    const picked = [...batch].sort((a, b) => a.order - b.order);
    const scores = picked.map((x) => score(x.gt, rule, entries));
    const rho = spearman(picked.map((_, i) => i + 1), averageRanksDescending(scores));
    if (rho === null) continue;
    weighted += rho * batch.length;
    fills += batch.length;
    counted += 1;
  }
  return { rho: fills === 0 ? null : weighted / fills, batches: counted, fills };
}

function score(a: GtAdl, rule: RankingRule, entries: Map<string, number>): number {
  if (rule === 'pnl_usd') return Number(a.pnlUsd);
  const entry = entries.get(a.positionId);
  if (entry === undefined) throw new Error(`ground truth has no position ${a.positionId}`);
  const mark = Number(a.markPrice);
  return a.side === 'long' ? mark / entry - 1 : entry / mark - 1;
}

/** Rank 1 = highest score; tied scores share the mean of their ranks. */
export function averageRanksDescending(scores: readonly number[]): number[] {
  const order = scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s);
  const ranks = new Array<number>(scores.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.s === order[start]!.s) end++;
    const mean = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = mean;
    start = end + 1;
  }
  return ranks;
}

/** Pearson's correlation of two rank vectors (Spearman's ρ); null when either is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Per venue and gap: the number of waves and the largest wave's fills. */
export function expectedSweep(gt: GroundTruth, gapsMs: readonly number[]): { venue: string; gapMs: number; waves: number; maxFills: number }[] {
  const out: { venue: string; gapMs: number; waves: number; maxFills: number }[] = [];
  for (const [venue, fills] of fillsByVenue(gt)) {
    for (const gapMs of gapsMs) {
      const waves = splitWaves(fills, gapMs);
      out.push({ venue, gapMs, waves: waves.length, maxFills: Math.max(...waves.map((w) => w.length)) });
    }
  }
  return out.sort((a, b) => a.venue.localeCompare(b.venue) || a.gapMs - b.gapMs);
}
