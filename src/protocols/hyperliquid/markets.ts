import { canonicalAsset } from '../../pipeline/assets.ts';
import type { MarketInfo } from '../../pipeline/registry.ts';

/**
 * Hyperliquid perpetuals liqscope knows: the market id is the coin as fills name it, quoted in USD
 * (USDC-settled). `szDecimals` (the size step, from the info API's `meta.universe`) is given where
 * it is known for sure; it is reference data only, decoding never needs it.
 *
 * Coins prefixed `k` trade in units of 1,000 (kPEPE is 1,000 PEPE): their asset stays the coin's own
 * name (`KPEPE`), so that sizes are never summed with PEPE's, and `extra` names the unit.
 * Spot pairs (`@107`, `PURR/USDC`) and builder-deployed perps (`xyz:TSLA`) are not listed: their
 * fills are kept with asset null and the flag `unknown_market` until the configuration adds them.
 */
const COINS: ReadonlyArray<readonly [coin: string, szDecimals: number | null]> = [
  ['BTC', 5],
  ['ETH', 4],
  ['SOL', 2],
  ['HYPE', 2],
  ['XRP', 0],
  ['DOGE', 0],
  ['AVAX', 2],
  ['LINK', 1],
  ['SUI', 1],
  ['BNB', 3],
  ['ATOM', 2],
  ['ARB', 1],
  ['DYDX', 1],
  ['MATIC', 1],
  ['kPEPE', 0],
  ['XPL', null],
  ['LTC', null],
  ['BCH', null],
  ['ADA', null],
  ['TRX', null],
  ['DOT', null],
  ['NEAR', null],
  ['APT', null],
  ['OP', null],
  ['INJ', null],
  ['TIA', null],
  ['SEI', null],
  ['TON', null],
  ['TAO', null],
  ['WLD', null],
  ['AAVE', null],
  ['UNI', null],
  ['LDO', null],
  ['CRV', null],
  ['MKR', null],
  ['ONDO', null],
  ['ENA', null],
  ['JUP', null],
  ['WIF', null],
  ['PENGU', null],
  ['TRUMP', null],
  ['FARTCOIN', null],
  ['PUMP', null],
  ['kSHIB', null],
  ['kBONK', null],
];

function market(coin: string, szDecimals: number | null): MarketInfo {
  const thousand = /^k[A-Z0-9]+$/.test(coin);
  const extra: Record<string, unknown> = {};
  if (szDecimals !== null) extra.szDecimals = szDecimals;
  if (thousand) Object.assign(extra, { unitOf: coin.slice(1), unitMultiplier: 1000 });
  return { venue: 'hyperliquid', chainId: null, market: coin, symbol: coin, asset: canonicalAsset(coin), quote: 'USD', extra };
}

export const HYPERLIQUID_MARKETS: readonly MarketInfo[] = Object.freeze(COINS.map(([coin, sz]) => market(coin, sz)));
