import { z } from 'zod';
import { gmxMarketFor } from './writers/gmx-values.ts';

/**
 * The scenario file format (JSON), documented in docs/scenarios.md. Every number carries a message
 * that says what was expected, and `formatScenarioIssues` prefixes it with the field path
 * (`markets[2].startPrice: expected a positive number`), so a bad file is fixed in one look.
 */
const positive = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
const nonNegative = () => z.number({ error: 'expected a number ≥ 0' }).min(0, { error: 'expected a number ≥ 0' });
const fraction = () =>
  z.number({ error: 'expected a number between 0 and 1' }).min(0, { error: 'expected a number between 0 and 1' }).max(1, {
    error: 'expected a number between 0 and 1',
  });
const int = (min: number, max?: number) => {
  const msg = max === undefined ? `expected an integer ≥ ${min}` : `expected an integer between ${min} and ${max}`;
  let schema = z.number({ error: msg }).int({ error: msg }).min(min, { error: msg });
  if (max !== undefined) schema = schema.max(max, { error: msg });
  return schema;
};
const identifier = () =>
  z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'expected letters, digits, _ . - only' });

/** Defaults of `materiality` (why these values: docs/scenarios.md, "Causality and materiality"). */
export const MATERIALITY_DEFAULTS = { parentMinCausedShare: 0.5, oracleErrorMinDistancePct: 0.5 } as const;

/** Engine steps that divide a second (stepMs ≥ 10). */
const STEP_DIVISORS = [10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000];

/** A window in scenario seconds, [fromSecond, toSecond). */
const windowFields = {
  fromSecond: nonNegative(),
  toSecond: positive(),
};

/**
 * A venue's oracle: it observes its source `lagMs` late and publishes when the price moved more than
 * `deviationPct` since the last publication or `heartbeatSeconds` passed (Chainlink-style).
 * Faults: `stale` (no publication at all), `congestion` (publications land `delaySeconds` late, as on
 * Black Thursday), `depeg` (the source is one thin venue whose price falls `dropPct` while the
 * reference does not).
 */
export const oracleSchema = z.strictObject({
  heartbeatSeconds: positive(),
  deviationPct: nonNegative().default(0),
  lagMs: int(0).default(0),
  /** Half-spread published as min/max around the price (GMX style), in basis points. */
  spreadBps: nonNegative().default(0),
  stale: z.strictObject(windowFields).optional(),
  congestion: z.strictObject({ ...windowFields, delaySeconds: positive() }).optional(),
  depeg: z
    .strictObject({
      ...windowFields,
      dropPct: z.number({ error: 'expected a number between 0 and 99' }).min(0).max(99, { error: 'expected a number between 0 and 99' }),
      rampSeconds: nonNegative().default(60),
      /** Markets whose oracle reads the thin venue; all the venue's markets when absent. */
      markets: z.array(identifier()).optional(),
    })
    .optional(),
});

const commonVenueFields = {
  id: identifier(),
  /** Share of the traders that trade on this venue (normalized over all venues). */
  traderShare: positive(),
  oracle: oracleSchema,
  /** Fee charged on a liquidation, as a share of the closed notional (paid to insurance/fee receiver). */
  liquidationFeeRate: fraction().default(0),
};

export const gmxVenueSchema = z.strictObject({
  ...commonVenueFields,
  kind: z.literal('gmx-v2'),
  /** min collateral factor used as maintenance rate m (formats.md §8). */
  maintenanceMarginRate: fraction(),
  maxLeverage: positive(),
  adl: z.strictObject({
    enabled: z.boolean().default(true),
    /** Pool value per market in USD (the counterparty of every trader). */
    poolValueUsd: positive(),
    /** ADL is enabled for a side when its pnl-to-pool factor exceeds this (MAX_PNL_FACTOR_FOR_ADL). */
    maxPnlFactor: fraction(),
    /** ADL reduces positions until the factor is below this (MIN_PNL_FACTOR_AFTER_ADL). */
    minPnlFactorAfterAdl: fraction(),
    /** Share of a position an ADL order closes. */
    closeShare: fraction().default(1),
  }),
});

export const hyperliquidVenueSchema = z.strictObject({
  ...commonVenueFields,
  kind: z.literal('hyperliquid'),
  /** Default max leverage; maintenance rate = 1 / (2 · maxLeverage). Markets may override it. */
  maxLeverage: positive(),
  /** The liquidator vault's capital (USD); when a backstop liquidation needs more, ADL runs instead. */
  backstopCapitalUsd: nonNegative(),
  /** Most inventory (USD notional) the vault will hold; a takeover beyond it is refused and ADL runs. */
  backstopCapacityUsd: positive(),
  /** How fast the vault sells taken-over positions into the book (USD notional per second). */
  backstopUnloadUsdPerSecond: positive(),
  /**
   * The liquidator sells into the book only while the position fits in the depth within this
   * slippage (%); a position the book cannot absorb goes to the backstop vault.
   */
  liquidationSlippageCapPct: positive().default(2),
  adl: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
});

export const dydxVenueSchema = z.strictObject({
  ...commonVenueFields,
  kind: z.literal('dydx'),
  maintenanceMarginRate: fraction(),
  maxLeverage: positive(),
  insuranceFundUsd: nonNegative(),
  adl: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
});

export const venueSchema = z.discriminatedUnion('kind', [gmxVenueSchema, hyperliquidVenueSchema, dydxVenueSchema], {
  error: 'expected kind "gmx-v2", "hyperliquid" or "dydx"',
});

/** Cumulative book depth on each side: `usd` can be sold (or bought) within `pct` % of the mid. */
export const depthLevelSchema = z.strictObject({ pct: positive(), usd: positive() });

export const marketSchema = z.strictObject({
  symbol: identifier(),
  startPrice: positive(),
  /** Exposure to the common price factor (1 = moves with it). */
  beta: z.number({ error: 'expected a number' }).default(1),
  /** Market-specific volatility, log-return per √second. */
  idioVolatility: nonNegative().default(0),
  /** Hyperliquid max leverage for this market (overrides the venue's). */
  maxLeverage: positive().optional(),
  depth: z.array(depthLevelSchema).min(1, { error: 'expected at least one depth level' }),
  /** Venue ids that list this market. */
  venues: z.array(identifier()).min(1, { error: 'expected at least one venue id' }),
});

const shockSchema = z.strictObject({
  atSecond: nonNegative(),
  durationSeconds: positive(),
  /** Total move of the common factor over the shock, in % (−10 = a 10 % fall). */
  movePct: z.number({ error: 'expected a number > -100' }).gt(-100, { error: 'expected a number > -100' }),
});

export const pricePathSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('stochastic'),
      /** Common-factor volatility, log-return per √second. */
      volatility: nonNegative(),
      /** Common-factor drift, log-return per second. */
      drift: z.number({ error: 'expected a number' }).default(0),
      shocks: z.array(shockSchema).default([]),
    }),
    z.strictObject({
      kind: z.literal('chainlink-csv'),
      /** A file of /work/shared/data/chainlink (or any path) in that README's format. */
      file: z.string().min(1, { error: 'expected a file path' }),
      decimals: int(0, 36),
      /** Unix second of the real series that scenario second 0 maps to. */
      fromUnix: int(0),
      /** Real seconds per scenario second (replay faster than real time). */
      timeScale: positive().default(1),
    }),
  ],
  { error: 'expected kind "stochastic" or "chainlink-csv"' },
);

const rangeSchema = z
  .strictObject({ min: positive(), max: positive() })
  .refine((r) => r.max >= r.min, { error: 'expected max ≥ min', path: ['max'] });

export const tradersSchema = z.strictObject({
  count: int(1, 200_000),
  /** Log-uniform leverage range (capped at each venue's max leverage). */
  leverage: rangeSchema,
  /** Log-uniform notional range per position, USD. */
  sizeUsd: rangeSchema,
  longShare: fraction(),
  /** Share of accounts on cross margin (GMX positions are always isolated). */
  crossShare: fraction(),
  /** Positions per cross account (isolated accounts hold one). */
  crossPositions: z.strictObject({ min: int(1), max: int(1) }).default({ min: 1, max: 3 }),
  /** Entry prices are spread uniformly ±entrySpreadPct % around the start price. */
  entrySpreadPct: nonNegative().default(1),
});

export const liquiditySchema = z.strictObject({
  /** Window of the realized volatility market makers watch, seconds. */
  volWindowSeconds: positive().default(30),
  /** Realized volatility (%, over the window) at which makers have withdrawn half their depth. */
  halfDepthAtVolPct: positive(),
  /** Depth never falls below this share of the profile (outage aside). */
  minDepthFactor: fraction().default(0.05),
  /** Price impact decays back toward the exogenous path with this time constant (arbitrage). */
  resilienceSeconds: positive(),
  outage: z.strictObject({ ...windowFields, depthFactor: fraction() }).optional(),
});

export const referenceFeedSchema = z.strictObject({
  /** Chainlink feed of the reference price, published as AnswerUpdated logs (8 decimals). */
  heartbeatSeconds: positive(),
  deviationPct: nonNegative(),
  /** Markets that have a reference feed (only those with a real Arbitrum aggregator are emitted on chain). */
  markets: z.array(identifier()).min(1),
});

/**
 * Materiality of the ground truth's causal links (docs/scenarios.md, src/sim/causality.ts): the raw
 * figures are always recorded; these thresholds decide `parentId` and `oracleError`.
 */
export const materialitySchema = z.strictObject({
  /** Earlier liquidations must have caused at least this share of the move that took the account past its threshold. */
  parentMinCausedShare: fraction().default(MATERIALITY_DEFAULTS.parentMinCausedShare),
  /** The account must be at least this % price move from its threshold at the reference for an oracle error. */
  oracleErrorMinDistancePct: nonNegative().default(MATERIALITY_DEFAULTS.oracleErrorMinDistancePct),
});

/**
 * Ordinary trading on the venues with a book (Hyperliquid, dYdX), written beside the liquidation
 * fills so that price impact, Kyle's λ and illiquidity have trades to measure. Taker trades of
 * both sides arrive at `tradesPerMinute` × depth factor per venue and market (thinning as makers
 * withdraw), with a median notional of `sizeShareOfDepth` × the market's full depth within 1 % ×
 * depth factor, and pay a half spread that widens as 1 / depth factor. They trade at the reference
 * and do not move it: the exogenous path is their aggregate.
 */
export const backgroundSchema = z.strictObject({
  /** Trades per minute per venue and market with the book full (0: none). */
  tradesPerMinute: nonNegative().default(12),
  /** Median trade notional as a share of the market's full depth within 1 %. */
  sizeShareOfDepth: positive().default(0.001),
  /** Log-normal dispersion of trade notional. */
  sizeSigma: nonNegative().default(1),
  /** Half bid-ask spread with the book full, basis points. */
  halfSpreadBps: nonNegative().default(1),
  /** How much takers lean toward the coming move: P(buy) = 0.5 + informedShare · tanh(move / σ). */
  informedShare: z.number({ error: 'expected a number between 0 and 0.5' }).min(0, { error: 'expected a number between 0 and 0.5' }).max(0.5, { error: 'expected a number between 0 and 0.5' }).default(0.3),
  /** Distinct taker and maker accounts per venue. */
  takers: int(1, 100_000).default(40),
  makers: int(1, 10_000).default(4),
});

/** What the simulator writes as Hyperliquid's info API would serve it (docs/scenarios.md, Outputs). */
export const hyperliquidInfoSchema = z.strictObject({
  /** Spacing of the `metaAndAssetCtxs` samples (oracle, mark and mid prices, funding, open interest), seconds. */
  ctxSampleSeconds: int(1, 3600).default(5),
});

export const scenarioSchema = z
  .strictObject({
    name: identifier(),
    description: z.string().default(''),
    seed: int(0, 2 ** 32 - 1),
    /** Scenario clock start, ISO 8601 UTC (real incident times make real block times). */
    start: z.iso.datetime({ error: 'expected an ISO 8601 UTC time such as 2025-10-10T21:14:00Z' }),
    durationSeconds: int(1, 7 * 86_400),
    /**
     * Engine step, sub-second. It must divide 1000: makers re-price depth and volatility on whole
     * seconds, so a step that never lands on a second would silently freeze the liquidity model.
     */
    stepMs: int(10, 1000).refine((ms) => 1000 % ms === 0, { error: `expected a divisor of 1000 (${STEP_DIVISORS.join(', ')})` }),
    /** Ground-truth series sampling, seconds. */
    sampleSeconds: int(1).default(1),
    venues: z.array(venueSchema).min(1, { error: 'expected at least one venue' }),
    markets: z.array(marketSchema).min(1, { error: 'expected at least one market' }),
    pricePath: pricePathSchema,
    traders: tradersSchema,
    liquidity: liquiditySchema,
    referenceFeed: referenceFeedSchema,
    materiality: materialitySchema.default(MATERIALITY_DEFAULTS),
    background: backgroundSchema.prefault({}),
    hyperliquidInfo: hyperliquidInfoSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    const venueIds = new Set<string>();
    const kinds = new Set<string>();
    s.venues.forEach((v, i) => {
      if (venueIds.has(v.id)) ctx.addIssue({ code: 'custom', path: ['venues', i, 'id'], message: `duplicate venue id "${v.id}"` });
      // each kind's outputs use the real venue's single layout (one EventEmitter, one node_fills tree, one indexer)
      if (kinds.has(v.kind)) ctx.addIssue({ code: 'custom', path: ['venues', i, 'kind'], message: `a scenario has at most one ${v.kind} venue` });
      kinds.add(v.kind);
      venueIds.add(v.id);
      for (const key of ['stale', 'congestion', 'depeg'] as const) {
        const w = v.oracle[key];
        if (w && w.toSecond <= w.fromSecond)
          ctx.addIssue({ code: 'custom', path: ['venues', i, 'oracle', key, 'toSecond'], message: 'expected toSecond > fromSecond' });
      }
    });
    const symbols = new Set<string>();
    s.markets.forEach((m, i) => {
      if (symbols.has(m.symbol)) ctx.addIssue({ code: 'custom', path: ['markets', i, 'symbol'], message: `duplicate market "${m.symbol}"` });
      symbols.add(m.symbol);
      m.venues.forEach((id, j) => {
        if (!venueIds.has(id)) ctx.addIssue({ code: 'custom', path: ['markets', i, 'venues', j], message: `unknown venue id "${id}"` });
      });
      for (let j = 1; j < m.depth.length; j++) {
        const prev = m.depth[j - 1]!;
        const cur = m.depth[j]!;
        if (cur.pct <= prev.pct || cur.usd <= prev.usd)
          ctx.addIssue({ code: 'custom', path: ['markets', i, 'depth', j], message: 'expected pct and usd to increase level by level' });
      }
    });
    s.referenceFeed.markets.forEach((sym, j) => {
      if (!symbols.has(sym)) ctx.addIssue({ code: 'custom', path: ['referenceFeed', 'markets', j], message: `unknown market "${sym}"` });
    });
    s.venues.forEach((v, i) => {
      v.oracle.depeg?.markets?.forEach((sym, j) => {
        if (!symbols.has(sym))
          ctx.addIssue({ code: 'custom', path: ['venues', i, 'oracle', 'depeg', 'markets', j], message: `unknown market "${sym}"` });
      });
    });
    if (s.liquidity.outage && s.liquidity.outage.toSecond <= s.liquidity.outage.fromSecond)
      ctx.addIssue({ code: 'custom', path: ['liquidity', 'outage', 'toSecond'], message: 'expected toSecond > fromSecond' });
    // GMX v2 venues can only list markets GMX v2 has (their events carry the real market and index token addresses)
    s.markets.forEach((m, i) => {
      m.venues.forEach((id, j) => {
        const venue = s.venues.find((v) => v.id === id);
        if (venue?.kind === 'gmx-v2' && !gmxMarketFor(m.symbol))
          ctx.addIssue({
            code: 'custom',
            path: ['markets', i, 'venues', j],
            message: `venue "${id}" is gmx-v2, and GMX v2 has no ${m.symbol}/USD market with USDC as short token on Arbitrum`,
          });
      });
    });
    checkWithinDuration(s, ctx);
    if (s.traders.crossPositions.max < s.traders.crossPositions.min)
      ctx.addIssue({ code: 'custom', path: ['traders', 'crossPositions', 'max'], message: 'expected max ≥ min' });
  });

type ScenarioShape = {
  durationSeconds: number;
  venues: { oracle: z.infer<typeof oracleSchema> }[];
  pricePath: z.infer<typeof pricePathSchema>;
  liquidity: z.infer<typeof liquiditySchema>;
};

/**
 * Shocks and fault windows must lie inside the scenario: a window past the end would be silently
 * cut, and the ground truth would then describe an episode that never finished.
 */
function checkWithinDuration(s: ScenarioShape, ctx: z.RefinementCtx): void {
  const end = s.durationSeconds;
  const past = (path: PropertyKey[], what: string, at: number) =>
    ctx.addIssue({ code: 'custom', path, message: `${what} ${at} s, past the scenario's end (durationSeconds ${end})` });
  const windowInside = (path: PropertyKey[], w: { fromSecond: number; toSecond: number } | undefined, endsAt?: number) => {
    if (!w) return;
    if (w.fromSecond >= end) past([...path, 'fromSecond'], 'starts at', w.fromSecond);
    else if (w.toSecond > end) past([...path, 'toSecond'], 'ends at', w.toSecond);
    else if (endsAt !== undefined && endsAt > end) past([...path, 'rampSeconds'], 'ramps out until', endsAt);
  };
  if (s.pricePath.kind === 'stochastic') {
    s.pricePath.shocks.forEach((shock, k) => {
      if (shock.atSecond >= end) past(['pricePath', 'shocks', k, 'atSecond'], 'starts at', shock.atSecond);
      else if (shock.atSecond + shock.durationSeconds > end)
        past(['pricePath', 'shocks', k, 'durationSeconds'], 'ends at', shock.atSecond + shock.durationSeconds);
    });
  }
  s.venues.forEach((v, i) => {
    windowInside(['venues', i, 'oracle', 'stale'], v.oracle.stale);
    windowInside(['venues', i, 'oracle', 'congestion'], v.oracle.congestion);
    const d = v.oracle.depeg;
    windowInside(['venues', i, 'oracle', 'depeg'], d, d ? d.toSecond + d.rampSeconds : undefined);
  });
  windowInside(['liquidity', 'outage'], s.liquidity.outage);
}

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type VenueSpec = z.infer<typeof venueSchema>;
export type MarketSpec = z.infer<typeof marketSchema>;
export type OracleSpec = z.infer<typeof oracleSchema>;
export type DepthLevel = z.infer<typeof depthLevelSchema>;

/** `markets[2].startPrice` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid scenario ${source}:\n  ${issues.join('\n  ')}`);
    this.name = 'ScenarioError';
  }
}

/** Validates a parsed scenario object; throws ScenarioError naming every bad field. */
export function parseScenario(input: unknown, source = '(inline)'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'required';
    return `${formatPath(issue.path)}: ${message}`;
  });
  throw new ScenarioError(source, issues);
}
