import { keccak256, toHex, type Hex } from 'viem';
import { configSchema, type LiqscopeConfig } from '../../../src/config/schema.ts';
import { GMX_V2_MARKETS } from '../../../src/protocols/gmx-v2/markets.ts';
import type { SubgraphRow } from '../../../src/sim/servers/subgraph-server.ts';

/** A real Arbitrum GMX v2 market with an 18-decimal index token (ETH/USD [WETH-USDC]) and USDC collateral. */
export const ETH_MARKET = GMX_V2_MARKETS.find((m) => m.chainId === 42161 && m.symbol === 'ETH/USD' && m.extra?.pool === 'WETH-USDC')!;
export const USDC = '0xaf88d065e77c8cc2239327c5edb3a432268e5831';

/** The expected row values of a generated TradeAction, written as decimals by hand (not by the decoder's code). */
export interface ExpectedLiquidation {
  uid: string;
  txHash: string;
  orderKey: string;
  account: string;
  side: 'long' | 'short';
  sizeUsd: string;
  price: string;
  collateralAmount: string;
  feeUsd: string;
  pnlUsd: string;
  time: Date;
  block: number;
}

/** A 32-byte value that looks like a hash: ids made of them sort in no particular order. */
const hex64 = (n: number, salt: number): Hex => keccak256(toHex(`${salt}:${n}`));

/**
 * `count` liquidation TradeActions as the synthetics-stats subgraph stores them. Ids begin with a
 * transaction hash, so their id order has nothing to do with time; `sameTimestamp` of them (from
 * `sameFrom`) share one block and one timestamp, which lands on page boundaries at any page size.
 */
export function tradeActions(count: number, opts: { firstBlock?: number; sameFrom?: number; sameTimestamp?: number; salt?: number } = {}): { rows: SubgraphRow[]; expected: ExpectedLiquidation[] } {
  const rows: SubgraphRow[] = [];
  const expected: ExpectedLiquidation[] = [];
  const firstBlock = opts.firstBlock ?? 1000;
  const salt = opts.salt ?? 1;
  for (let i = 0; i < count; i++) {
    const inTie = opts.sameTimestamp !== undefined && i >= (opts.sameFrom ?? 0) && i < (opts.sameFrom ?? 0) + opts.sameTimestamp;
    const block = inTie ? firstBlock + (opts.sameFrom ?? 0) : firstBlock + i;
    const timestamp = 1_760_130_000 + (inTie ? (opts.sameFrom ?? 0) : i);
    const txHash = hex64(i + 1, salt);
    const logIndex = 3 + (i % 5);
    const orderKey = hex64(i + 1, salt + 7);
    const account = `0x${(i + 1).toString(16).padStart(40, '0')}`;
    const isLong = i % 3 !== 0;
    // size $1000 + i and 25 cents; price 3400 + i/100 (18-decimal index: price × 10^12); collateral (i+1) USDC and 5 cents;
    // fee 1.5 USDC; pnl −(i + 0.5) USD.
    rows.push({
      id: `${txHash}:${logIndex}`,
      _block: block,
      eventName: 'OrderExecuted',
      orderKey,
      orderType: '7',
      account,
      marketAddress: ETH_MARKET.market,
      swapPath: [],
      initialCollateralTokenAddress: USDC,
      initialCollateralDeltaAmount: `${i + 1}050000`,
      sizeDeltaUsd: `${1000 + i}25${'0'.repeat(28)}`,
      triggerPrice: '0',
      acceptablePrice: '0',
      executionPrice: `${340000 + i}${'0'.repeat(10)}`,
      collateralTokenPriceMin: `1${'0'.repeat(24)}`,
      collateralTokenPriceMax: `1${'0'.repeat(24)}`,
      indexTokenPriceMin: `${340000 + i}${'0'.repeat(10)}`,
      indexTokenPriceMax: `${340000 + i}${'0'.repeat(10)}`,
      priceImpactDiffUsd: '0',
      priceImpactUsd: '0',
      priceImpactAmount: null,
      positionFeeAmount: '0',
      liquidationFeeAmount: '1500000',
      borrowingFeeAmount: '0',
      fundingFeeAmount: '0',
      pnlUsd: `-${i}5${'0'.repeat(29)}`,
      basePnlUsd: `-${i}5${'0'.repeat(29)}`,
      isLong,
      minOutputAmount: '0',
      executionAmountOut: null,
      shouldUnwrapNativeToken: false,
      reason: null,
      reasonBytes: null,
      timestamp,
      transaction: { id: txHash, from: account, to: '0x0000000000000000000000000000000000000001', hash: txHash, timestamp, blockNumber: block, transactionIndex: 0 },
    });
    expected.push({
      uid: `${txHash}:${logIndex}`,
      txHash,
      orderKey,
      account,
      side: isLong ? 'long' : 'short',
      sizeUsd: `${1000 + i}.25`,
      price: trimDecimal(`${Math.floor((340000 + i) / 100)}.${String((340000 + i) % 100).padStart(2, '0')}`),
      collateralAmount: `${i + 1}.05`,
      feeUsd: '1.5',
      pnlUsd: `-${i}.5`,
      time: new Date(timestamp * 1000),
      block,
    });
  }
  return { rows, expected };
}

function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** A config with one GMX v2 subgraph source on Arbitrum (the chain's RPC is never called by it). */
export function subgraphConfig(url: string, source: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): LiqscopeConfig {
  // The name may be overridden (`source.name`) so that tests sharing one database keep apart.
  return configSchema.parse({
    chains: { arbitrum: { chainId: 42161, rpc: ['http://127.0.0.1:9'] } },
    sources: [{ name: 'gmx-v2-subgraph', kind: 'subgraph', protocol: 'gmx-v2', chain: 'arbitrum', url, requestsPerMinute: 60_000, ...source }],
    ...extra,
  });
}
