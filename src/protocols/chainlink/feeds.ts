import type { MarketInfo } from '../registry-types.ts';

/**
 * Known Chainlink feeds: the address that emits AnswerUpdated (the aggregator) and its decimals.
 * - Ethereum ETH/USD: proxy 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 (shared/data/chainlink/README.md),
 *   aggregator of phase 6 0xE62B71cf983019BFf55bC83B48601ce8419650CC (proxy → aggregator call seen in
 *   public fork traces; the CSV's round ids are phase 6), 8 decimals.
 * - Arbitrum ETH/USD and BTC/USD aggregators as indexed by gmx-io/gmx-subgraph
 *   (gmx-arbitrum-stats/subgraph.yaml), 8 decimals (USD feeds).
 * Other feeds: set `options.decimals` on the source, or add a `markets` entry with `indexDecimals`.
 */
const feeds: [chainId: number, address: string, symbol: string, decimals: number, role: string][] = [
  [1, '0xE62B71cf983019BFf55bC83B48601ce8419650CC', 'ETH/USD', 8, 'aggregator'],
  [1, '0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419', 'ETH/USD', 8, 'proxy'],
  [42161, '0x3607e46698d218B3a5Cae44bF381475C0a5e2ca7', 'ETH/USD', 8, 'aggregator'],
  [42161, '0x942d00008D658dbB40745BBEc89A93c253f9B882', 'BTC/USD', 8, 'aggregator'],
];

export const CHAINLINK_FEEDS: MarketInfo[] = feeds.map(([chainId, address, symbol, decimals, role]) => ({
  venue: 'chainlink',
  chainId,
  market: address.toLowerCase(),
  symbol,
  indexDecimals: decimals,
  extra: { role },
}));
