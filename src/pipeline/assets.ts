/**
 * Canonical asset names: one spelling of an asset across venues, so that "everything liquidated on ETH"
 * is one query. Wrapped and bridged tokens stand for their asset (WETH, WETH.e → ETH; WBTC, BTC.b →
 * BTC); liquid-staking tokens do not (wstETH is its own asset, priced against ETH).
 */
const ALIASES: Readonly<Record<string, string>> = {
  WETH: 'ETH',
  'WETH.E': 'ETH',
  WBTC: 'BTC',
  'WBTC.E': 'BTC',
  'BTC.B': 'BTC',
  TBTC: 'BTC',
  WAVAX: 'AVAX',
  WBNB: 'BNB',
  WMATIC: 'MATIC',
  WPOL: 'POL',
  'USDC.E': 'USDC',
};

/** The canonical asset of a token or coin symbol (`WETH` → `ETH`, `sol` → `SOL`). */
export function canonicalAsset(symbol: string): string {
  const upper = symbol.trim().toUpperCase();
  return ALIASES[upper] ?? upper;
}

/**
 * Base and quote of a market or feed symbol: `ETH/USD` → ETH, USD; `BTC/USD [WBTC-USDC]` → BTC, USD;
 * `ETH-USD` (dYdX tickers) → ETH, USD. A bare symbol has no quote.
 */
export function assetAndQuote(symbol: string): { asset: string; quote: string | null } {
  const pair = symbol.replace(/\s*\[.*\]\s*$/, '').trim();
  const match = pair.match(/^([^/\-\s]+)\s*[/-]\s*([^/\-\s]+)$/);
  if (!match) return { asset: canonicalAsset(pair), quote: null };
  return { asset: canonicalAsset(match[1]!), quote: canonicalAsset(match[2]!) };
}

/** Names of EVM chains by EIP-155 id, for the `chain` column; others are `eip155:<id>`. */
const CHAIN_NAMES: Readonly<Record<number, string>> = {
  1: 'ethereum',
  10: 'optimism',
  56: 'bsc',
  137: 'polygon',
  8453: 'base',
  42161: 'arbitrum',
  43114: 'avalanche',
  999: 'hyperevm',
};

export function evmChainName(chainId: number): string {
  return CHAIN_NAMES[chainId] ?? `eip155:${chainId}`;
}
