import type { Address } from 'viem';
import {
  adlStateUpdatedLog,
  insolventCloseLog,
  oraclePriceUpdateLog,
  orderExecutedLog,
  ORDER_TYPE,
  positionDecreaseLog,
  positionFeesLog,
  SECONDARY_ORDER_TYPE,
} from '../../protocols/gmx-v2/encode.ts';
import { encodeAnswerUpdated } from '../../protocols/chainlink/encode.ts';
import { emitBlock, installLogEmitter } from '../log-emitter.ts';
import type { EmitterTx } from '../log-emitter.ts';
import type { GroundTruth } from '../ground-truth.ts';
import { toRaw } from '../units.ts';
import { GMX_EVENT_EMITTER, gmxDecreaseValues, gmxMarketFor, gmxPriceDecimals, USDC_PRICE } from './gmx-values.ts';

/**
 * Renders the on-chain part of a ground truth (GMX v2 venues and the Chainlink reference feeds
 * that have a real Arbitrum aggregator) as blocks of real-format logs: one block per scenario
 * second that has events, block time = scenario clock, transactions in the engine's order.
 */
export interface ChainBlockPlan {
  timestamp: number;
  txs: EmitterTx[];
}

export interface ChainPlan {
  blocks: ChainBlockPlan[];
  /** Every address that must hold the log emitter. */
  addresses: Address[];
  /** The GMX oracle keeper's provider address in OraclePriceUpdate (any fixed address). */
  counts: { liquidations: number; adlEvents: number; oraclePrices: number; referenceRounds: number; adlStates: number; insolventCloses: number };
}

/** A fixed stand-in for the GMX oracle provider contract (the decoder does not interpret it). */
const ORACLE_PROVIDER: Address = '0x0000000000000000000000000000000000000aa1';

export function planChain(gt: GroundTruth): ChainPlan {
  type Item = { timeMs: number; order: number; tx: EmitterTx };
  const items: Item[] = [];
  let order = 0;
  let nonce = 0n;
  const counts = { liquidations: 0, adlEvents: 0, oraclePrices: 0, referenceRounds: 0, adlStates: 0, insolventCloses: 0 };
  const addresses = new Set<Address>();
  const gmxVenues = new Set(gt.venues.filter((v) => v.kind === 'gmx-v2').map((v) => v.id));
  if (gmxVenues.size > 0) addresses.add(GMX_EVENT_EMITTER);
  const push = (timeMs: number, tx: EmitterTx) => items.push({ timeMs, order: order++, tx });

  // events of one kind arrive in time order; merge them in (time, kind order, sequence) below
  for (const o of gt.oracleUpdates) {
    const ref = gmxMarketFor(o.market)!;
    const decimals = gmxPriceDecimals(ref);
    push(o.timeMs, {
      address: GMX_EVENT_EMITTER,
      logs: [
        oraclePriceUpdateLog({
          token: ref.indexToken,
          provider: ORACLE_PROVIDER,
          minPrice: toRaw(o.minPrice, decimals),
          maxPrice: toRaw(o.maxPrice, decimals),
          timestamp: BigInt(o.blockTimestamp!),
        }),
      ],
    });
    counts.oraclePrices += 1;
  }
  for (const l of gt.liquidations) {
    if (!gmxVenues.has(l.venue)) continue;
    const ref = gmxMarketFor(l.market)!;
    const account = l.account as Address;
    const v = gmxDecreaseValues(ref, ++nonce, account, l.side === 'long', {
      size: l.size,
      price: l.price,
      collateralUsd: l.collateralUsd,
      pnlUsd: l.pnlUsd,
      feeUsd: l.feeUsd,
      badDebtUsd: l.badDebtUsd,
    });
    const oracle = toRaw(l.markPrice, gmxPriceDecimals(ref));
    const logs = [];
    if (v.remainingCostUsd > 0n) {
      logs.push(insolventCloseLog({ orderKey: v.orderKey, positionCollateralAmount: v.collateralAmount, basePnlUsd: v.basePnlUsd, remainingCostUsd: v.remainingCostUsd }));
      counts.insolventCloses += 1;
    }
    logs.push(
      positionFeesLog({
        orderKey: v.orderKey,
        positionKey: v.positionKey,
        market: v.market,
        collateralToken: v.collateralToken,
        trader: account,
        collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
        tradeSizeUsd: v.sizeDeltaUsd,
        liquidationFeeAmount: v.liquidationFeeAmount,
        liquidationFeeReceiverFactor: 0n,
        totalCostAmount: v.liquidationFeeAmount,
        isIncrease: false,
      }),
      positionDecreaseLog({
        account,
        market: v.market,
        collateralToken: v.collateralToken,
        isLong: l.side === 'long',
        executionPrice: v.executionPrice,
        indexTokenPrice: { min: oracle, max: oracle },
        collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
        sizeDeltaUsd: v.sizeDeltaUsd,
        sizeDeltaInTokens: v.sizeDeltaInTokens,
        collateralDeltaAmount: v.collateralAmount,
        orderType: ORDER_TYPE.Liquidation,
        decreasedAtTime: BigInt(l.blockTimestamp!),
        basePnlUsd: v.basePnlUsd,
        orderKey: v.orderKey,
        positionKey: v.positionKey,
      }),
    );
    push(l.timeMs, { address: GMX_EVENT_EMITTER, logs });
    counts.liquidations += 1;
  }
  for (const a of gt.adlEvents) {
    if (!gmxVenues.has(a.venue)) continue;
    const ref = gmxMarketFor(a.market)!;
    const account = a.account as Address;
    const v = gmxDecreaseValues(ref, ++nonce, account, a.side === 'long', {
      size: a.size,
      price: a.price,
      collateralUsd: '0',
      pnlUsd: a.pnlUsd,
      feeUsd: '0',
      badDebtUsd: '0',
    });
    const oracle = toRaw(a.markPrice, gmxPriceDecimals(ref));
    push(a.timeMs, {
      address: GMX_EVENT_EMITTER,
      logs: [
        positionDecreaseLog({
          account,
          market: v.market,
          collateralToken: v.collateralToken,
          isLong: a.side === 'long',
          executionPrice: v.executionPrice,
          indexTokenPrice: { min: oracle, max: oracle },
          collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
          sizeDeltaUsd: v.sizeDeltaUsd,
          sizeDeltaInTokens: v.sizeDeltaInTokens,
          orderType: ORDER_TYPE.MarketDecrease,
          decreasedAtTime: BigInt(a.blockTimestamp!),
          basePnlUsd: v.basePnlUsd,
          orderKey: v.orderKey,
          positionKey: v.positionKey,
        }),
        orderExecutedLog({ key: v.orderKey, account, secondaryOrderType: SECONDARY_ORDER_TYPE.Adl }),
      ],
    });
    counts.adlEvents += 1;
  }
  for (const s of gt.adlStates) {
    if (!gmxVenues.has(s.venue)) continue;
    const ref = gmxMarketFor(s.market)!;
    push(s.timeMs, {
      address: GMX_EVENT_EMITTER,
      logs: [
        adlStateUpdatedLog({
          market: ref.market,
          isLong: s.side === 'long',
          pnlToPoolFactor: toRaw(s.pnlToPoolFactor, 30),
          maxPnlFactor: toRaw(s.maxPnlFactor, 30),
          shouldEnableAdl: s.enabled,
        }),
      ],
    });
    counts.adlStates += 1;
  }
  for (const r of gt.referenceRounds) {
    if (!r.aggregator) continue;
    addresses.add(r.aggregator as Address);
    push(r.timeMs, { address: r.aggregator as Address, logs: [encodeAnswerUpdated(toRaw(r.answer, r.decimals), BigInt(r.roundId), BigInt(r.blockTimestamp))] });
    counts.referenceRounds += 1;
  }

  // oracle updates come first in a step (the engine polls before liquidating), so the stable
  // sort by time keeps each kind's order and puts prices before the liquidations they trigger
  items.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  const startSec = Math.floor(Date.parse(gt.scenario.start) / 1000);
  const blocks: ChainBlockPlan[] = [];
  for (const item of items) {
    const timestamp = startSec + Math.floor((item.timeMs - Date.parse(gt.scenario.start)) / 1000);
    const last = blocks[blocks.length - 1];
    if (last && last.timestamp === timestamp) last.txs.push(item.tx);
    else blocks.push({ timestamp, txs: [item.tx] });
  }
  return { blocks, addresses: [...addresses].sort(), counts };
}

/** Emits the plan on a local chain; returns the first and last block numbers. */
export async function emitChainPlan(
  rpcUrl: string,
  plan: ChainPlan,
  onProgress?: (done: number, total: number) => void,
): Promise<{ fromBlock: bigint; toBlock: bigint }> {
  for (const address of plan.addresses) await installLogEmitter(rpcUrl, address);
  let fromBlock = -1n;
  let toBlock = -1n;
  for (let i = 0; i < plan.blocks.length; i++) {
    const block = plan.blocks[i]!;
    const mined = await emitBlock(rpcUrl, block.txs, { timestamp: block.timestamp });
    if (fromBlock < 0n) fromBlock = mined.blockNumber;
    toBlock = mined.blockNumber;
    if (onProgress && (i % 100 === 0 || i === plan.blocks.length - 1)) onProgress(i + 1, plan.blocks.length);
  }
  return { fromBlock, toBlock };
}
