import { Cron } from 'croner';
import { z } from 'zod';
import { oracleParamsSchema } from '../analytics/oracle/params.ts';
import { adlParamsSchema, cascadeParamsSchema } from '../analytics/params.ts';
import { checksumAddress } from './eip55.ts';

/**
 * The liqscope configuration file (`liqscope.config.json` or `liqscope.config.ts`).
 * Strings may reference environment variables as `${NAME}`; RPC URLs should always do so, so that
 * keys never live in the file.
 */
/**
 * A 0x-prefixed 20-byte address. Mixed case means EIP-55 checksummed, so the checksum must hold (a
 * mistyped character is caught here rather than indexing a contract that emits nothing); all lower or
 * all upper case carries no checksum and is taken as it is.
 */
const hexAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .superRefine((address, ctx) => {
    const digits = address.slice(2);
    if (!/^0x[0-9a-fA-F]{40}$/.test(address) || digits === digits.toLowerCase() || digits === digits.toUpperCase()) return;
    const checksummed = checksumAddress(address);
    if (checksummed !== address) {
      ctx.addIssue({
        code: 'custom',
        message: `mixed-case address fails its EIP-55 checksum (${checksummed} would pass): a mistyped character? (all lower case skips the check)`,
      });
    }
  });

export const chainSchema = z.strictObject({
  chainId: z.number().int().positive(),
  /** One or more RPC URLs, tried in order on failure (failover). */
  rpc: z.array(z.string().min(1)).min(1),
  /** 'finalized' uses the chain's finalized block tag; a number is a confirmation depth. */
  finality: z.union([z.literal('finalized'), z.number().int().nonnegative()]).default('finalized'),
  /** Largest eth_getLogs block range ever asked for; shrinks for good after a provider refuses. */
  maxBlockRange: z.number().int().positive().default(10_000),
  /** Parallel eth_getLogs requests per source. */
  concurrency: z.number().int().positive().default(4),
  /** Starting request rate per endpoint; adapts down on 429s and back up on success. */
  requestsPerSecond: z.number().positive().default(25),
  /** Seconds between polls in --follow mode. */
  pollInterval: z.number().positive().default(2),
  /** Seconds one attempt of a request may take before it is abandoned and retried. */
  requestTimeout: z.number().positive().default(20),
  /**
   * Seconds a request may take in all, retries and backoff included, before the run fails with the
   * last error (a request still failing after 5 s is logged at warn level meanwhile).
   */
  requestBudget: z.number().positive().default(120),
  /**
   * Seconds to wait for a node that is behind the indexed data (it lacks blocks already indexed) to
   * catch up, after failing over to every other endpoint, before the run fails. Nothing is rolled back.
   */
  laggingNodeTimeout: z.number().nonnegative().default(300),
});

export const marketSchema = z.strictObject({
  venue: z.string().min(1),
  chainId: z.number().int().positive().nullable().default(null),
  market: z.string().min(1),
  symbol: z.string().min(1),
  /** Canonical base asset (BTC, ETH, …); derived from `symbol` ("ETH/USD" → ETH) when absent. */
  asset: z.string().min(1).optional(),
  quote: z.string().min(1).optional(),
  indexToken: z.string().optional(),
  indexDecimals: z.number().int().min(0).max(36).optional(),
  longToken: z.string().optional(),
  shortToken: z.string().optional(),
});

export const tokenSchema = z.strictObject({
  chainId: z.number().int().positive(),
  address: hexAddress,
  symbol: z.string().min(1),
  decimals: z.number().int().min(0).max(36),
  /** Canonical asset the token stands for (WETH → ETH); derived from `symbol` when absent. */
  asset: z.string().min(1).optional(),
});

/** What every source has, whatever its kind. */
const sourceFields = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, _ . - only'),
  /** A protocol id (`liqscope init --list` and README list them). */
  protocol: z.string().min(1),
  /** The `venue` written on rows; the protocol's own by default. */
  venue: z.string().min(1).optional(),
  /** Protocol-specific options, validated by the protocol (see its folder's README section). */
  options: z.record(z.string(), z.unknown()).default({}),
};

export const evmSourceSchema = z.strictObject({
  ...sourceFields,
  kind: z.literal('evm'),
  /** Key of `chains`. */
  chain: z.string().min(1),
  addresses: z.array(hexAddress).min(1),
  startBlock: z.number().int().nonnegative(),
  /** Stop at this block; by default follow the chain's safe head. */
  endBlock: z.number().int().nonnegative().optional(),
});

export const filesSourceSchema = z.strictObject({
  ...sourceFields,
  kind: z.literal('files'),
  /** Files or directories (walked recursively), relative to the working directory. */
  paths: z.array(z.string().min(1)).min(1),
  /** Lines per write transaction. */
  batchLines: z.number().int().positive().optional(),
  /** Seconds between looks for new lines and files with `--follow`. */
  pollInterval: z.number().positive().default(60),
});

export const httpSourceSchema = z.strictObject({
  ...sourceFields,
  kind: z.literal('http'),
  /** The API's base URL (`https://indexer.dydx.trade`, `https://api.hyperliquid.xyz`); keep a keyed URL in the environment. */
  url: z.string().url(),
  /** Rate limit in request weight per minute (Hyperliquid: 1200 per IP; dYdX's indexer: about 100 requests per 10 s). */
  weightPerMinute: z.number().positive().default(600),
  /** Seconds one request attempt may take, and a request with its retries. */
  requestTimeout: z.number().positive().default(20),
  requestBudget: z.number().positive().default(120),
  /** Seconds between looks for new pages with `--follow`. */
  pollInterval: z.number().positive().default(60),
});

export const subgraphSourceSchema = z.strictObject({
  ...sourceFields,
  kind: z.literal('subgraph'),
  /** The subgraph's GraphQL endpoint (The Graph's gateway URL carries an API key: keep it in the environment). */
  url: z.string().url(),
  /** Key of `chains`: the chain the subgraph indexes, for `chain_id` and `chain` on its rows (a chain's RPC is not used). */
  chain: z.string().min(1),
  /** First block whose entities are read (entities changed at or after it). */
  startBlock: z.number().int().nonnegative().default(0),
  /** Read this many blocks below the subgraph's indexed head (`_meta.block.number`), out of reach of reorgs. */
  confirmations: z.number().int().nonnegative().default(0),
  /** Entities per page (`first`); graph-node refuses more than 1000. */
  pageSize: z.number().int().min(1).max(1000, 'at most 1000: graph-node refuses a larger `first`').default(1000),
  /** Rate limit: queries per minute (The Graph's gateway allows bursts well above the default). */
  requestsPerMinute: z.number().positive().default(300),
  /** Seconds one query attempt may take, and a query with its retries. */
  requestTimeout: z.number().positive().default(30),
  requestBudget: z.number().positive().default(300),
  /** Seconds between looks for new entities with `--follow`. */
  pollInterval: z.number().positive().default(60),
});

/** A source; `kind` defaults to `evm` (configurations written before there were other kinds). */
export const sourceSchema = z.preprocess(
  (value) => (value && typeof value === 'object' && !Array.isArray(value) && !('kind' in value) ? { ...value, kind: 'evm' } : value),
  z.discriminatedUnion('kind', [evmSourceSchema, filesSourceSchema, httpSourceSchema, subgraphSourceSchema]),
);

/**
 * A cron expression as croner reads it: five fields (minute hour day month weekday), or six with
 * seconds first (`0,30 * * * * *`: every 30 seconds).
 */
const cronExpression = z.string().superRefine((expression, ctx) => {
  try {
    new Cron(expression, { paused: true });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression (${(error as Error).message})` });
  }
});

/** When `liqscope run` runs each job (docs/operations.md). */
export const scheduleSchema = z.strictObject({
  /** Every source's index job (`index:<source>`): catch up, then wait for the next tick. */
  index: cronExpression.default('* * * * *'),
  /** The analysis of new data (`analyze`). */
  analyze: cronExpression.default('*/5 * * * *'),
  /** The daily report (`report`), at midnight in `timezone`: the period since the previous tick. */
  report: cronExpression.default('0 0 * * *'),
  /** Directory of the `report` job, one folder per period (`2025-10-10/`); unset: no report job. */
  reportDir: z.string().min(1).optional(),
  /** Formats the `report` job writes (pdf needs Chromium: docs/reports.md). */
  reportFormats: z.array(z.enum(['md', 'html', 'json', 'pdf'])).min(1).default(['md', 'html', 'json']),
  /**
   * Seconds the `report` job waits, at most, for a run of every index job that began after the
   * period's end (so what was published by then is in); then it writes the report anyway and says
   * which sources it did not wait for.
   */
  reportWaitSeconds: z.number().nonnegative().default(900),
  /** Per job, by name (`index:gmx-v2-arbitrum`, `analyze`, `report`): its own expression, or false to not run it. */
  jobs: z.record(z.string(), z.union([cronExpression, z.literal(false)])).default({}),
  /** Time zone the expressions are read in (IANA name). */
  timezone: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'not an IANA time zone (e.g. UTC, Europe/Paris)')
    .default('UTC'),
  /**
   * Seconds a shutdown (SIGTERM, SIGINT) may take: jobs finish or roll back their batch in flight and
   * release their locks; past this the process exits anyway (0: a batch not committed is rolled back
   * by the server). Keep it under Kubernetes' terminationGracePeriodSeconds.
   */
  shutdownTimeoutSeconds: z.number().positive().default(25),
});

/** Metrics and health endpoints of `liqscope run`. */
export const metricsSchema = z.strictObject({
  /** Port of /metrics, /healthz and /readyz (0: any free port, printed at start). */
  port: z.number().int().min(0).max(65535).default(9464),
  /** Address to listen on; 0.0.0.0 to be scraped from another host (a pod's IP). */
  host: z.string().min(1).default('127.0.0.1'),
  /** /readyz fails when a source's data waits longer than this (seconds; per kind, docs/operations.md). */
  readyMaxLagSeconds: z.number().positive().default(600),
  /** /readyz fails when an EVM source is more blocks than this behind its chain's safe head (unset: not checked). */
  readyMaxLagBlocks: z.number().int().positive().optional(),
  /** Seconds between measurements of each source's lag (one or two requests to its chain, a listing of its files). */
  lagInterval: z.number().positive().default(15),
});

export const configSchema = z.strictObject({
  database: z
    .strictObject({
      /** postgres:// URL; else DATABASE_URL; else embedded PGlite at `path`. */
      url: z.string().optional(),
      /** Embedded database directory, relative to the working directory. */
      path: z.string().default('.liqscope/db'),
    })
    .default({ path: '.liqscope/db' }),
  chains: z.record(z.string(), chainSchema).default({}),
  sources: z.array(sourceSchema).default([]),
  markets: z.array(marketSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') }).default({ level: 'info' }),
  /** Parameters of `liqscope analyze`, by step (src/analytics/params.ts; defaults justified in docs/analytics.md). */
  analytics: z.strictObject({ cascades: cascadeParamsSchema.prefault({}), adl: adlParamsSchema.prefault({}), oracle: oracleParamsSchema.prefault({}) }).prefault({}),
  schedule: scheduleSchema.default(scheduleSchema.parse({})),
  metrics: metricsSchema.default(metricsSchema.parse({})),
});

export type LiqscopeConfig = z.infer<typeof configSchema>;
export type ChainConfig = z.infer<typeof chainSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type EvmSourceConfig = z.infer<typeof evmSourceSchema>;
export type FilesSourceConfig = z.infer<typeof filesSourceSchema>;
export type HttpSourceConfig = z.infer<typeof httpSourceSchema>;
export type SubgraphSourceConfig = z.infer<typeof subgraphSourceSchema>;
export type MarketConfig = z.infer<typeof marketSchema>;
export type TokenConfig = z.infer<typeof tokenSchema>;
export type ScheduleConfig = z.infer<typeof scheduleSchema>;
export type MetricsConfig = z.infer<typeof metricsSchema>;
