import type { MarketInfo } from '../../pipeline/registry.ts';
import { assetAndQuote } from '../../pipeline/assets.ts';
import { GMX_TOKENS } from '../gmx-v2/tokens.ts';

/**
 * GMX v1 markets are keyed by index token (the Vault has one pool per chain). The tradable index
 * tokens are those marked `isShortable` in gmx-io/gmx-interface@0181c265:sdk/src/configs/tokens.ts
 * (Arbitrum: WETH, WBTC, LINK, UNI; Avalanche: WAVAX, WETH.e, BTC.b, WBTC.e). v1 prices are USD per
 * whole token × 10^30 (PRICE_PRECISION), so decimals only matter for token amounts.
 */
const indexTokens: [chainId: number, address: string, symbol: string][] = [
  [42161, '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1', 'ETH/USD'],
  [42161, '0x2f2a2543B76A4166549F7aaB2e75Bef0aefC5B0f', 'BTC/USD'],
  [42161, '0xf97f4df75117a78c1A5a0DBb814Af92458539FB4', 'LINK/USD'],
  [42161, '0xFa7F8980b0f1E64A2062791cc3b0871572f1F7f0', 'UNI/USD'],
  [43114, '0xB31f66AA3C1e785363F0875A1B74E27b85FD66c7', 'AVAX/USD'],
  [43114, '0x49D5c2BdFfac6CE2BFdB6640F4F80f226bc10bAB', 'ETH/USD'],
  [43114, '0x152b9d0FdC40C096757F570A51E494bd4b943E50', 'BTC/USD'],
  [43114, '0x50b7545627a5162F82A992c33b87aDc75187B218', 'BTC/USD'],
];

export const GMX_V1_MARKETS: MarketInfo[] = indexTokens.map(([chainId, address, symbol]) => {
  const indexToken = address.toLowerCase();
  const token = GMX_TOKENS.find((t) => t.chainId === chainId && t.address === indexToken);
  return {
    venue: 'gmx-v1',
    chainId,
    market: indexToken,
    symbol,
    ...assetAndQuote(symbol),
    indexToken,
    ...(token ? { indexDecimals: token.decimals } : {}),
    extra: token ? { indexSymbol: token.symbol } : {},
  };
});
