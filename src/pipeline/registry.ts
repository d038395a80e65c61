/**
 * Reference data decoders normalise with: markets (a venue's market id → canonical asset, decimals)
 * and tokens (chain + address → symbol, decimals, asset). Protocols ship built-in lists; the store
 * keeps them with the configuration's additions in the `markets` and `tokens` tables.
 */
export interface TokenInfo {
  chainId: number;
  /** Lower-case hex. */
  address: string;
  symbol: string;
  decimals: number;
  /** Canonical asset the token stands for (WETH → ETH); null when it is not a priced asset of ours. */
  asset?: string | null;
}

export interface MarketInfo {
  venue: string;
  chainId: number | null;
  /**
   * The venue's own market id: GMX v2 market token, GMX v1 index token, Synthetix market proxy or v3
   * market id, oracle feed address, Pyth price id, Hyperliquid coin, dYdX ticker (lower-case when hex).
   */
  market: string;
  symbol: string;
  /** Canonical base asset (`BTC`, `ETH`, …) that lets one query span venues. */
  asset: string | null;
  /** Quote currency (`USD` for USD-quoted perps and feeds). */
  quote: string | null;
  indexToken?: string;
  indexDecimals?: number;
  longToken?: string;
  shortToken?: string;
  extra?: Record<string, unknown>;
}

/** What a decoder sees of the registry: the markets of its venue and chain and the tokens of its chain. */
export interface RegistryView {
  market(id: string): MarketInfo | undefined;
  token(address: string): TokenInfo | undefined;
}

/** Market ids that are hex are compared lower-case; others (Synthetix v3 ids, coins, tickers) as given. */
export function normalizeMarketId(market: string): string {
  return /^0x[0-9a-fA-F]+$/.test(market) ? market.toLowerCase() : market;
}

/** A RegistryView over lists (the store loads them from its tables; tests pass a protocol's built-ins). */
export class Registry implements RegistryView {
  private readonly markets = new Map<string, MarketInfo>();
  private readonly tokens = new Map<string, TokenInfo>();

  constructor(markets: Iterable<MarketInfo>, tokens: Iterable<TokenInfo>) {
    for (const m of markets) this.markets.set(normalizeMarketId(m.market), m);
    for (const t of tokens) this.tokens.set(t.address.toLowerCase(), t);
  }

  /** The view of one venue and chain from lists that span many (chain-less markets apply on every chain). */
  static scoped(markets: Iterable<MarketInfo>, tokens: Iterable<TokenInfo>, venue: string, chainId: number | null): Registry {
    const ms: MarketInfo[] = [];
    for (const m of markets) if (m.venue === venue && (m.chainId === chainId || m.chainId === null)) ms.push(m);
    const ts: TokenInfo[] = [];
    for (const t of tokens) if (t.chainId === chainId) ts.push(t);
    return new Registry(ms, ts);
  }

  market(id: string): MarketInfo | undefined {
    return this.markets.get(normalizeMarketId(id));
  }

  /** The lists this view was built from, as plain data (a worker thread rebuilds the same view from them). */
  lists(): { markets: MarketInfo[]; tokens: TokenInfo[] } {
    return { markets: [...this.markets.values()], tokens: [...this.tokens.values()] };
  }

  token(address: string): TokenInfo | undefined {
    return this.tokens.get(address.toLowerCase());
  }
}
