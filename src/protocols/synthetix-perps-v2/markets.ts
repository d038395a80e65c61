import type { MarketInfo } from '../../pipeline/registry.ts';
import { assetAndQuote } from '../../pipeline/assets.ts';

/**
 * Synthetix PerpsV2 market proxies on Optimism (chain 10): the address every PerpsV2 event of the
 * market is emitted from. Read from Synthetixio/synthetix (contracts/migrations/
 * Migration_IzarOptimismStep4.sol, the `perpsv2proxy*perp_i` constants). Other markets: add them in
 * the config's `markets`. Values are 18-decimal fixed point (sUSD).
 */
const proxies: [string, string][] = [
  ['0x2B3bb4c683BFc5239B029131EEf3B1d214478d93', 'ETH/USD'],
  ['0x59b007E9ea8F89b069c43F8f45834d30853e3699', 'BTC/USD'],
  ['0x31A1659Ca00F617E86Dc765B6494Afe70a5A9c1A', 'LINK/USD'],
  ['0x0EA09D97b4084d859328ec4bF8eBCF9ecCA26F1D', 'SOL/USD'],
  ['0xc203A12F298CE73E44F7d45A4f59a43DBfFe204D', 'AVAX/USD'],
  ['0x509072A5aE4a87AC89Fc8D64D94aDCb44Bd4b88e', 'ARB/USD'],
];

export const SYNTHETIX_V2_MARKETS: MarketInfo[] = proxies.map(([proxy, symbol]) => ({
  venue: 'synthetix-perps-v2',
  chainId: 10,
  market: proxy.toLowerCase(),
  symbol,
  ...assetAndQuote(symbol),
  indexDecimals: 18,
}));
