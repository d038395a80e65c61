import type { StageParams } from '../params.ts';
import type { AdverseMove } from '../prices/price-path.ts';

/**
 * The stages of one cascade (docs/analytics.md, "Stages"), each with the figures that justify it. A
 * stage the data gives no evidence for is absent, and the reason is returned in `absent` (the cascade
 * row keeps it in `notes`). Pure: every input is computed elsewhere.
 */
export type StageName = 'trigger' | 'price_move' | 'liquidity_withdrawal' | 'liquidity_void' | 'cross_margin_failure' | 'adl' | 'exhaustion' | 'recovery';

export interface Stage {
  stage: StageName;
  startMs: number;
  endMs: number;
  evidence: Record<string, unknown>;
}

export interface AssetMoves {
  asset: string;
  /** The adverse move before the first liquidation, within the trigger lookback (null: no prices). */
  before: AdverseMove | null;
  /** The largest adverse move from the lookback before the cascade to its end. */
  adverse: AdverseMove | null;
  recoveredPct: number | null;
  recoveredAt: number | null;
}

export interface StageInputs {
  startMs: number;
  endMs: number;
  firstLiquidations: { count: number; usd: number; venues: string[]; assets: string[]; firstMs: number };
  /** Liquidated notional per second from the cascade's first second (index 0) to its last. */
  liquidatedUsdPerSecond: Float64Array;
  moves: AssetMoves[];
  /** The asset whose liquidation started the cascade. */
  firstAsset: string | null;
  liquidity:
    | {
        fromSecond: number;
        index: Float64Array;
        /** The index at the baseline's own sample times, ascending: how far noise alone takes it. */
        baselineIndex: readonly number[];
        /** The baseline had to keep earlier cascades (too little trading without them). */
        baselineHasCascades: boolean;
        /** The peak is looked for in index[peakFrom, peakWithin): the stages' cause lies within the cascade. */
        peakFrom: number;
        peakWithin: number;
        assetsCounted: Uint8Array;
        baselineFromMs: number;
        baselineToMs: number;
        /** Per asset: trading figures for the evidence (baseline vs a span), computed on demand. */
        describe(fromSecond: number, toSecond: number): Record<string, unknown>;
      }
    | { absent: string };
  crossMargin: { accounts: number; positions: number; usd: number; firstMs: number; lastMs: number; examples: unknown[] } | null;
  adl: { fills: number; usd: number; accounts: number; venues: string[]; firstMs: number; lastMs: number } | null;
}

/** The illiquidity index's figures behind the liquidity stages, claimed or not (kept in the cascade's notes). */
export interface LiquidityFigures {
  peakIndex: number | null;
  peakTime: string | null;
  baselineIndexP95: number | null;
  withdrawalThreshold: number;
  voidThreshold: number;
  baselineIncludesEarlierCascades: boolean;
}

export function detectStages(input: StageInputs, params: StageParams): { stages: Stage[]; absent: Partial<Record<StageName, string>>; liquidity: LiquidityFigures | null } {
  const stages: Stage[] = [];
  const absent: Partial<Record<StageName, string>> = {};
  let liquidityFigures: LiquidityFigures | null = null;
  const round = (x: number, digits = 4) => Number(x.toPrecision(digits));
  const iso = (second: number) => new Date(second * 1000).toISOString();

  // Trigger: the first liquidations (the cascade's first bucket) and the adverse move before them.
  const first = input.firstLiquidations;
  const triggerMove = input.moves.find((m) => m.asset === input.firstAsset)?.before ?? null;
  const moveBefore: Record<string, unknown> = {};
  for (const m of input.moves) {
    if (m.before) moveBefore[m.asset] = { pct: round(m.before.pct), from: m.before.from.price, fromTime: iso(m.before.from.second), to: m.before.to.price };
  }
  const triggerStart = triggerMove ? Math.min(triggerMove.from.second * 1000, first.firstMs) : first.firstMs;
  stages.push({
    stage: 'trigger',
    startMs: triggerStart,
    endMs: Math.min(input.endMs, first.firstMs + params.bucketSeconds * 1000),
    evidence: {
      firstLiquidation: new Date(first.firstMs).toISOString(),
      firstLiquidations: { within_seconds: params.bucketSeconds, count: first.count, usd: round(first.usd, 8), venues: first.venues, assets: first.assets },
      firstAsset: input.firstAsset,
      moveBeforePct: triggerMove ? round(triggerMove.pct) : null,
      moveBefore,
      lookbackSeconds: params.triggerLookbackSeconds,
    },
  });

  // Price move: the largest adverse move of any asset, from its peak (trough) to its trough (peak).
  const withMove = input.moves.filter((m) => m.adverse !== null).sort((a, b) => b.adverse!.pct - a.adverse!.pct);
  const main = withMove[0];
  if (main?.adverse) {
    const moves: Record<string, unknown> = {};
    for (const m of withMove) moves[m.asset] = { pct: round(m.adverse!.pct), from: m.adverse!.from.price, fromTime: iso(m.adverse!.from.second), to: m.adverse!.to.price, toTime: iso(m.adverse!.to.second) };
    stages.push({
      stage: 'price_move',
      startMs: main.adverse.from.second * 1000,
      endMs: (main.adverse.to.second + 1) * 1000,
      evidence: { asset: main.asset, pct: round(main.adverse.pct), moves },
    });
  } else absent.price_move = 'no reference price for the cascade’s assets';

  // Liquidity withdrawal and void: runs of the illiquidity index above its thresholds.
  const liq = input.liquidity;
  if ('absent' in liq) {
    absent.liquidity_withdrawal = liq.absent;
    absent.liquidity_void = liq.absent;
  } else {
    let peak = -1;
    for (let i = Math.max(0, liq.peakFrom); i < Math.min(liq.peakWithin, liq.index.length); i++) if (Number.isFinite(liq.index[i]!) && (peak < 0 || liq.index[i]! > liq.index[peak]!)) peak = i;
    const peakValue = peak >= 0 ? liq.index[peak]! : Number.NaN;
    // A rise the calm before already showed is noise: where the index's own 95th percentile over the
    // baseline exceeds the withdrawal ratio (thin trading makes a noisy index), both thresholds scale
    // up by that excess. A baseline that had to keep earlier cascades measures them, not noise: its
    // spread is not used.
    const b = liq.baselineIndex;
    const noiseLevel = b.length === 0 || liq.baselineHasCascades ? Number.NaN : b[Math.min(b.length - 1, Math.floor(0.95 * b.length))]!;
    const noiseScale = Number.isFinite(noiseLevel) ? Math.max(1, noiseLevel / params.withdrawalRatio) : 1;
    const withdrawalAt = params.withdrawalRatio * noiseScale;
    const voidAt = params.voidRatio * noiseScale;
    const evidenceOf = (from: number, to: number, threshold: number) => ({
      threshold: round(threshold),
      peakIndex: round(peakValue),
      peakTime: iso(liq.fromSecond + peak),
      baselineIndexP95: Number.isFinite(noiseLevel) ? round(noiseLevel) : null,
      assetsCounted: liq.assetsCounted[peak],
      windowSeconds: params.windowSeconds,
      baseline: { from: new Date(liq.baselineFromMs).toISOString(), to: new Date(liq.baselineToMs).toISOString(), includesEarlierCascades: liq.baselineHasCascades },
      ...liq.describe(liq.fromSecond + from, liq.fromSecond + to + 1),
    });
    liquidityFigures = {
      peakIndex: peak >= 0 ? round(peakValue) : null,
      peakTime: peak >= 0 ? iso(liq.fromSecond + peak) : null,
      baselineIndexP95: Number.isFinite(noiseLevel) ? round(noiseLevel) : null,
      withdrawalThreshold: round(withdrawalAt),
      voidThreshold: round(voidAt),
      baselineIncludesEarlierCascades: liq.baselineHasCascades,
    };
    const noise = noiseScale > 1 ? `, thresholds ×${round(noiseScale, 3)}: the baseline's own 95th percentile is ${round(noiseLevel, 3)}×` : '';
    if (!(peakValue >= withdrawalAt)) {
      const reason = peak < 0 ? 'no ordinary trading to measure depth from' : `illiquidity index peaked at ${round(peakValue, 3)}× its baseline (withdrawal needs ${round(withdrawalAt, 3)}×${noise})`;
      absent.liquidity_withdrawal = reason;
      absent.liquidity_void = reason;
    } else {
      const [wFrom, wTo] = runAround(liq.index, peak, withdrawalAt);
      stages.push({ stage: 'liquidity_withdrawal', startMs: (liq.fromSecond + wFrom) * 1000, endMs: (liq.fromSecond + wTo + 1) * 1000, evidence: evidenceOf(wFrom, wTo, withdrawalAt) });
      if (peakValue >= voidAt) {
        const [vFrom, vTo] = runAround(liq.index, peak, voidAt);
        stages.push({ stage: 'liquidity_void', startMs: (liq.fromSecond + vFrom) * 1000, endMs: (liq.fromSecond + vTo + 1) * 1000, evidence: evidenceOf(vFrom, vTo, voidAt) });
      } else absent.liquidity_void = `illiquidity index peaked at ${round(peakValue, 3)}× its baseline (a void needs ${round(voidAt, 3)}×${noise})`;
    }
  }

  if (input.crossMargin) {
    const c = input.crossMargin;
    stages.push({
      stage: 'cross_margin_failure',
      startMs: c.firstMs,
      endMs: c.lastMs,
      evidence: { accounts: c.accounts, positions: c.positions, usd: round(c.usd, 8), examples: c.examples },
    });
  } else absent.cross_margin_failure = 'no account had more than one position liquidated in the cascade';

  if (input.adl) {
    const a = input.adl;
    stages.push({
      stage: 'adl',
      startMs: a.firstMs,
      endMs: a.lastMs,
      evidence: { fills: a.fills, usd: round(a.usd, 8), accounts: a.accounts, venues: a.venues, secondsAfterFirstLiquidation: (a.firstMs - first.firstMs) / 1000 },
    });
  } else absent.adl = 'no ADL fill in the cascade';

  // Exhaustion: after the last bucket that still liquidated a meaningful share of the peak bucket.
  const perBucket = bucketSums(input.liquidatedUsdPerSecond, params.bucketSeconds);
  let peakBucket = 0;
  for (let i = 1; i < perBucket.length; i++) if (perBucket[i]! > perBucket[peakBucket]!) peakBucket = i;
  const floor = params.exhaustionShareOfPeak * (perBucket[peakBucket] ?? 0);
  let lastStrong = peakBucket;
  for (let i = peakBucket + 1; i < perBucket.length; i++) if (perBucket[i]! >= floor) lastStrong = i;
  const startSecond = Math.floor(input.startMs / 1000);
  const exhaustionStart = (startSecond + (lastStrong + 1) * params.bucketSeconds) * 1000;
  if (perBucket.length > 0 && exhaustionStart < input.endMs) {
    let tail = 0;
    let total = 0;
    for (let i = 0; i < perBucket.length; i++) {
      total += perBucket[i]!;
      if (i > lastStrong) tail += perBucket[i]!;
    }
    stages.push({
      stage: 'exhaustion',
      startMs: exhaustionStart,
      endMs: input.endMs,
      evidence: {
        peakBucket: { start: iso(startSecond + peakBucket * params.bucketSeconds), usd: round(perBucket[peakBucket]!, 8) },
        shareOfPeak: params.exhaustionShareOfPeak,
        bucketSeconds: params.bucketSeconds,
        tailUsd: round(tail, 8),
        tailShareOfCascade: total > 0 ? round(tail / total) : null,
      },
    });
  } else absent.exhaustion = 'the cascade ended within a bucket of its last strong bucket (no tail of small liquidations)';

  if (main?.adverse && main.recoveredAt !== null) {
    stages.push({
      stage: 'recovery',
      startMs: main.adverse.to.second * 1000,
      endMs: (main.recoveredAt + 1) * 1000,
      evidence: {
        asset: main.asset,
        trough: main.adverse.to.price,
        troughTime: iso(main.adverse.to.second),
        from: main.adverse.from.price,
        share: params.recoveryShare,
        recoveredPctByHorizon: main.recoveredPct === null ? null : round(main.recoveredPct),
        secondsToRecover: main.recoveredAt - main.adverse.to.second,
        horizonSeconds: params.recoveryHorizonSeconds,
      },
    });
  } else if (main?.adverse) absent.recovery = `the price had not won back ${params.recoveryShare * 100} % of its move ${params.recoveryHorizonSeconds} s after the cascade`;
  else absent.recovery = 'no reference price';

  return { stages, absent, liquidity: liquidityFigures };
}

/** The maximal run of indices around `at` whose value is ≥ threshold (NaN breaks a run). */
export function runAround(values: Float64Array, at: number, threshold: number): [number, number] {
  let from = at;
  let to = at;
  while (from > 0 && values[from - 1]! >= threshold) from--;
  while (to < values.length - 1 && values[to + 1]! >= threshold) to++;
  return [from, to];
}

function bucketSums(perSecond: Float64Array, bucketSeconds: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < perSecond.length; i += bucketSeconds) {
    let sum = 0;
    for (let j = i; j < Math.min(perSecond.length, i + bucketSeconds); j++) sum += perSecond[j]!;
    out.push(sum);
  }
  return out;
}
