import type { FeedUpdateRule } from '../../pipeline/feed-rules.ts';
import type { MarketInfo } from '../../pipeline/registry.ts';
import { assetAndQuote } from '../../pipeline/assets.ts';

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
  ...assetAndQuote(symbol),
  indexDecimals: decimals,
  extra: { role },
}));

/**
 * Update rules of the known feeds, for the oracle analysis. Chainlink publishes them per feed and network
 * (data.chain.link); the Ethereum figures are the ones the shared real data was read with
 * (shared/data/chainlink/README.md), the Arbitrum ones are Chainlink's listing for the aggregators above,
 * not re-checked offline.
 */
export const CHAINLINK_UPDATE_RULES: readonly FeedUpdateRule[] = [
  // Ethereum ETH/USD: proxy and the phase-6 aggregator that emits AnswerUpdated.
  { venue: 'chainlink', market: '0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419', heartbeatSeconds: 3600, deviationPct: 0.5 },
  { venue: 'chainlink', market: '0xe62b71cf983019bff55bc83b48601ce8419650cc', heartbeatSeconds: 3600, deviationPct: 0.5 },
  // Ethereum stETH/ETH (proxy).
  { venue: 'chainlink', market: '0x86392dc19c0b719886221c78ab11eb8cf5c52812', heartbeatSeconds: 86400, deviationPct: 0.5 },
  // Arbitrum ETH/USD and BTC/USD aggregators.
  { venue: 'chainlink', market: '0x3607e46698d218b3a5cae44bf381475c0a5e2ca7', heartbeatSeconds: 86400, deviationPct: 0.05 },
  { venue: 'chainlink', market: '0x942d00008d658dbb40745bbec89a93c253f9b882', heartbeatSeconds: 86400, deviationPct: 0.05 },
];
