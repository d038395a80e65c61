import type { Address, Hex } from 'viem';
import { GMX_V2_MARKETS } from '../../protocols/gmx-v2/markets.ts';
import { GMX_TOKENS } from '../../protocols/gmx-v2/tokens.ts';
import { CHAINLINK_FEEDS } from '../../protocols/chainlink/feeds.ts';
import { orderKeyFromNonce, positionKey } from '../../protocols/gmx-v2/encode.ts';
import { GMX_V2_EVENT_EMITTER } from '../../protocols/gmx-v2/deployments.ts';
import { mulDec, toRaw } from '../units.ts';

/**
 * How simulated GMX v2 and Chainlink records map onto real Arbitrum addresses and units
 * (formats.md §1, §5): market tokens and index tokens from the protocol registry, USDC collateral,
 * prices × 10^(30 − index decimals), USD × 10^30. Shared by the chain writer and the ground truth,
 * so both hold the very same integers.
 */
export const ARBITRUM_CHAIN_ID = 42161;
export const GMX_EVENT_EMITTER: Address = GMX_V2_EVENT_EMITTER.arbitrum.address;
export const ARBITRUM_USDC = '0xaf88d065e77c8cc2239327c5edb3a432268e5831';
const USDC_DECIMALS = 6;

export interface GmxMarketRef {
  symbol: string;
  market: Address;
  indexToken: Address;
  indexDecimals: number;
}

/** The real Arbitrum GMX v2 market `<SYMBOL>/USD` with USDC as short token, or null if GMX lists none. */
export function gmxMarketFor(symbol: string): GmxMarketRef | null {
  const info = GMX_V2_MARKETS.find((m) => m.chainId === ARBITRUM_CHAIN_ID && m.symbol === `${symbol}/USD` && m.shortToken === ARBITRUM_USDC);
  if (!info || !info.indexToken || info.indexDecimals === undefined) return null;
  return { symbol, market: info.market as Address, indexToken: info.indexToken as Address, indexDecimals: info.indexDecimals };
}

/** The Arbitrum Chainlink aggregator of `<SYMBOL>/USD`, or null. */
export function chainlinkAggregatorFor(symbol: string): { address: Address; decimals: number } | null {
  const feed = CHAINLINK_FEEDS.find((f) => f.chainId === ARBITRUM_CHAIN_ID && f.symbol === `${symbol}/USD` && f.extra?.role === 'aggregator');
  return feed ? { address: feed.market as Address, decimals: feed.indexDecimals ?? 8 } : null;
}

export const usdcToken = (): { address: Address; decimals: number } => {
  const token = GMX_TOKENS.find((t) => t.chainId === ARBITRUM_CHAIN_ID && t.address === ARBITRUM_USDC)!;
  return { address: token.address as Address, decimals: token.decimals };
};

/** Price decimals of a GMX price: 30 − index token decimals. */
export const gmxPriceDecimals = (ref: GmxMarketRef): number => 30 - ref.indexDecimals;

export interface GmxDecreaseValues {
  market: Address;
  indexToken: Address;
  collateralToken: Address;
  orderKey: Hex;
  positionKey: Hex;
  executionPrice: bigint;
  sizeDeltaUsd: bigint;
  sizeDeltaInTokens: bigint;
  collateralAmount: bigint;
  basePnlUsd: bigint;
  liquidationFeeAmount: bigint;
  remainingCostUsd: bigint;
}

/**
 * The integers of one GMX PositionDecrease from the record's decimal strings (size in tokens,
 * price, collateral/pnl/fee/bad debt in USD), exact.
 */
export function gmxDecreaseValues(
  ref: GmxMarketRef,
  nonce: bigint,
  account: Address,
  isLong: boolean,
  v: { size: string; price: string; collateralUsd: string; pnlUsd: string; feeUsd: string; badDebtUsd: string },
): GmxDecreaseValues {
  const collateralToken = ARBITRUM_USDC as Address;
  return {
    market: ref.market,
    indexToken: ref.indexToken,
    collateralToken,
    orderKey: orderKeyFromNonce(nonce),
    positionKey: positionKey(account, ref.market, collateralToken, isLong),
    executionPrice: toRaw(v.price, gmxPriceDecimals(ref)),
    sizeDeltaUsd: toRaw(mulDec(v.size, v.price, 6), 30),
    sizeDeltaInTokens: toRaw(v.size, ref.indexDecimals),
    collateralAmount: toRaw(v.collateralUsd, USDC_DECIMALS),
    basePnlUsd: toRaw(v.pnlUsd, 30),
    liquidationFeeAmount: toRaw(v.feeUsd, USDC_DECIMALS),
    remainingCostUsd: toRaw(v.badDebtUsd, 30),
  };
}

/** USDC price × 10^(30 − 6): one dollar. */
export const USDC_PRICE = 10n ** 24n;
