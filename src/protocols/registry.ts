import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { MarketConfig, TokenConfig } from '../config/schema.ts';
import type { MarketInfo, TokenInfo } from './registry-types.ts';
import { GMX_TOKENS } from './gmx-v2/tokens.ts';
import { GMX_V2_MARKETS } from './gmx-v2/markets.ts';
import { GMX_V1_MARKETS } from './gmx-v1/markets.ts';
import { SYNTHETIX_V2_MARKETS } from './synthetix-perps-v2/markets.ts';
import { CHAINLINK_FEEDS } from './chainlink/feeds.ts';

export type { MarketInfo, TokenInfo } from './registry-types.ts';

/** Built-in reference data of every protocol (each list cites its source in its own file). */
export const BUILTIN_TOKENS: readonly TokenInfo[] = GMX_TOKENS;
export const BUILTIN_MARKETS: readonly MarketInfo[] = [...GMX_V2_MARKETS, ...GMX_V1_MARKETS, ...SYNTHETIX_V2_MARKETS, ...CHAINLINK_FEEDS];

/** Market ids that are addresses are compared lower-case; others (Synthetix v3 ids, Pyth ids) as given. */
export function normalizeMarketId(market: string): string {
  return /^0x[0-9a-fA-F]+$/.test(market) ? market.toLowerCase() : market;
}

function fromConfigMarket(m: MarketConfig): MarketInfo {
  return {
    venue: m.venue,
    chainId: m.chainId ?? null,
    market: normalizeMarketId(m.market),
    symbol: m.symbol,
    ...(m.indexToken !== undefined ? { indexToken: normalizeMarketId(m.indexToken) } : {}),
    ...(m.indexDecimals !== undefined ? { indexDecimals: m.indexDecimals } : {}),
    ...(m.longToken !== undefined ? { longToken: normalizeMarketId(m.longToken) } : {}),
    ...(m.shortToken !== undefined ? { shortToken: normalizeMarketId(m.shortToken) } : {}),
  };
}

/**
 * Upserts the built-in registry and the config's `markets`/`tokens` into the `markets` and `tokens`
 * tables (config entries win and are marked origin 'config'). Decoders read these tables, so this runs
 * before indexing; it is idempotent.
 */
export async function syncRegistry(
  db: Kysely<Database>,
  config: { markets?: readonly MarketConfig[]; tokens?: readonly TokenConfig[] } = {},
): Promise<{ markets: number; tokens: number }> {
  const tokens = new Map<string, TokenInfo & { origin: string }>();
  for (const t of BUILTIN_TOKENS) tokens.set(`${t.chainId}:${t.address}`, { ...t, origin: 'registry' });
  for (const t of config.tokens ?? []) {
    const address = t.address.toLowerCase();
    tokens.set(`${t.chainId}:${address}`, { chainId: t.chainId, address, symbol: t.symbol, decimals: t.decimals, origin: 'config' });
  }
  const markets = new Map<string, MarketInfo & { origin: string }>();
  for (const m of BUILTIN_MARKETS) markets.set(`${m.venue}:${m.chainId}:${m.market}`, { ...m, origin: 'registry' });
  for (const c of config.markets ?? []) {
    const m = fromConfigMarket(c);
    markets.set(`${m.venue}:${m.chainId}:${m.market}`, { ...m, origin: 'config' });
  }
  await db.transaction().execute(async (trx) => {
    const tokenRows = [...tokens.values()].map((t) => ({
      chain_id: t.chainId,
      address: t.address,
      symbol: t.symbol,
      decimals: t.decimals,
      origin: t.origin,
    }));
    for (let i = 0; i < tokenRows.length; i += 500) {
      await trx
        .insertInto('tokens')
        .values(tokenRows.slice(i, i + 500))
        .onConflict((oc) =>
          oc.columns(['chain_id', 'address']).doUpdateSet((eb) => ({
            symbol: eb.ref('excluded.symbol'),
            decimals: eb.ref('excluded.decimals'),
            origin: eb.ref('excluded.origin'),
          })),
        )
        .execute();
    }
    // markets has a NULLS NOT DISTINCT unique constraint rather than a primary key: update, then insert.
    for (const m of markets.values()) {
      const values = {
        symbol: m.symbol,
        index_token: m.indexToken ?? null,
        index_decimals: m.indexDecimals ?? null,
        long_token: m.longToken ?? null,
        short_token: m.shortToken ?? null,
        origin: m.origin,
        extra: JSON.stringify(m.extra ?? {}),
      };
      let query = trx.updateTable('markets').set({ ...values, updated_at: new Date() } as never).where('venue', '=', m.venue).where('market', '=', m.market);
      query = m.chainId === null ? query.where('chain_id', 'is', null) : query.where('chain_id', '=', m.chainId);
      const result = await query.executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        await trx
          .insertInto('markets')
          .values({ venue: m.venue, chain_id: m.chainId, market: m.market, ...values })
          .execute();
      }
    }
  });
  return { markets: markets.size, tokens: tokens.size };
}

/**
 * What a decoder knows about markets and tokens of one chain: the built-in lists, overridden by the
 * `markets`/`tokens` tables (which hold the config's entries after `syncRegistry`). Loaded once per
 * batch through the batch's transaction.
 */
export class Registry {
  private constructor(
    private readonly markets: Map<string, MarketInfo>,
    private readonly tokens: Map<string, TokenInfo>,
  ) {}

  static builtin(venue: string, chainId: number): Registry {
    const markets = new Map<string, MarketInfo>();
    for (const m of BUILTIN_MARKETS) if (m.venue === venue && (m.chainId === chainId || m.chainId === null)) markets.set(m.market, m);
    const tokens = new Map<string, TokenInfo>();
    for (const t of BUILTIN_TOKENS) if (t.chainId === chainId) tokens.set(t.address, t);
    return new Registry(markets, tokens);
  }

  static async load(db: Kysely<Database>, venue: string, chainId: number): Promise<Registry> {
    const registry = Registry.builtin(venue, chainId);
    const marketRows = await db
      .selectFrom('markets')
      .selectAll()
      .where('venue', '=', venue)
      .where((eb) => eb.or([eb('chain_id', '=', chainId), eb('chain_id', 'is', null)]))
      .execute();
    for (const r of marketRows) {
      registry.markets.set(normalizeMarketId(r.market), {
        venue: r.venue,
        chainId: r.chain_id,
        market: normalizeMarketId(r.market),
        symbol: r.symbol ?? r.market,
        ...(r.index_token ? { indexToken: r.index_token } : {}),
        ...(r.index_decimals !== null ? { indexDecimals: r.index_decimals } : {}),
        ...(r.long_token ? { longToken: r.long_token } : {}),
        ...(r.short_token ? { shortToken: r.short_token } : {}),
      });
    }
    const tokenRows = await db.selectFrom('tokens').selectAll().where('chain_id', '=', chainId).execute();
    for (const r of tokenRows) {
      registry.tokens.set(r.address.toLowerCase(), { chainId: r.chain_id, address: r.address.toLowerCase(), symbol: r.symbol, decimals: r.decimals });
    }
    return registry;
  }

  market(id: string): MarketInfo | undefined {
    return this.markets.get(normalizeMarketId(id));
  }

  token(address: string): TokenInfo | undefined {
    return this.tokens.get(address.toLowerCase());
  }
}
