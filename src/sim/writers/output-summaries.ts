/** What the reference writers put in the ground truth and their index files (types only, shared). */

/** What writers/dydx-market-data.ts wrote, for the ground truth. */
export interface DydxMarketDataSummary {
  venue: string;
  candleResolution: '1MIN';
  candles: Record<string, number>;
  fundingIntervalSeconds: 3600;
  fundingTicks: Record<string, number>;
}

/** dydx/index.json's market-data part (writers/dydx-market-data.ts). */
export interface DydxMarketDataIndex {
  candles: { ticker: string; resolution: '1MIN'; candles: number; pages: number }[];
  historicalFunding: { ticker: string; ticks: number; pages: number }[];
}

/** What writers/hyperliquid-info.ts wrote, for the ground truth. */
export interface HyperliquidInfoSummary {
  venue: string;
  ctxSampleSeconds: number;
  ctxSamples: number;
  candleInterval: '1m';
  candles: Record<string, number>;
}
