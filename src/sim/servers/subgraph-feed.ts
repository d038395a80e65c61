import { decodeEventLog, parseAbiItem, toEventSelector, type Address, type Hex } from 'viem';
import { gmxV1FastPriceEventsAbi, gmxV1UpdatePosition7Abi, gmxV1UpdatePosition8Abi, gmxV1VaultAbi } from '../../../abis/gmx-v1-vault.ts';
import { synthetixPerpsV2Abi, synthetixPerpsV2LegacyAbi } from '../../../abis/synthetix-perps.ts';
import { opt, parseGmxLog, req, type GmxEvent } from '../../protocols/gmx-v2/event-data.ts';
import { encodeLog } from '../../protocols/shared/encode-log.ts';
import type { RawLog } from '../../pipeline/records.ts';
import { rpc } from '../log-emitter.ts';
import type { SubgraphRow } from './subgraph-server.ts';

/**
 * What the real subgraphs would hold for a simulated chain: the mappings of gmx-io/gmx-subgraph@a841c81f
 * (synthetics-stats, gmx-arbitrum-stats) and Synthetixio/synthetix-subgraph@9f65a792 (perps), written
 * again in TypeScript over the chain's logs, so that the local subgraph server serves the entities a
 * graph-node indexing that chain would, with the same transaction hashes, log indexes and values — and
 * the chain path and the subgraph path of liqscope meet on the same liquidations.
 */

/** A log as eth_getLogs gives it, with its block's time and transaction. */
export interface ChainLog {
  blockNumber: number;
  /** Block time, unix seconds. */
  timestamp: number;
  txHash: Hex;
  txIndex: number;
  txFrom: Address;
  txTo: Address;
  logIndex: number;
  address: Address;
  topics: Hex[];
  data: Hex;
}

/** The logs of `addresses` in [fromBlock, toBlock], with block times and senders (eth_getLogs, eth_getBlockByNumber). */
export async function readChainLogs(rpcUrl: string, opts: { addresses: Address[]; fromBlock: bigint; toBlock: bigint }): Promise<ChainLog[]> {
  type RpcLog = { blockNumber: Hex; transactionHash: Hex; transactionIndex: Hex; logIndex: Hex; address: Address; topics: Hex[]; data: Hex };
  const logs = await rpc<RpcLog[]>(rpcUrl, 'eth_getLogs', [
    { address: opts.addresses, fromBlock: `0x${opts.fromBlock.toString(16)}`, toBlock: `0x${opts.toBlock.toString(16)}` },
  ]);
  const blocks = new Map<string, { timestamp: number; txs: Map<string, { from: Address; to: Address }> }>();
  for (const log of logs) {
    if (blocks.has(log.blockNumber)) continue;
    const block = await rpc<{ timestamp: Hex; transactions: { hash: Hex; from: Address; to: Address }[] }>(rpcUrl, 'eth_getBlockByNumber', [log.blockNumber, true]);
    blocks.set(log.blockNumber, { timestamp: Number(BigInt(block.timestamp)), txs: new Map(block.transactions.map((t) => [t.hash.toLowerCase(), { from: t.from, to: t.to }])) });
  }
  return logs.map((log) => {
    const block = blocks.get(log.blockNumber)!;
    const tx = block.txs.get(log.transactionHash.toLowerCase());
    return {
      blockNumber: Number(BigInt(log.blockNumber)),
      timestamp: block.timestamp,
      txHash: log.transactionHash.toLowerCase() as Hex,
      txIndex: Number(BigInt(log.transactionIndex)),
      txFrom: (tx?.from ?? log.address).toLowerCase() as Address,
      txTo: (tx?.to ?? log.address).toLowerCase() as Address,
      logIndex: Number(BigInt(log.logIndex)),
      address: log.address.toLowerCase() as Address,
      topics: log.topics.map((t) => t.toLowerCase() as Hex),
      data: log.data,
    };
  });
}

// --- GMX v2: synthetics-stats TradeAction ------------------------------------------------------

/**
 * TradeActions of executed decrease orders (savePositionDecreaseExecutedTradeAction): one per
 * PositionDecrease, with the values it copies from the PositionDecrease and the PositionFeesInfo /
 * PositionFeesCollected of the same order key, and the index prices of the decrease (the TokenPrice the
 * same transaction's OraclePriceUpdate set). Its id is the OrderExecuted log's `<tx>:<logIndex>`
 * (getIdFromEvent); where the chain has no OrderExecuted for the order (the simulator emits none for
 * liquidations), the log right after the decrease's transaction's last log stands for it.
 * Liquidations are orderType 7; an ADL is a MarketDecrease (4) here as in the real subgraph.
 */
export function gmxV2TradeActions(logs: readonly ChainLog[]): SubgraphRow[] {
  const parsed: { log: ChainLog; event: GmxEvent }[] = [];
  for (const log of logs) {
    try {
      parsed.push({ log, event: parseGmxLog(asRawLog(log)) });
    } catch {
      // Not an EventEmitter log: the subgraph has no handler for it either.
    }
  }
  const fees = new Map<string, GmxEvent>();
  const executed = new Map<string, ChainLog>();
  const lastLogOfTx = new Map<string, number>();
  for (const { log, event } of parsed) {
    lastLogOfTx.set(log.txHash, Math.max(lastLogOfTx.get(log.txHash) ?? -1, log.logIndex));
    if (event.eventName === 'PositionFeesInfo' || event.eventName === 'PositionFeesCollected') {
      const key = req(event, 'bytes32', 'orderKey');
      // The subgraph prefers PositionFeesInfo for a liquidation, then PositionFeesCollected.
      if (!fees.has(key) || event.eventName === 'PositionFeesInfo') fees.set(key, event);
    }
    if (event.eventName === 'OrderExecuted') executed.set(opt(event, 'bytes32', 'key') ?? event.topic1!, log);
  }
  const rows: SubgraphRow[] = [];
  for (const { log, event } of parsed) {
    if (event.eventName !== 'PositionDecrease') continue;
    const orderKey = req(event, 'bytes32', 'orderKey');
    const f = fees.get(orderKey);
    if (!f) throw new Error(`gmxV2TradeActions: PositionFeesInfo not found ${orderKey} (the real subgraph throws here too)`);
    const oe = executed.get(orderKey);
    const id = oe ? `${oe.txHash}:${oe.logIndex}` : `${log.txHash}:${lastLogOfTx.get(log.txHash)! + 1}`;
    const u = (e: GmxEvent, key: string) => (opt(e, 'uint', key) ?? 0n).toString();
    const positionFee = opt(f, 'uint', 'positionFeeAmount') ?? 0n;
    const borrowingFee = opt(f, 'uint', 'borrowingFeeAmount') ?? 0n;
    const fundingFee = opt(f, 'uint', 'fundingFeeAmount') ?? 0n;
    const collateralMax = req(f, 'uint', 'collateralTokenPrice.max');
    const basePnl = req(event, 'int', 'basePnlUsd');
    const priceImpactUsd = req(event, 'int', 'priceImpactUsd');
    rows.push({
      id,
      _block: log.blockNumber,
      eventName: 'OrderExecuted',
      orderKey,
      orderType: req(event, 'uint', 'orderType').toString(),
      account: req(event, 'address', 'account'),
      marketAddress: req(event, 'address', 'market'),
      swapPath: [],
      initialCollateralTokenAddress: req(event, 'address', 'collateralToken'),
      initialCollateralDeltaAmount: req(event, 'uint', 'collateralDeltaAmount').toString(),
      sizeDeltaUsd: req(event, 'uint', 'sizeDeltaUsd').toString(),
      triggerPrice: '0',
      acceptablePrice: '0',
      executionPrice: req(event, 'uint', 'executionPrice').toString(),
      collateralTokenPriceMin: req(f, 'uint', 'collateralTokenPrice.min').toString(),
      collateralTokenPriceMax: collateralMax.toString(),
      indexTokenPriceMin: req(event, 'uint', 'indexTokenPrice.min').toString(),
      indexTokenPriceMax: req(event, 'uint', 'indexTokenPrice.max').toString(),
      priceImpactDiffUsd: u(event, 'values.priceImpactDiffUsd'),
      priceImpactUsd: priceImpactUsd.toString(),
      priceImpactAmount: null,
      positionFeeAmount: positionFee.toString(),
      liquidationFeeAmount: u(f, 'liquidationFeeAmount'),
      borrowingFeeAmount: borrowingFee.toString(),
      fundingFeeAmount: fundingFee.toString(),
      basePnlUsd: basePnl.toString(),
      // As the mapping computes it.
      pnlUsd: (basePnl - (positionFee + borrowingFee + fundingFee) * collateralMax + priceImpactUsd).toString(),
      isLong: req(event, 'bool', 'isLong'),
      minOutputAmount: '0',
      executionAmountOut: null,
      shouldUnwrapNativeToken: false,
      reason: null,
      reasonBytes: null,
      timestamp: log.timestamp,
      transaction: transactionEntity(log),
    });
  }
  return rows;
}

function transactionEntity(log: ChainLog): Record<string, unknown> {
  return { id: log.txHash, from: log.txFrom, to: log.txTo, hash: log.txHash, timestamp: log.timestamp, blockNumber: log.blockNumber, transactionIndex: log.txIndex };
}

function asRawLog(log: ChainLog): RawLog {
  return {
    chainId: 0,
    blockNumber: BigInt(log.blockNumber),
    blockHash: `0x${'0'.repeat(64)}`,
    blockTime: new Date(log.timestamp * 1000),
    txHash: log.txHash,
    txIndex: log.txIndex,
    logIndex: log.logIndex,
    address: log.address,
    topics: log.topics,
    data: log.data,
  };
}

// --- GMX v1: gmx-arbitrum-stats LiquidatedPosition, FastPrice -------------------------------------

const selector = (abi: readonly unknown[], name: string) => toEventSelector(abi.find((e) => (e as { name?: string }).name === name) as never).toLowerCase();
const V1 = {
  liquidate: selector(gmxV1VaultAbi, 'LiquidatePosition'),
  update7: selector(gmxV1UpdatePosition7Abi, 'UpdatePosition'),
  update8: selector(gmxV1UpdatePosition8Abi, 'UpdatePosition'),
  price: selector(gmxV1FastPriceEventsAbi, 'PriceUpdate'),
};

/**
 * LiquidatedPosition of the Vault's LiquidatePosition logs (handleLiquidatePosition, type `full`): id
 * `<key>:<timestamp>`, averagePrice and collateral from the position's last UpdatePosition (the
 * ActivePosition entity; the event's own values where the chain has none), loss as the mapping
 * computes it (size × price move / averagePrice, truncated), borrowFee 0 (no funding-rate entity here).
 */
export function gmxV1LiquidatedPositions(logs: readonly ChainLog[]): SubgraphRow[] {
  const active = new Map<string, { averagePrice: bigint; collateral: bigint }>();
  const rows: SubgraphRow[] = [];
  for (const log of logs) {
    const topic0 = log.topics[0];
    if (topic0 === V1.update7 || topic0 === V1.update8) {
      const abi = topic0 === V1.update7 ? gmxV1UpdatePosition7Abi : gmxV1UpdatePosition8Abi;
      const a = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data }).args as unknown as Record<string, bigint | Hex>;
      active.set((a.key as Hex).toLowerCase(), { averagePrice: a.averagePrice as bigint, collateral: a.collateral as bigint });
      continue;
    }
    if (topic0 !== V1.liquidate) continue;
    const a = decodeEventLog({ abi: gmxV1VaultAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data }).args as unknown as Record<string, unknown>;
    const key = (a.key as Hex).toLowerCase();
    const position = active.get(key);
    const size = a.size as bigint;
    const markPrice = a.markPrice as bigint;
    const averagePrice = position?.averagePrice ?? markPrice;
    const delta = a.isLong ? averagePrice - markPrice : markPrice - averagePrice;
    rows.push({
      id: `${key}:${log.timestamp}`,
      _block: log.blockNumber,
      key,
      account: (a.account as string).toLowerCase(),
      timestamp: log.timestamp,
      indexToken: (a.indexToken as string).toLowerCase(),
      size: size.toString(),
      isLong: a.isLong as boolean,
      collateralToken: (a.collateralToken as string).toLowerCase(),
      collateral: (position?.collateral ?? (a.collateral as bigint)).toString(),
      markPrice: markPrice.toString(),
      averagePrice: averagePrice.toString(),
      loss: averagePrice === 0n ? '0' : ((size * delta) / averagePrice).toString(),
      type: 'full',
      borrowFee: '0',
    });
  }
  return rows;
}

/**
 * FastPrice entities of FastPriceEvents' PriceUpdate logs (_handleFastPriceUpdate): per token one
 * `any` entity per second (id `<timestamp>:any:<token>`, the second's last price), plus the `hourly`,
 * `daily` and `last` entities the mapping overwrites.
 */
export function gmxV1FastPrices(logs: readonly ChainLog[]): SubgraphRow[] {
  const byId = new Map<string, SubgraphRow>();
  for (const log of logs) {
    if (log.topics[0] !== V1.price) continue;
    const a = decodeEventLog({ abi: gmxV1FastPriceEventsAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data }).args as unknown as Record<string, unknown>;
    const token = (a.token as string).toLowerCase();
    const entity = (id: string, timestamp: number, period: string): SubgraphRow => ({
      id, _block: log.blockNumber, token, value: (a.price as bigint).toString(), timestamp, blockNumber: log.blockNumber, period,
    });
    const hour = Math.floor(log.timestamp / 3600) * 3600;
    const day = Math.floor(log.timestamp / 86400) * 86400;
    byId.set(`${day}:daily:${token}`, entity(`${day}:daily:${token}`, day, 'daily'));
    byId.set(`${hour}:hourly:${token}`, entity(`${hour}:hourly:${token}`, hour, 'hourly'));
    byId.set(`${log.timestamp}:any:${token}`, entity(`${log.timestamp}:any:${token}`, log.timestamp, 'any'));
    byId.set(token, entity(token, log.timestamp, 'last'));
  }
  return [...byId.values()];
}

// --- Synthetix PerpsV2: perps FuturesTrade --------------------------------------------------------

/** PerpsV2 PositionModified (shared/formats.md §4), which the perps subgraph's trades come from. */
export const positionModifiedEvent = parseAbiItem(
  'event PositionModified(uint256 indexed id, address indexed account, uint256 margin, int256 size, int256 tradeSize, uint256 lastPrice, uint256 fundingIndex, uint256 fee, int256 skew)',
);

/** A real-format PositionModified log (what a liquidation emits right before PositionLiquidated: size 0, margin 0). */
export function positionModifiedLog(a: { id: bigint; account: Address; margin: bigint; size: bigint; tradeSize: bigint; lastPrice: bigint; fundingIndex: bigint; fee: bigint; skew: bigint }) {
  return encodeLog([positionModifiedEvent], 'PositionModified', a);
}

const SNX = {
  modified: toEventSelector(positionModifiedEvent).toLowerCase(),
  liquidated: selector(synthetixPerpsV2Abi, 'PositionLiquidated'),
  liquidatedLegacy: selector(synthetixPerpsV2LegacyAbi, 'PositionLiquidated'),
};

/**
 * FuturesTrade entities of liquidations (handlePositionModified with size 0 and margin 0, completed by
 * handlePositionLiquidated(V2), which loads the trade at `logIndex − 1`): id `<tx>-<PositionModified
 * log index>`, size = −(liquidated size), price = PositionModified lastPrice, feesPaid = the modify's fee
 * plus the liquidation's fees, positionId `<market>-<id as hex>`.
 */
export function synthetixFuturesTrades(logs: readonly ChainLog[]): SubgraphRow[] {
  const modified = new Map<string, { log: ChainLog; args: Record<string, unknown> }>();
  const rows: SubgraphRow[] = [];
  for (const log of logs) {
    const topic0 = log.topics[0];
    if (topic0 === SNX.modified) {
      const args = decodeEventLog({ abi: [positionModifiedEvent], topics: log.topics as [Hex, ...Hex[]], data: log.data }).args as unknown as Record<string, unknown>;
      modified.set(`${log.txHash}-${log.logIndex}`, { log, args });
      continue;
    }
    if (topic0 !== SNX.liquidated && topic0 !== SNX.liquidatedLegacy) continue;
    const abi = topic0 === SNX.liquidated ? synthetixPerpsV2Abi : synthetixPerpsV2LegacyAbi;
    const a = decodeEventLog({ abi, eventName: 'PositionLiquidated', topics: log.topics as [Hex, ...Hex[]], data: log.data }).args as unknown as Record<string, bigint | string>;
    const tradeId = `${log.txHash}-${log.logIndex - 1}`;
    const modify = modified.get(tradeId);
    if (!modify || (modify.args.size as bigint) !== 0n || (modify.args.margin as bigint) !== 0n) continue; // no liquidation trade in the subgraph
    const fee = 'fee' in a ? (a.fee as bigint) : (a.flaggerFee as bigint) + (a.liquidatorFee as bigint) + (a.stakersFee as bigint);
    const account = (a.account as string).toLowerCase();
    rows.push({
      id: tradeId,
      _block: log.blockNumber,
      timestamp: String(log.timestamp),
      account,
      abstractAccount: account,
      accountType: 'isolated_margin',
      margin: '0',
      size: (-(a.size as bigint)).toString(),
      asset: `0x${'0'.repeat(40)}`,
      marketKey: `0x${'0'.repeat(64)}`,
      price: (modify.args.lastPrice as bigint).toString(),
      positionId: `${log.address}-0x${(a.id as bigint).toString(16)}`,
      positionSize: '0',
      positionClosed: true,
      pnl: fee.toString(),
      feesPaid: ((modify.args.fee as bigint) + fee).toString(),
      fundingAccrued: '0',
      keeperFeesPaid: '0',
      orderType: 'Liquidation',
      trackingCode: `0x${'0'.repeat(64)}`,
    });
  }
  return rows;
}
