import { assetAndQuote } from '../../pipeline/assets.ts';
import type { MarketInfo } from '../../pipeline/registry.ts';

/**
 * dYdX v4 perpetual markets liqscope knows, by ticker (the market id every indexer endpoint uses),
 * USD-quoted (USDC-settled): the long-listed majors and every market the shipped scenarios simulate
 * (scenarios/*.json). dYdX lists markets permissionlessly, so a ticker not here is still read: its
 * rows keep asset NULL with the flag `unknown_market` until the configuration's `markets` adds it.
 */
const TICKERS = [
  // simulated by the scenarios
  'BTC-USD',
  'ETH-USD',
  'SOL-USD',
  'HYPE-USD',
  'XPL-USD',
  'DOGE-USD',
  'XRP-USD',
  'AVAX-USD',
  'LINK-USD',
  'SUI-USD',
  // other long-listed markets
  'ADA-USD',
  'LTC-USD',
  'BCH-USD',
  'DOT-USD',
  'ATOM-USD',
  'NEAR-USD',
  'APT-USD',
  'ARB-USD',
  'OP-USD',
  'INJ-USD',
  'TIA-USD',
  'SEI-USD',
  'TRX-USD',
  'FIL-USD',
  'UNI-USD',
  'AAVE-USD',
  'CRV-USD',
  'LDO-USD',
  'MKR-USD',
  'WLD-USD',
  'POL-USD',
  'MATIC-USD',
  'TON-USD',
  'TAO-USD',
  'ENA-USD',
  'JUP-USD',
  'ONDO-USD',
  'WIF-USD',
  'PEPE-USD',
  'SHIB-USD',
  'BONK-USD',
  'TRUMP-USD',
  'DYDX-USD',
] as const;

function market(ticker: string): MarketInfo {
  const { asset, quote } = assetAndQuote(ticker);
  return { venue: 'dydx-v4', chainId: null, market: ticker, symbol: ticker, asset, quote };
}

export const DYDX_MARKETS: readonly MarketInfo[] = Object.freeze(TICKERS.map(market));
