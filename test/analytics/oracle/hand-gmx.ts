import type { Address, Hex } from 'viem';
import { encodeAnswerUpdated } from '../../../src/protocols/chainlink/encode.ts';
import { ORDER_TYPE, oraclePriceUpdateLog, positionDecreaseLog, positionFeesLog } from '../../../src/protocols/gmx-v2/encode.ts';
import type { LogBlock } from './log-store.ts';

/**
 * Hand-built GMX v2 and Chainlink logs on Arbitrum (the figures are worked out in
 * store-verdicts.test.ts): ETH longs liquidated at GMX's 1,910 while Chainlink said 1,950 (trader A) and
 * 1,905 (trader B), a LINK long no other venue prices (trader C), GMX's ETH price back at 1,950 at
 * 21:02:00.
 */
export const EMITTER: Address = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';
export const CHAINLINK_ETH: Address = '0x3607e46698d218B3a5Cae44bF381475C0a5e2ca7'; // Arbitrum ETH/USD aggregator, 8 decimals
const ETH_MARKET: Address = '0x70d95587d40A2caf56bd97485aB3Eec10Bee6336';
const LINK_MARKET: Address = '0x7f1fa204bb700853D36994DA19F830b6Ad18455C';
const WETH: Address = '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1';
const LINK: Address = '0xf97f4df75117a78c1A5a0DBb814Af92458539FB4';
const USDC: Address = '0xaf88d065e77c8cC2239327C5EDb3A432268e5831';
const PROVIDER: Address = '0x0000000000000000000000000000000000000777';
export const TRADERS = {
  A: '0xa000000000000000000000000000000000000001',
  B: '0xb000000000000000000000000000000000000002',
  C: '0xc000000000000000000000000000000000000003',
} as const satisfies Record<string, Address>;
const USD = 10n ** 30n;
export const T0 = Date.parse('2025-10-10T21:00:00Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000);
const unix = (seconds: number) => BigInt(T0 / 1000 + seconds);
/** A GMX price of a token with `decimals` decimals: USD per unit × 10^(30 − decimals), from a decimal string. */
const gmxPrice = (usd: string, decimals: number) => {
  const [whole, fraction = ''] = usd.split('.');
  return BigInt(whole! + fraction.padEnd(4, '0')) * 10n ** BigInt(30 - decimals - 4);
};
const usdc = (amount: string) => gmxPrice(amount, 0) / 10n ** 24n; // 6 decimals: amount × 10^6
const key = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const on = (address: Address) => (log: { topics: Hex[]; data: Hex }) => ({ address, ...log });

function chainlink(answer: string, round: bigint, seconds: number) {
  return on(CHAINLINK_ETH)(encodeAnswerUpdated(gmxPrice(answer, 22), round, unix(seconds)));
}

function gmxOracle(token: Address, decimals: number, price: string, seconds: number) {
  const p = gmxPrice(price, decimals);
  return on(EMITTER)(oraclePriceUpdateLog({ token, provider: PROVIDER, minPrice: p, maxPrice: p, timestamp: unix(seconds) }));
}

/** The 10 ETH long of the module comment, liquidated at an index min price of 1,910 (max 1,910.4: a long closes at the min). */
function ethLiquidation(trader: Address, n: number) {
  const orderKey = key(n);
  return [
    on(EMITTER)(positionFeesLog({
      orderKey,
      positionKey: key(1000 + n),
      market: ETH_MARKET,
      collateralToken: USDC,
      trader,
      collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
      tradeSizeUsd: 20_000n * USD,
      positionFeeAmount: usdc('20'),
      liquidationFeeAmount: usdc('38.2'),
      isIncrease: false,
    })),
    on(EMITTER)(positionDecreaseLog({
      account: trader,
      market: ETH_MARKET,
      collateralToken: USDC,
      isLong: true,
      executionPrice: gmxPrice('1910', 18),
      indexTokenPrice: { min: gmxPrice('1910', 18), max: gmxPrice('1910.4', 18) },
      collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
      sizeDeltaUsd: 20_000n * USD,
      sizeDeltaInTokens: 10n * 10n ** 18n,
      collateralDeltaAmount: usdc('1000'),
      orderType: ORDER_TYPE.Liquidation,
      basePnlUsd: -900n * USD,
      orderKey,
    })),
  ];
}

function linkLiquidation(trader: Address, n: number) {
  return [
    on(EMITTER)(positionDecreaseLog({
      account: trader,
      market: LINK_MARKET,
      collateralToken: USDC,
      isLong: true,
      executionPrice: gmxPrice('9.6', 18),
      indexTokenPrice: { min: gmxPrice('9.6', 18), max: gmxPrice('9.6', 18) },
      collateralTokenPrice: { min: 10n ** 24n, max: 10n ** 24n },
      sizeDeltaUsd: 1_000n * USD,
      sizeDeltaInTokens: 100n * 10n ** 18n,
      collateralDeltaAmount: usdc('50'),
      orderType: ORDER_TYPE.Liquidation,
      basePnlUsd: -40n * USD,
      orderKey: key(n),
    })),
  ];
}

export const BLOCKS: LogBlock[] = [
  { time: at(0), logs: [chainlink('1950', 1n, 0), gmxOracle(WETH, 18, '1910', 0), gmxOracle(LINK, 18, '9.6', 0)] },
  { time: at(30), logs: ethLiquidation(TRADERS.A, 1) },
  { time: at(40), logs: linkLiquidation(TRADERS.C, 3) },
  { time: at(120), logs: [gmxOracle(WETH, 18, '1950', 120)] },
  { time: at(3600), logs: [chainlink('1905', 2n, 3600), gmxOracle(WETH, 18, '1910', 3600), gmxOracle(LINK, 18, '9.6', 3600)] },
  { time: at(3630), logs: ethLiquidation(TRADERS.B, 2) },
];

/** The feeds' update rules of the hand-built logs, as a user configures them (GMX's own oracle: a price at least hourly). */
export const HAND_ORACLE_PARAMS = {
  feeds: [
    { venue: 'chainlink', heartbeatSeconds: 3600, deviationPct: 0.5 },
    { venue: 'gmx-v2', heartbeatSeconds: 3600, deviationPct: 0.5 },
  ],
};

/** The two sources that read them. */
export const HAND_SOURCES = [
  { name: 'hand-gmx', protocol: 'gmx-v2', addresses: [EMITTER] },
  { name: 'hand-chainlink', protocol: 'chainlink', addresses: [CHAINLINK_ETH] },
];
