import type { Kysely } from 'kysely';
import type { MarketConfig, TokenConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { assetAndQuote, canonicalAsset } from '../pipeline/assets.ts';
import { normalizeMarketId, Registry, type MarketInfo, type TokenInfo } from '../pipeline/registry.ts';

/**
 * Upserts reference data into the `markets` and `tokens` tables: the protocols' built-in lists, then the
 * configuration's `markets`/`tokens` (which win and are marked origin 'config'). Decoders read these
 * tables (through loadRegistry), so this runs before indexing; it is idempotent.
 */
export async function syncRegistry(
  db: Kysely<Database>,
  builtin: { markets: readonly MarketInfo[]; tokens: readonly TokenInfo[] },
  config: { markets?: readonly MarketConfig[]; tokens?: readonly TokenConfig[] } = {},
): Promise<{ markets: number; tokens: number }> {
  const tokens = new Map<string, TokenInfo & { origin: string }>();
  for (const t of builtin.tokens) tokens.set(`${t.chainId}:${t.address}`, { ...t, origin: 'registry' });
  for (const t of config.tokens ?? []) {
    const address = t.address.toLowerCase();
    tokens.set(`${t.chainId}:${address}`, { chainId: t.chainId, address, symbol: t.symbol, decimals: t.decimals, asset: t.asset ?? canonicalAsset(t.symbol), origin: 'config' });
  }
  const markets = new Map<string, MarketInfo & { origin: string }>();
  for (const m of builtin.markets) markets.set(`${m.venue}:${m.chainId}:${m.market}`, { ...m, origin: 'registry' });
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
      asset: t.asset ?? null,
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
            asset: eb.ref('excluded.asset'),
            origin: eb.ref('excluded.origin'),
          })),
        )
        .execute();
    }
    // markets has a NULLS NOT DISTINCT unique constraint rather than a primary key: update, then insert.
    for (const m of markets.values()) {
      const values = {
        symbol: m.symbol,
        asset: m.asset,
        quote: m.quote,
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

function fromConfigMarket(m: MarketConfig): MarketInfo {
  const derived = assetAndQuote(m.symbol);
  return {
    venue: m.venue,
    chainId: m.chainId ?? null,
    market: normalizeMarketId(m.market),
    symbol: m.symbol,
    asset: m.asset ?? derived.asset,
    quote: m.quote ?? derived.quote,
    ...(m.indexToken !== undefined ? { indexToken: normalizeMarketId(m.indexToken) } : {}),
    ...(m.indexDecimals !== undefined ? { indexDecimals: m.indexDecimals } : {}),
    ...(m.longToken !== undefined ? { longToken: normalizeMarketId(m.longToken) } : {}),
    ...(m.shortToken !== undefined ? { shortToken: normalizeMarketId(m.shortToken) } : {}),
  };
}

/**
 * The registry a source's decoder sees: the stored markets of its venue (on its chain, or chain-less)
 * and the tokens of its chain. Loaded once per run: the registry is synced before indexing starts.
 */
export async function loadRegistry(db: Kysely<Database>, venue: string, chainId: number | null): Promise<Registry> {
  let marketQuery = db.selectFrom('markets').selectAll().where('venue', '=', venue);
  marketQuery = chainId === null ? marketQuery.where('chain_id', 'is', null) : marketQuery.where((eb) => eb.or([eb('chain_id', '=', chainId), eb('chain_id', 'is', null)]));
  const marketRows = await marketQuery.execute();
  const tokenRows = chainId === null ? [] : await db.selectFrom('tokens').selectAll().where('chain_id', '=', chainId).execute();
  return new Registry(
    marketRows.map((r) => ({
      venue: r.venue,
      chainId: r.chain_id,
      market: normalizeMarketId(r.market),
      symbol: r.symbol ?? r.market,
      asset: r.asset,
      quote: r.quote,
      ...(r.index_token ? { indexToken: r.index_token } : {}),
      ...(r.index_decimals !== null ? { indexDecimals: r.index_decimals } : {}),
      ...(r.long_token ? { longToken: r.long_token } : {}),
      ...(r.short_token ? { shortToken: r.short_token } : {}),
    })),
    tokenRows.map((r) => ({ chainId: r.chain_id, address: r.address.toLowerCase(), symbol: r.symbol, decimals: r.decimals, asset: r.asset })),
  );
}
