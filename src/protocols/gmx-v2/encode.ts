import { encodeAbiParameters, encodeEventTopics, keccak256, pad, type Address, type Hex } from 'viem';
import { gmxEventEmitterAbi } from '../../../abis/gmx-v2-event-emitter.ts';
import { ORDER_TYPE, SECONDARY_ORDER_TYPE, type ItemKind } from './event-names.ts';

/**
 * Builders for real-format GMX v2 EventEmitter logs (shared/formats.md §1). The simulator and the
 * benchmark write chain events with these, and the decoder tests use them, so every key name and
 * item kind here is exactly what PositionEventUtils / OrderEventUtils / OracleUtils emit on chain.
 */

type ValueOf<K extends ItemKind> = K extends 'address'
  ? Address
  : K extends 'uint' | 'int'
    ? bigint
    : K extends 'bool'
      ? boolean
      : Hex | string;

/**
 * Plain key/value items per kind. A scalar value becomes an `items` entry, an array value an
 * `arrayItems` entry. Key order is kept (the contracts emit keys in a fixed order).
 */
export type EventLogDataInput = {
  [K in ItemKind]?: Record<string, ValueOf<K> | ValueOf<K>[]>;
};

interface KeyValue<T> {
  key: string;
  value: T;
}
interface ItemGroup<T> {
  items: KeyValue<T>[];
  arrayItems: KeyValue<T[]>[];
}
/** The EventLogData struct as viem encodes it. */
export interface EventLogData {
  addressItems: ItemGroup<Address>;
  uintItems: ItemGroup<bigint>;
  intItems: ItemGroup<bigint>;
  boolItems: ItemGroup<boolean>;
  bytes32Items: ItemGroup<Hex>;
  bytesItems: ItemGroup<Hex>;
  stringItems: ItemGroup<string>;
}

function group<T>(record: Record<string, T | T[]> | undefined): ItemGroup<T> {
  const out: ItemGroup<T> = { items: [], arrayItems: [] };
  for (const [key, value] of Object.entries(record ?? {})) {
    if (Array.isArray(value)) out.arrayItems.push({ key, value });
    else out.items.push({ key, value });
  }
  return out;
}

/** Builds the EventLogData struct from plain key/value items (all seven kinds, items and arrayItems). */
export function buildEventLogData(input: EventLogDataInput): EventLogData {
  return {
    addressItems: group(input.address),
    uintItems: group(input.uint),
    intItems: group(input.int),
    boolItems: group(input.bool),
    bytes32Items: group(input.bytes32 as Record<string, Hex | Hex[]> | undefined),
    bytesItems: group(input.bytes as Record<string, Hex | Hex[]> | undefined),
    stringItems: group(input.string),
  };
}

/** Merges extra items into a base input (extra keys win); used to add unknown keys in tests. */
export function mergeEventLogData(base: EventLogDataInput, extra?: EventLogDataInput): EventLogDataInput {
  if (!extra) return base;
  const out: Record<string, Record<string, unknown>> = {};
  for (const source of [base, extra]) {
    for (const [kind, items] of Object.entries(source)) out[kind] = { ...(out[kind] ?? {}), ...(items ?? {}) };
  }
  return out as EventLogDataInput;
}

export type GmxEmitter = 'EventLog' | 'EventLog1' | 'EventLog2';

export interface GmxEventLogParams {
  emitter: GmxEmitter;
  /** The contract that called the EventEmitter (a handler or utils library on mainnet). */
  msgSender: Address;
  eventName: string;
  topic1?: Hex;
  topic2?: Hex;
  eventData: EventLogDataInput | EventLogData;
}

export interface EncodedLog {
  topics: Hex[];
  data: Hex;
}

function isStruct(data: EventLogDataInput | EventLogData): data is EventLogData {
  return 'addressItems' in data;
}

/** An address as a bytes32 topic, as `Cast.toBytes32(address)` does on chain. */
export function addressToTopic(address: Address): Hex {
  return pad(address.toLowerCase() as Hex, { size: 32 });
}

/** Encodes one EventEmitter log exactly as the chain emits it (topics and ABI-encoded data). */
export function encodeGmxEventLog(params: GmxEventLogParams): EncodedLog {
  const eventData = isStruct(params.eventData) ? params.eventData : buildEventLogData(params.eventData);
  const abiEvent = gmxEventEmitterAbi.find((e) => e.name === params.emitter);
  if (!abiEvent) throw new Error(`unknown GMX emitter ${params.emitter}`);
  const nonIndexed = abiEvent.inputs.filter((input) => !input.indexed);
  const data = encodeAbiParameters(nonIndexed, [params.msgSender, params.eventName, eventData] as never);
  let topics: Hex[];
  if (params.emitter === 'EventLog') {
    topics = encodeEventTopics({ abi: gmxEventEmitterAbi, eventName: 'EventLog', args: { eventNameHash: params.eventName } }) as Hex[];
  } else if (params.emitter === 'EventLog1') {
    if (!params.topic1) throw new Error(`EventLog1 ${params.eventName} needs topic1`);
    topics = encodeEventTopics({
      abi: gmxEventEmitterAbi,
      eventName: 'EventLog1',
      args: { eventNameHash: params.eventName, topic1: params.topic1 },
    }) as Hex[];
  } else {
    if (!params.topic1 || !params.topic2) throw new Error(`EventLog2 ${params.eventName} needs topic1 and topic2`);
    topics = encodeEventTopics({
      abi: gmxEventEmitterAbi,
      eventName: 'EventLog2',
      args: { eventNameHash: params.eventName, topic1: params.topic1, topic2: params.topic2 },
    }) as Hex[];
  }
  return { topics, data };
}

/** keccak256(abi.encode(account, market, collateralToken, isLong)) — Position.getPositionKey. */
export function positionKey(account: Address, market: Address, collateralToken: Address, isLong: boolean): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'bool' }],
      [account, market, collateralToken, isLong],
    ),
  );
}

/** A deterministic, realistic-looking order key for simulations (real keys are keccak of a nonce). */
export function orderKeyFromNonce(nonce: bigint): Hex {
  return keccak256(encodeAbiParameters([{ type: 'string' }, { type: 'uint256' }], ['gmx-order', nonce]));
}

/** Default msgSender of simulated events (any address works; the decoder ignores it). */
export const DEFAULT_MSG_SENDER: Address = '0x0000000000000000000000000000000000000001';

const ZERO32: Hex = `0x${'0'.repeat(64)}`;
const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

interface Common {
  msgSender?: Address;
  /** Extra (e.g. unknown or newer) keys merged into the event data. */
  extra?: EventLogDataInput;
}

export interface PriceMinMax {
  min: bigint;
  max: bigint;
}

export interface PositionDecreaseParams extends Common {
  account: Address;
  market: Address;
  collateralToken: Address;
  isLong: boolean;
  /** Position after the decrease (0 for a full close / liquidation). */
  sizeInUsd?: bigint;
  sizeInTokens?: bigint;
  collateralAmount?: bigint;
  executionPrice: bigint;
  indexTokenPrice: PriceMinMax;
  collateralTokenPrice: PriceMinMax;
  sizeDeltaUsd: bigint;
  sizeDeltaInTokens: bigint;
  collateralDeltaAmount?: bigint;
  /** ORDER_TYPE.Liquidation (7) for a liquidation, MarketDecrease (4) for a decrease or ADL. */
  orderType: bigint;
  decreasedAtTime?: bigint;
  priceImpactUsd?: bigint;
  basePnlUsd: bigint;
  uncappedBasePnlUsd?: bigint;
  orderKey: Hex;
  positionKey?: Hex;
}

/**
 * The first 14 uint keys, in order, that PositionIncrease and PositionDecrease share (shared/formats.md §1).
 * Funding and borrowing fields are zero: liqscope reads none of them.
 */
function positionUintCore(p: {
  sizeInUsd?: bigint; sizeInTokens?: bigint; collateralAmount?: bigint; executionPrice: bigint;
  indexTokenPrice: PriceMinMax; collateralTokenPrice: PriceMinMax; sizeDeltaUsd: bigint; sizeDeltaInTokens: bigint;
}): Record<string, bigint> {
  return {
    sizeInUsd: p.sizeInUsd ?? 0n,
    sizeInTokens: p.sizeInTokens ?? 0n,
    collateralAmount: p.collateralAmount ?? 0n,
    borrowingFactor: 0n,
    fundingFeeAmountPerSize: 0n,
    longTokenClaimableFundingAmountPerSize: 0n,
    shortTokenClaimableFundingAmountPerSize: 0n,
    executionPrice: p.executionPrice,
    'indexTokenPrice.max': p.indexTokenPrice.max,
    'indexTokenPrice.min': p.indexTokenPrice.min,
    'collateralTokenPrice.max': p.collateralTokenPrice.max,
    'collateralTokenPrice.min': p.collateralTokenPrice.min,
    sizeDeltaUsd: p.sizeDeltaUsd,
    sizeDeltaInTokens: p.sizeDeltaInTokens,
  };
}

/** PositionDecrease (EventLog1, topic1 = account) with the current (2025) key set. */
export function positionDecreaseLog(p: PositionDecreaseParams): EncodedLog {
  const base: EventLogDataInput = {
    address: { account: p.account, market: p.market, collateralToken: p.collateralToken },
    uint: {
      ...positionUintCore(p),
      collateralDeltaAmount: p.collateralDeltaAmount ?? 0n,
      'values.priceImpactDiffUsd': 0n,
      orderType: p.orderType,
      decreasedAtTime: p.decreasedAtTime ?? 0n,
    },
    int: {
      priceImpactUsd: p.priceImpactUsd ?? 0n,
      basePnlUsd: p.basePnlUsd,
      uncappedBasePnlUsd: p.uncappedBasePnlUsd ?? p.basePnlUsd,
      proportionalPendingImpactUsd: 0n,
      totalImpactUsd: p.priceImpactUsd ?? 0n,
    },
    bool: { isLong: p.isLong },
    bytes32: {
      orderKey: p.orderKey,
      positionKey: p.positionKey ?? positionKey(p.account, p.market, p.collateralToken, p.isLong),
    },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog1',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'PositionDecrease',
    topic1: addressToTopic(p.account),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface PositionIncreaseParams extends Common {
  account: Address;
  market: Address;
  collateralToken: Address;
  isLong: boolean;
  sizeInUsd: bigint;
  sizeInTokens: bigint;
  collateralAmount: bigint;
  executionPrice: bigint;
  indexTokenPrice: PriceMinMax;
  collateralTokenPrice: PriceMinMax;
  sizeDeltaUsd: bigint;
  sizeDeltaInTokens: bigint;
  collateralDeltaAmount?: bigint;
  orderType?: bigint;
  increasedAtTime?: bigint;
  orderKey: Hex;
  positionKey?: Hex;
}

/** PositionIncrease (EventLog1, topic1 = account) with the 2025 `pendingPriceImpact*` spelling. */
export function positionIncreaseLog(p: PositionIncreaseParams): EncodedLog {
  const base: EventLogDataInput = {
    address: { account: p.account, market: p.market, collateralToken: p.collateralToken },
    uint: {
      ...positionUintCore(p),
      orderType: p.orderType ?? ORDER_TYPE.MarketIncrease,
      increasedAtTime: p.increasedAtTime ?? 0n,
    },
    int: { collateralDeltaAmount: p.collateralDeltaAmount ?? 0n, pendingPriceImpactUsd: 0n, pendingPriceImpactAmount: 0n },
    bool: { isLong: p.isLong },
    bytes32: {
      orderKey: p.orderKey,
      positionKey: p.positionKey ?? positionKey(p.account, p.market, p.collateralToken, p.isLong),
    },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog1',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'PositionIncrease',
    topic1: addressToTopic(p.account),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface PositionFeesParams extends Common {
  /** 'PositionFeesInfo' is what the insolvent-close path emits instead. */
  eventName?: 'PositionFeesCollected' | 'PositionFeesInfo';
  orderKey: Hex;
  positionKey: Hex;
  market: Address;
  collateralToken: Address;
  trader: Address;
  collateralTokenPrice: PriceMinMax;
  tradeSizeUsd: bigint;
  borrowingFeeUsd?: bigint;
  positionFeeAmount?: bigint;
  totalCostAmount?: bigint;
  /** In collateral-token units; the three liquidation keys are only emitted when this is > 0. */
  liquidationFeeAmount?: bigint;
  liquidationFeeReceiverFactor?: bigint;
  isIncrease: boolean;
}

/** PositionFeesCollected / PositionFeesInfo (EventLog1, topic1 = market), 28 uint keys + liquidation keys. */
export function positionFeesLog(p: PositionFeesParams): EncodedLog {
  const uint: Record<string, bigint> = {
    'collateralTokenPrice.min': p.collateralTokenPrice.min,
    'collateralTokenPrice.max': p.collateralTokenPrice.max,
    tradeSizeUsd: p.tradeSizeUsd,
    totalRebateFactor: 0n,
    traderDiscountFactor: 0n,
    totalRebateAmount: 0n,
    traderDiscountAmount: 0n,
    affiliateRewardAmount: 0n,
    fundingFeeAmount: 0n,
    claimableLongTokenAmount: 0n,
    claimableShortTokenAmount: 0n,
    latestFundingFeeAmountPerSize: 0n,
    latestLongTokenClaimableFundingAmountPerSize: 0n,
    latestShortTokenClaimableFundingAmountPerSize: 0n,
    borrowingFeeUsd: p.borrowingFeeUsd ?? 0n,
    borrowingFeeAmount: 0n,
    borrowingFeeReceiverFactor: 0n,
    borrowingFeeAmountForFeeReceiver: 0n,
    positionFeeFactor: 0n,
    protocolFeeAmount: 0n,
    positionFeeReceiverFactor: 0n,
    feeReceiverAmount: 0n,
    feeAmountForPool: 0n,
    positionFeeAmountForPool: 0n,
    positionFeeAmount: p.positionFeeAmount ?? 0n,
    totalCostAmount: p.totalCostAmount ?? 0n,
    uiFeeReceiverFactor: 0n,
    uiFeeAmount: 0n,
  };
  if (p.liquidationFeeAmount && p.liquidationFeeAmount > 0n) {
    const factor = p.liquidationFeeReceiverFactor ?? 0n;
    uint.liquidationFeeAmount = p.liquidationFeeAmount;
    uint.liquidationFeeReceiverFactor = factor;
    uint.liquidationFeeAmountForFeeReceiver = (p.liquidationFeeAmount * factor) / 10n ** 30n;
  }
  const base: EventLogDataInput = {
    bytes32: { orderKey: p.orderKey, positionKey: p.positionKey, referralCode: ZERO32 },
    address: {
      market: p.market,
      collateralToken: p.collateralToken,
      affiliate: ZERO_ADDRESS,
      trader: p.trader,
      uiFeeReceiver: ZERO_ADDRESS,
    },
    uint,
    bool: { isIncrease: p.isIncrease },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog1',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: p.eventName ?? 'PositionFeesCollected',
    topic1: addressToTopic(p.market),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface OrderExecutedParams extends Common {
  key: Hex;
  account: Address;
  /** SECONDARY_ORDER_TYPE.Adl (1) marks an ADL execution. */
  secondaryOrderType: bigint;
}

/** OrderExecuted (EventLog2, topic1 = order key, topic2 = account). */
export function orderExecutedLog(p: OrderExecutedParams): EncodedLog {
  const base: EventLogDataInput = {
    bytes32: { key: p.key },
    address: { account: p.account },
    uint: { secondaryOrderType: p.secondaryOrderType },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog2',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'OrderExecuted',
    topic1: p.key,
    topic2: addressToTopic(p.account),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface OraclePriceUpdateParams extends Common {
  token: Address;
  provider: Address;
  minPrice: bigint;
  maxPrice: bigint;
  /** Unix seconds of the price. */
  timestamp: bigint;
}

/** OraclePriceUpdate (EventLog1, topic1 = token), contracts/oracle/Oracle.sol. */
export function oraclePriceUpdateLog(p: OraclePriceUpdateParams): EncodedLog {
  const base: EventLogDataInput = {
    address: { token: p.token, provider: p.provider },
    uint: { minPrice: p.minPrice, maxPrice: p.maxPrice, timestamp: p.timestamp },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog1',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'OraclePriceUpdate',
    topic1: addressToTopic(p.token),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface AdlStateUpdatedParams extends Common {
  market: Address;
  isLong: boolean;
  pnlToPoolFactor: bigint;
  maxPnlFactor: bigint;
  shouldEnableAdl: boolean;
}

/** AdlStateUpdated (EventLog1, topic1 = market). */
export function adlStateUpdatedLog(p: AdlStateUpdatedParams): EncodedLog {
  const base: EventLogDataInput = {
    int: { pnlToPoolFactor: p.pnlToPoolFactor },
    uint: { maxPnlFactor: p.maxPnlFactor },
    bool: { isLong: p.isLong, shouldEnableAdl: p.shouldEnableAdl },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog1',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'AdlStateUpdated',
    topic1: addressToTopic(p.market),
    eventData: mergeEventLogData(base, p.extra),
  });
}

export interface InsolventCloseParams extends Common {
  orderKey: Hex;
  positionCollateralAmount: bigint;
  basePnlUsd: bigint;
  /** USD × 10^30 the collateral could not cover: the bad debt. */
  remainingCostUsd: bigint;
  step?: string;
}

/** InsolventClose (EventLog, no topics besides the name). */
export function insolventCloseLog(p: InsolventCloseParams): EncodedLog {
  const base: EventLogDataInput = {
    bytes32: { orderKey: p.orderKey },
    uint: { positionCollateralAmount: p.positionCollateralAmount, remainingCostUsd: p.remainingCostUsd },
    int: { basePnlUsd: p.basePnlUsd },
    string: { step: p.step ?? '1' },
  };
  return encodeGmxEventLog({
    emitter: 'EventLog',
    msgSender: p.msgSender ?? DEFAULT_MSG_SENDER,
    eventName: 'InsolventClose',
    eventData: mergeEventLogData(base, p.extra),
  });
}

export { ORDER_TYPE, SECONDARY_ORDER_TYPE };
