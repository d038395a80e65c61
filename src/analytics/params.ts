import { z } from 'zod';

/**
 * Parameters of `liqscope analyze`, with their defaults: the `analytics` object of the configuration
 * (src/config/schema.ts). Every default is justified, with the sweep's figures, in docs/analytics.md;
 * every result row records the parameters it was computed with (`params`).
 */

const gapsMs = z.array(z.number().int().positive().max(3_600_000)).min(1);

/** The gaps every run sweeps (stored in cascade_gap_sweep / adl_gap_sweep): 250 ms to 10 s. */
export const DEFAULT_SWEEP_GAPS_MS = [250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000];

/** Which prices make an asset's reference series (docs/analytics.md, "Reference price"). */
export const referenceSchema = z.strictObject({
  /**
   * 'trades': the median across venues of their one-second trade-bar closes where any venue traded
   * the asset, oracle prices (median across oracles) only where none did; 'oracles': oracle prices
   * only; 'all': the median of every venue's trades and every oracle alike.
   */
  prefer: z.enum(['trades', 'oracles', 'all']).default('trades'),
  /**
   * A venue's last trade counts for this many seconds; where no venue traded that recently, the
   * median of every source seen within `maxStalenessSeconds` (oracles and the venues' older last
   * trades alike) is used. A minute without a trade on any venue means its books are empty, and
   * the oracles are then the only news of the price; shorter leaves the reference to two oracles
   * (one of them possibly the faulty one) whenever the ordinary trading of a thin market pauses.
   */
  maxTradeStalenessSeconds: z.number().positive().default(60),
  /**
   * An oracle's last price counts for this many seconds after it was published (push oracles publish
   * on deviation or heartbeat: Chainlink's ETH/USD heartbeat is an hour, but a 5-minute-old round is
   * already a poor price in a cascade), then the oracle drops out.
   */
  maxStalenessSeconds: z.number().positive().default(300),
});

export const stageParamsSchema = z.strictObject({
  /** Pre-cascade baseline of the depth proxies: this many seconds before the trigger window. */
  baselineSeconds: z.number().positive().default(600),
  /** Time buckets of Amihud, Kyle's λ and the exhaustion test. */
  bucketSeconds: z.number().int().positive().default(10),
  /** Trailing window of the per-second illiquidity ratio (Σ|return| / Σ volume) the liquidity stages read. */
  windowSeconds: z.number().int().positive().default(30),
  /**
   * Liquidity withdrawal: seconds whose illiquidity index (the median over assets of the trailing
   * price impact per $ of ordinary trading, over its pre-cascade baseline) is at least this.
   */
  withdrawalRatio: z.number().gt(1).default(2),
  /** Liquidity void: an index of at least this. */
  voidRatio: z.number().gt(1).default(4),
  /** Exhaustion: the liquidation rate (per bucket) falls below this share of its peak for good. */
  exhaustionShareOfPeak: z.number().gt(0).lt(1).default(0.1),
  /** Recovery: the price has won back this share of its drawdown. */
  recoveryShare: z.number().gt(0).lte(1).default(0.5),
  /** How long after the cascade the price is followed for the recovery. */
  recoveryHorizonSeconds: z.number().positive().default(1_800),
  /** Trigger: the adverse move before the first liquidation is looked for this far back. */
  triggerLookbackSeconds: z.number().positive().default(60),
});

export const hawkesParamsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How same-millisecond liquidations become events (src/analytics/hawkes/ties.ts); the figure stored. */
  tieRule: z.enum(['millisecond', 'account-millisecond-spread', 'fill-spread']).default('millisecond'),
  /** Liquidations this long before the cascade are passed as history (their excitation carries in). */
  lookbackSeconds: z.number().nonnegative().default(60),
  /**
   * Seeds of the spread rules in the tie-rule sensitivity. One by default: the seed moved n̂ by less
   * than 0.01 where the tie rule moved it by 0.4 (docs/analytics-hawkes.md, "Sensitivity, measured"),
   * and each seed is another fit of every cascade (the analyze bench spent 89 s on them at a million
   * liquidations).
   */
  seeds: z.array(z.number().int().nonnegative()).min(1).default([1]),
  /** A tie rule yielding more events than this is not fitted (its cost grows with the events). */
  maxEvents: z.number().int().positive().default(50_000),
  /** Fewer events (after the tie rule) are not fitted. */
  minEvents: z.number().int().min(2).default(10),
});

export const cascadeParamsSchema = z.strictObject({
  /** A new cluster starts after a gap longer than this between consecutive liquidation or ADL fills (any venue, any asset). */
  gapMs: z.number().int().positive().default(5_000),
  /** Gaps swept on every run (stored in cascade_gap_sweep). */
  sweepGapsMs: gapsMs.default(DEFAULT_SWEEP_GAPS_MS),
  /** A cluster is a cascade with at least this many liquidation fills… */
  minLiquidations: z.number().int().min(1).default(2),
  /** …at least this much liquidated notional (USD)… */
  minNotionalUsd: z.number().nonnegative().default(10_000),
  /**
   * …and a reference price of one of its assets moving at least this much (%, peak to trough or
   * trough to peak) from `priceMoveLookbackSeconds` before its first liquidation to its end. A
   * cluster whose assets have no price data at all is kept on the other two tests (flag `no_price_data`).
   */
  minPriceMovePct: z.number().nonnegative().default(1),
  priceMoveLookbackSeconds: z.number().positive().default(300),
  reference: referenceSchema.default(referenceSchema.parse({})),
  stages: stageParamsSchema.default(stageParamsSchema.parse({})),
  hawkes: hawkesParamsSchema.default(hawkesParamsSchema.parse({})),
});

export const adlParamsSchema = z.strictObject({
  /** A new wave (per venue) after a gap longer than this between ADL fills (arXiv 2512.01112: 5 s). */
  gapMs: z.number().int().positive().default(5_000),
  sweepGapsMs: gapsMs.default(DEFAULT_SWEEP_GAPS_MS),
  /**
   * Where a fill's mark price comes from when its row has none: the venue's own oracle price of the
   * asset at or before the fill, if no older than this (seconds); else the fill has no mark.
   */
  oracleMarkMaxAgeSeconds: z.number().nonnegative().default(5),
  /**
   * Overrides of the venues' documented ADL rankings (each protocol declares its own: GMX v2 'pnl_usd',
   * most profitable first; Hyperliquid 'profit_pct', the position's profit at the mark relative to its
   * entry, since it ranks by profit × leverage and leverage is not in the data), checked against the
   * order the fills picked accounts in. For a venue written under another name, or to check a venue
   * against another rule. A venue with no rule (dYdX walks accounts from a pseudo-random start) is not checked.
   */
  rankings: z.record(z.string(), z.enum(['pnl_usd', 'profit_pct'])).default({}),
});

export type CascadeParams = z.infer<typeof cascadeParamsSchema>;
export type StageParams = z.infer<typeof stageParamsSchema>;
export type HawkesParams = z.infer<typeof hawkesParamsSchema>;
export type ReferenceParams = z.infer<typeof referenceSchema>;
export type AdlParams = z.infer<typeof adlParamsSchema>;
