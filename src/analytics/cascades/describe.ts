import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { activityPerMinute, amihud, illiquidityIndex, kyleLambda, MIN_BASELINE_SAMPLES, rollSpreadBps, type AssetTrading } from '../depth/depth-proxies.ts';
import type { TradingWindows } from '../depth/load-trading.ts';
import type { CascadeParams } from '../params.ts';
import type { ReferencePrices } from '../prices/load-reference.ts';
import { pricePath, type Direction } from '../prices/price-path.ts';
import type { ReferenceSeries } from '../prices/reference-series.ts';
import type { AnalysisScope } from '../step.ts';
import type { ClusterFacts } from './cluster-facts.ts';
import type { ClusterSummary } from './cluster.ts';
import { fitHawkesOfCluster } from './hawkes-events.ts';
import type { CascadeHawkes } from './hawkes-fit.ts';
import { detectStages, type AssetMoves, type StageInputs } from './stages.ts';
import { eventsAfter, eventsBefore } from './truncation.ts';

export interface AssetDetail {
  asset: string;
  sources: string[];
  path: ReturnType<typeof pricePath> | null;
  impactPerMusd: number | null;
  depth: Record<string, number | null>;
}

export interface CascadeDetail {
  /** Where the trigger stage starts (the move before the first liquidation), unix second. */
  triggerStartSecond: number;
  flags: string[];
  notes: Record<string, unknown>;
  priceReference: string;
  movePct: number | null;
  maxDrawdown: { pct: number; asset: string } | null;
  impactPerMusd: number | null;
  depthAsset: string | null;
  depth: Record<string, number | null>;
  /** Accounts with two or more positions liquidated in the cascade. */
  crossMarginAccounts: number;
  assets: AssetDetail[];
  stages: ReturnType<typeof detectStages>['stages'];
  hawkes: CascadeHawkes;
}

/**
 * Everything about one kept cascade that is not a plain SQL aggregate: its assets' price paths, the
 * depth proxies before and during, the illiquidity index, the stages and the Hawkes fit.
 */
export async function describeCascade(
  trx: Transaction<Database>,
  c: ClusterSummary,
  /** What its events say, loaded for every kept cascade at once (cluster-facts.ts). */
  facts: ClusterFacts,
  /** The previous cascade's last event (null for the first): this cascade's trigger and move start after it. */
  previousEndMs: number | null,
  /** Earlier cascades' disturbed spans (unix seconds, inclusive): not part of this one's liquidity baseline. */
  disturbed: readonly [number, number][],
  move: number | null,
  params: CascadeParams,
  prices: ReferencePrices,
  tradingWindows: TradingWindows,
  reachBack: number,
  reachAhead: number,
  scope: AnalysisScope,
): Promise<CascadeDetail> {
  const st = params.stages;
  const startSecond = Math.floor(c.startMs / 1000);
  const endSecond = Math.floor(c.endMs / 1000);
  const flags: string[] = [];
  const notes: Record<string, unknown> = {};
  if (move === null) flags.push('no_price_data');
  if (await eventsBefore(trx, scope, c.startMs, params.gapMs)) flags.push('truncated_start');
  if (await eventsAfter(trx, scope, c.endMs, params.gapMs)) flags.push('truncated_end');

  const seriesOf = (asset: string): ReferenceSeries | null => prices.slice(asset, startSecond - reachBack, endSecond + reachAhead);
  const directionOf = (asset: string): Direction => ((c.sides[asset]?.short ?? 0) > (c.sides[asset]?.long ?? 0) ? 'up' : 'down');

  // First liquidations (the trigger's) and the asset that started it.
  const firstRow = facts.first;
  const firstMs = firstRow.firstMs;
  const firstSecond = Math.floor(firstMs / 1000);

  // Price paths.
  const assets: AssetDetail[] = [];
  const moves: AssetMoves[] = [];
  const liquidatedOf = facts.liquidatedByAsset;
  // The cascade's own price path starts after the previous cluster's last event: the move an earlier
  // cascade made is that cascade's, not this one's (the price test above still looks back the full
  // lookback: a cluster in the wake of a crash is a market event).
  const previousSecond = previousEndMs === null ? null : Math.floor(previousEndMs / 1000);
  const pathFrom = previousSecond === null ? startSecond - params.priceMoveLookbackSeconds : Math.max(startSecond - params.priceMoveLookbackSeconds, previousSecond + 1);
  for (const asset of c.assets) {
    const series = seriesOf(asset);
    const direction = directionOf(asset);
    const hasPrices = series !== null && series.sources.length > 0;
    const path = hasPrices
      ? pricePath(series, { fromSecond: pathFrom, toSecond: endSecond, recoveryEnd: endSecond + st.recoveryHorizonSeconds, direction, recoveryShare: st.recoveryShare })
      : null;
    // The move before the first liquidation: from the extreme of the lookback to the price then. The
    // lookback stops at the previous cascade's last event: an earlier cascade's move is not this one's trigger.
    const lookback = previousSecond === null ? st.triggerLookbackSeconds : Math.min(st.triggerLookbackSeconds, firstSecond - previousSecond - 1);
    const beforeToFirst = hasPrices ? moveEndingAt(series, firstSecond, Math.max(0, lookback), direction) : null;
    const liquidated = liquidatedOf.get(asset) ?? 0;
    const adversePct = path?.adverse?.pct ?? null;
    assets.push({
      asset,
      sources: series?.sources ?? [],
      path,
      impactPerMusd: adversePct !== null && liquidated > 0 ? adversePct / (liquidated / 1e6) : null,
      depth: {},
    });
    moves.push({ asset, before: beforeToFirst, adverse: path?.adverse ?? null, recoveredPct: path?.recoveredPct ?? null, recoveredAt: path?.recoveredAt ?? null });
  }
  const sources = new Set(assets.flatMap((a) => a.sources));
  const priceReference = `per second, median of ${params.reference.prefer === 'oracles' ? 'oracle prices' : params.reference.prefer === 'all' ? 'trade-bar closes and oracle prices' : 'trade-bar closes (oracle prices where no venue traded)'} across venues, trades stale after ${params.reference.maxTradeStalenessSeconds} s, oracles after ${params.reference.maxStalenessSeconds} s; sources: ${[...sources].join(', ') || 'none'}`;
  let maxDrawdown: CascadeDetail['maxDrawdown'] = null;
  for (const a of assets) {
    const d = a.path?.drawdown?.pct;
    if (d !== undefined && (!maxDrawdown || d > maxDrawdown.pct)) maxDrawdown = { pct: d, asset: a.asset };
  }
  let weighted = 0;
  let weight = 0;
  for (const a of assets) {
    const liquidated = liquidatedOf.get(a.asset) ?? 0;
    if (a.path?.adverse && liquidated > 0) {
      weighted += a.path.adverse.pct * liquidated;
      weight += liquidated;
    }
  }
  const impactPerMusd = weight > 0 ? weighted / weight / (weight / 1e6) : null;

  // Depth proxies and the illiquidity index.
  const triggerMove = moves.find((m) => m.asset === firstRow.firstAsset)?.before ?? null;
  const triggerStartSecond = triggerMove ? Math.min(triggerMove.from.second, firstSecond) : firstSecond;
  const baselineFrom = triggerStartSecond - st.baselineSeconds;
  const baselineTo = triggerStartSecond;
  const indexTo = endSecond + st.windowSeconds + 1;
  const traded = c.assets
    .map((asset) => tradingWindows.slice(asset, baselineFrom, indexTo))
    .filter((t): t is AssetTrading => t !== null && t.trades.some((n) => n > 0));
  const duringTo = Math.max(endSecond + 1, startSecond + 3 * st.bucketSeconds);
  for (const a of assets) {
    const t = traded.find((x) => x.asset === a.asset);
    if (!t) continue;
    const before = activityPerMinute(t, baselineFrom, baselineTo);
    const during = activityPerMinute(t, startSecond, duringTo);
    a.depth = {
      kyle_lambda_before: kyleLambda(t, baselineFrom, baselineTo, st.bucketSeconds),
      kyle_lambda_during: kyleLambda(t, startSecond, duringTo, st.bucketSeconds),
      amihud_before: amihud(t, baselineFrom, baselineTo, st.bucketSeconds),
      amihud_during: amihud(t, startSecond, duringTo, st.bucketSeconds),
      roll_spread_bps_before: rollSpreadBps(t, baselineFrom, baselineTo),
      roll_spread_bps_during: rollSpreadBps(t, startSecond, duringTo),
      trades_per_minute_before: before?.trades ?? null,
      trades_per_minute_during: during?.trades ?? null,
      volume_usd_per_minute_before: before?.volumeUsd ?? null,
      volume_usd_per_minute_during: during?.volumeUsd ?? null,
    };
  }
  const depthAsset = [...assets].filter((a) => Object.keys(a.depth).length > 0).sort((x, y) => (liquidatedOf.get(y.asset) ?? 0) - (liquidatedOf.get(x.asset) ?? 0))[0] ?? null;

  let liquidity: StageInputs['liquidity'];
  let peakFrom = 0;
  let peakUntil = 0;
  if (traded.length === 0) liquidity = { absent: 'no one-second trade bars for the cascade’s assets: depth cannot be measured from trades' };
  else {
    const indexOver = (exclude: readonly [number, number][]) =>
      illiquidityIndex(traded, { fromSecond: triggerStartSecond, toSecond: indexTo, baselineFrom, baselineTo, exclude }, { windowSeconds: st.windowSeconds, bucketSeconds: st.bucketSeconds });
    // The baseline leaves earlier cascades out; where that leaves too little (a cascade a minute
    // into the data), it keeps them, and the evidence says so.
    let idx = indexOver(disturbed);
    let baselineHasCascades = false;
    if (idx.baselines.size === 0 && disturbed.some(([a, b]) => a < baselineTo && b >= baselineFrom)) {
      idx = indexOver([]);
      baselineHasCascades = true;
    }
    // The stages are this cascade's: their peak lies between its trigger and its last event (a void
    // may outlast the liquidations, but one that starts later is the next cascade's). A trailing window belongs to the cascade when its middle lies between the trigger and the last
    // event: a window ending just after the trigger mostly measures the time before it (a cascade
    // starting as an outage ends would otherwise inherit the outage's void).
    peakFrom = Math.floor(st.windowSeconds / 2);
    peakUntil = endSecond + 1 - triggerStartSecond + Math.floor(st.windowSeconds / 2);
    if (idx.baselines.size === 0) liquidity = { absent: `too little ordinary trading in the ${st.baselineSeconds} s before the trigger for a baseline (each asset needs ${MIN_BASELINE_SAMPLES} windows of ${st.windowSeconds} s with trades)` };
    else {
      liquidity = {
        fromSecond: idx.fromSecond,
        index: idx.index,
        baselineIndex: idx.baselineIndex,
        baselineHasCascades,
        peakFrom,
        peakWithin: peakUntil,
        assetsCounted: idx.assetsCounted,
        baselineFromMs: baselineFrom * 1000,
        baselineToMs: baselineTo * 1000,
        describe: (from, to) => describeTrading(traded.filter((t) => idx.baselines.has(t.asset)), { from, to }, { from: baselineFrom, to: baselineTo }, st.bucketSeconds),
      };
    }
  }

  // Cross-margin failures and ADL within the cascade.
  const crossRows = facts.crossMargin;
  const crossMargin = crossRows.length === 0 ? null : {
    accounts: crossRows.length,
    positions: crossRows.reduce((s, r) => s + r.positions, 0),
    usd: crossRows.reduce((s, r) => s + (r.usd ?? 0), 0),
    firstMs: Math.min(...crossRows.map((r) => r.firstMs)),
    lastMs: Math.max(...crossRows.map((r) => r.lastMs)),
    examples: crossRows.slice(0, 5).map((r) => ({ venue: r.venue, account: r.account, positions: r.positions, usd: r.usd })),
  };
  const adl = facts.adl;

  const liquidatedUsdPerSecond = new Float64Array(endSecond - startSecond + 1);
  for (const r of facts.liquidatedUsdBySecond) liquidatedUsdPerSecond[r.second - startSecond] = r.usd;

  const { stages, absent, liquidity: liquidityFigures } = detectStages(
    {
      startMs: c.startMs,
      endMs: c.endMs,
      firstLiquidations: { count: firstRow.count, usd: firstRow.usd, venues: firstRow.venues, assets: firstRow.assets, firstMs },
      liquidatedUsdPerSecond,
      moves,
      firstAsset: firstRow.firstAsset,
      liquidity,
      crossMargin,
      adl,
    },
    st,
  );
  if (Object.keys(absent).length > 0) notes.absentStages = absent;
  if (liquidityFigures) notes.liquidityIndex = liquidityFigures;

  const hawkes = await fitHawkesOfCluster(trx, c, facts.hawkesFills, params);
  return {
    triggerStartSecond,
    flags,
    notes,
    priceReference,
    movePct: move,
    maxDrawdown,
    impactPerMusd,
    depthAsset: depthAsset?.asset ?? null,
    depth: depthAsset?.depth ?? {},
    crossMarginAccounts: crossRows.length,
    assets,
    stages,
    hawkes,
  };
}

/** The adverse move that ends at `second`: from the extreme of the lookback before it to the price at it. */
function moveEndingAt(series: ReferenceSeries, second: number, lookbackSeconds: number, direction: Direction) {
  const at = series.prices[second - series.fromSecond];
  if (at === undefined || !Number.isFinite(at)) return null;
  const sign = direction === 'down' ? 1 : -1;
  let peak: { price: number; second: number } | null = null;
  for (let s = second - lookbackSeconds; s <= second; s++) {
    const p = series.prices[s - series.fromSecond];
    if (p === undefined || !Number.isFinite(p)) continue;
    // the latest second at the extreme: the move started when the price last stood there
    if (!peak || sign * (p - peak.price) >= 0) peak = { price: p, second: s };
  }
  if (!peak) return null;
  const pct = ((sign * (peak.price - at)) / peak.price) * 100;
  return { from: peak, to: { price: at, second }, pct: Math.max(0, pct) };
}

function describeTrading(traded: readonly AssetTrading[], span: { from: number; to: number }, baseline: { from: number; to: number }, bucketSeconds: number): Record<string, unknown> {
  let tradesSpan = 0;
  let tradesBase = 0;
  let volSpan = 0;
  let volBase = 0;
  const amihudRatios: number[] = [];
  for (const t of traded) {
    const s = activityPerMinute(t, span.from, span.to);
    const b = activityPerMinute(t, baseline.from, baseline.to);
    tradesSpan += s?.trades ?? 0;
    volSpan += s?.volumeUsd ?? 0;
    tradesBase += b?.trades ?? 0;
    volBase += b?.volumeUsd ?? 0;
    const during = amihud(t, span.from, span.to, bucketSeconds);
    const before = amihud(t, baseline.from, baseline.to, bucketSeconds);
    if (during !== null && before !== null && before > 0) amihudRatios.push(during / before);
  }
  amihudRatios.sort((a, b) => a - b);
  const r = (x: number) => Number(x.toPrecision(4));
  return {
    assets: traded.map((t) => t.asset),
    tradesPerMinute: { span: r(tradesSpan), baseline: r(tradesBase) },
    volumeUsdPerMinute: { span: r(volSpan), baseline: r(volBase) },
    amihudRatioMedian: amihudRatios.length > 0 ? r(amihudRatios[amihudRatios.length >> 1]!) : null,
  };
}
