/** Reference data the decoders normalize with (rows of the `tokens` and `markets` tables). */
export interface TokenInfo {
  chainId: number;
  /** Lower-case hex. */
  address: string;
  symbol: string;
  decimals: number;
}

export interface MarketInfo {
  venue: string;
  chainId: number | null;
  /** GMX v2 market token / GMX v1 index token / Synthetix market proxy or v3 market id / feed address (lower-case hex). */
  market: string;
  symbol: string;
  indexToken?: string;
  indexDecimals?: number;
  longToken?: string;
  shortToken?: string;
  extra?: Record<string, unknown>;
}
