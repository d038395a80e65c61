import { z } from 'zod';

/**
 * The liqscope configuration file (`liqscope.config.json` or `liqscope.config.ts`).
 * Strings may reference environment variables as `${NAME}`; RPC URLs should always do so, so that
 * keys never live in the file.
 */
const hexAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');

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
});

export const marketSchema = z.strictObject({
  venue: z.string().min(1),
  chainId: z.number().int().positive().nullable().default(null),
  market: z.string().min(1),
  symbol: z.string().min(1),
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
});

export const evmSourceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, _ . - only'),
  kind: z.literal('evm').default('evm'),
  protocol: z.string().min(1),
  /** Key of `chains`. */
  chain: z.string().min(1),
  addresses: z.array(hexAddress).min(1),
  startBlock: z.number().int().nonnegative(),
  /** Stop at this block; by default follow the chain's safe head. */
  endBlock: z.number().int().nonnegative().optional(),
  /** Protocol-specific options (see the protocol's README section). */
  options: z.record(z.string(), z.unknown()).default({}),
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
  sources: z.array(evmSourceSchema).default([]),
  markets: z.array(marketSchema).default([]),
  tokens: z.array(tokenSchema).default([]),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') }).default({ level: 'info' }),
});

export type LiqscopeConfig = z.infer<typeof configSchema>;
export type ChainConfig = z.infer<typeof chainSchema>;
export type EvmSourceConfig = z.infer<typeof evmSourceSchema>;
export type MarketConfig = z.infer<typeof marketSchema>;
export type TokenConfig = z.infer<typeof tokenSchema>;
