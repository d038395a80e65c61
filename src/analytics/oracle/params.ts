import { z } from 'zod';

/**
 * Parameters of the oracle-error analysis (`analytics.oracle` in the configuration). Every default is a
 * published figure or a rule stated in docs/analytics.md, never a value fitted to a scenario; every
 * result row records the parameters it was computed with.
 */

/** A feed's update rule: a new value when the price moved `deviationPct` or `heartbeatSeconds` passed. */
export const feedParamsSchema = z
  .strictObject({
    /** The `oracle_prices` venue (`chainlink`, `gmx-v2`, `pyth`…). */
    venue: z.string().min(1),
    /** The feed's market (Chainlink aggregator address, GMX token address…); all markets of the venue when absent. */
    market: z.string().min(1).optional(),
    /** Or every market of this canonical asset on the venue. */
    asset: z.string().min(1).optional(),
    heartbeatSeconds: z.number().positive(),
    /** 0 for a feed that publishes on every tick. */
    deviationPct: z.number().min(0),
  })
  .transform((feed) => ({ ...feed, market: feed.market?.toLowerCase() }));
export type FeedParams = z.output<typeof feedParamsSchema>;

const barInterval = z.enum(['1s', '1m', '5m', '15m', '30m', '1h', '4h', '1d']);

/** How the reference price of an asset is made. */
export const referenceMethodSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    /**
     * The median, per venue, of the freshest usable price among the venue's oracle rows and trade bars,
     * leaving out the liquidating venue's own prices (its oracle and mark). One value per venue, so a venue
     * publishing several series (Hyperliquid's oracle, mark and trades) does not outvote the others.
     */
    kind: z.literal('median'),
    /** Only these venues (all when absent): `["chainlink"]` makes Chainlink the reference. */
    venues: z.array(z.string().min(1)).optional(),
    /** Never these venues. */
    excludeVenues: z.array(z.string().min(1)).default([]),
    /** Use oracle_prices rows. */
    oracles: z.boolean().default(true),
    /** Trade bar intervals used (their close, once the bar is complete); [] for none. */
    barIntervals: z.array(barInterval).default(['1s', '1m']),
    /** Fewer usable venues than this: no reference (verdict unknown). */
    minSources: z.number().int().min(1).default(1),
  }),
  z.strictObject({
    /** A constant: the peg of a pegged asset (stETH/ETH = 1, a stablecoin = 1). */
    kind: z.literal('peg'),
    price: z.number().positive(),
  }),
]);
export type ReferenceMethod = z.output<typeof referenceMethodSchema>;

const DEFAULT_METHOD = { kind: 'median' as const, excludeVenues: [], oracles: true, barIntervals: ['1s' as const, '1m' as const], minSources: 1 };

export const oracleParamsSchema = z.strictObject({
  /**
   * Half-width, in % of the price, of the band around a position's liquidation threshold where the verdict
   * is `borderline`: a venue price within the deviation threshold of a Chainlink ETH/USD feed (0.5 %) of the
   * reference is a feed working as designed, and the reference cannot be trusted to finer than that.
   * Widened per liquidation to the reference sources' own disagreement (median absolute deviation).
   */
  tolerancePct: z.number().positive().default(0.5),
  /**
   * A heartbeat counts as met this % early (the oracle network times it from its previous report's
   * observations, not from the on-chain `updatedAt`), and as missed only this % late.
   */
  heartbeatGracePct: z.number().min(0).max(50).default(2),
  /** Update rules of the feeds to classify and check for staleness; before those the protocols know (`Protocol.feedRules`). */
  feeds: z.array(feedParamsSchema).default([]),
  reference: z
    .strictObject({
      default: referenceMethodSchema.default(DEFAULT_METHOD),
      /** Per asset (`STETH`, `USDE`): its own method, e.g. `{ "kind": "peg", "price": 1 }`. */
      assets: z.record(z.string(), referenceMethodSchema).default({}),
      /**
       * How old a source's value may be to count, for sources without a configured heartbeat: sampled
       * oracle rows (Hyperliquid's oracle and mark, dYdX's funding-tick oracle: 60 s) and trade bars (from
       * their last trade, or from their start when they do not say: a candle's close may be its first
       * trade; 120 s, so that a one-minute candle counts for the minute after it closed). A configured
       * feed counts until its heartbeat (plus grace) has passed, since it is within its deviation
       * threshold of the market until then.
       */
      maxAgeSeconds: z.strictObject({ oracle: z.number().positive().default(60), bar: z.number().positive().default(120) }).default({ oracle: 60, bar: 120 }),
      /**
       * The verdict must also hold at the reference just after the liquidation: the analysis waits until
       * every other venue has published again, at most this long (a live source publishes within its
       * staleness limit). 0: only the reference at the liquidation.
       */
      afterSeconds: z.number().min(0).default(60),
    })
    .default({ default: DEFAULT_METHOD, assets: {}, maxAgeSeconds: { oracle: 60, bar: 120 }, afterSeconds: 60 }),
  episodes: z
    .strictObject({
      /** A venue price this far (% of the reference) from it starts an episode: the tolerance's own figure. */
      thresholdPct: z.number().positive().default(0.5),
      /** The episode ends once the deviation is below this share of the threshold (hysteresis: no flapping). */
      exitRatio: z.number().positive().max(1).default(0.5),
      /**
       * Shorter deviation episodes are dropped. Default: the staleness limit of sampled oracle sources
       * (`reference.maxAgeSeconds.oracle`, 60 s): a deviation shorter than the time a reference source may
       * lag the market cannot be told apart from that lag.
       */
      minDurationSeconds: z.number().min(0).optional(),
    })
    .default({ thresholdPct: 0.5, exitRatio: 0.5 }),
  /** Per liquidating venue, the parameters of its margin rules (`gmx-v2`: `{ minCollateralFactor, … }`). */
  margin: z.record(z.string(), z.unknown()).default({}),
});

export type OracleParams = z.output<typeof oracleParamsSchema>;
