import type { NewAdlEvent, NewLiquidation, NewTrade } from '../../db/schema.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { MarketInfo, RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { mulScaled, scaleDown } from '../shared/decimal.ts';
import { blockTimeOf, chainRowBase, toJson, type ChainRowBase } from '../shared/rows.ts';
import { opt, req, unknownItems, type GmxEvent, type JsonObject } from './event-data.ts';
import { ORDER_TYPE_NAMES } from './event-names.ts';
import { GMX_V2, KNOWN_KEYS, USD_DECIMALS } from './known-keys.ts';

/**
 * GMX v2 position changes as rows (shared/formats.md §1): the columns a decrease, increase,
 * liquidation or ADL share, and the fee and insolvent-close halves that complete a liquidation.
 * Pure functions of the parsed event and the registry.
 */
export interface Parsed {
  log: RawLog;
  event: GmxEvent;
}

export interface Fees {
  orderKey: string;
  blockNumber: bigint;
  /** Liquidation fee in collateral-token units (0 when the keys are absent). */
  liquidationFeeAmount: bigint;
  positionFeeAmount: bigint;
  collateralPriceMin: bigint;
  liquidationFeeUsd: string | null;
  positionFeeUsd: string;
}

export interface Insolvent {
  orderKey: string;
  remainingCostUsd: bigint;
  badDebtUsd: string;
}

export function usd(value: bigint): string {
  return scaleDown(value, USD_DECIMALS);
}

export function side(isLong: boolean): 'long' | 'short' {
  return isLong ? 'long' : 'short';
}

export function parseFees(event: GmxEvent, blockNumber: bigint): Fees {
  const orderKey = req(event, 'bytes32', 'orderKey');
  const collateralPriceMin = req(event, 'uint', 'collateralTokenPrice.min');
  const liquidationFeeAmount = opt(event, 'uint', 'liquidationFeeAmount') ?? 0n;
  const positionFeeAmount = opt(event, 'uint', 'positionFeeAmount') ?? 0n;
  return {
    orderKey,
    blockNumber,
    liquidationFeeAmount,
    positionFeeAmount,
    collateralPriceMin,
    // amount (token units) × price (USD per unit × 10^30) = USD × 10^30.
    liquidationFeeUsd: liquidationFeeAmount > 0n ? mulScaled(liquidationFeeAmount, collateralPriceMin, USD_DECIMALS) : null,
    positionFeeUsd: mulScaled(positionFeeAmount, collateralPriceMin, USD_DECIMALS),
  };
}

/** A Fees stored in pending_joins (where toJson made its bigints decimal strings). */
export function feesFromPending(payload: Record<string, unknown> | undefined): Fees | undefined {
  if (!payload) return undefined;
  const f = payload as unknown as { [K in keyof Fees]: Fees[K] extends bigint ? string : Fees[K] };
  return {
    orderKey: f.orderKey,
    blockNumber: BigInt(f.blockNumber),
    liquidationFeeAmount: BigInt(f.liquidationFeeAmount),
    positionFeeAmount: BigInt(f.positionFeeAmount),
    collateralPriceMin: BigInt(f.collateralPriceMin),
    liquidationFeeUsd: f.liquidationFeeUsd,
    positionFeeUsd: f.positionFeeUsd,
  };
}

export function insolventFromPending(payload: Record<string, unknown> | undefined): Insolvent | undefined {
  if (!payload) return undefined;
  const ins = payload as unknown as { orderKey: string; remainingCostUsd: string; badDebtUsd: string };
  return { orderKey: ins.orderKey, remainingCostUsd: BigInt(ins.remainingCostUsd), badDebtUsd: ins.badDebtUsd };
}

export function parseInsolvent(event: GmxEvent): Insolvent {
  const orderKey = req(event, 'bytes32', 'orderKey');
  const remainingCostUsd = req(event, 'uint', 'remainingCostUsd');
  req(event, 'uint', 'positionCollateralAmount');
  req(event, 'int', 'basePnlUsd');
  return { orderKey, remainingCostUsd, badDebtUsd: usd(remainingCostUsd) };
}

/** The columns a position change (increase / decrease / liquidation / ADL) shares. */
export interface PositionCore {
  base: ChainRowBase & {
    market: string;
    symbol: string | null;
    asset: string | null;
    quote: string | null;
    account: string;
    side: 'long' | 'short';
    time: Date;
  };
  collateralToken: string;
  indexMin: bigint;
  indexMax: bigint;
  collateralMin: bigint;
  sizeRaw: bigint;
  size: string | null;
  sizeUsd: string;
  priceRaw: bigint;
  price: string | null;
  flags: string[];
  extra: JsonObject;
  orderKey: string;
  orderType: bigint;
  market: MarketInfo | undefined;
}

export function positionCore(parsed: Parsed, source: SourceInfo, registry: RegistryView): PositionCore {
  const { log, event } = parsed;
  const name = event.eventName;
  const account = req(event, 'address', 'account');
  const marketAddress = req(event, 'address', 'market');
  const collateralToken = req(event, 'address', 'collateralToken');
  const isLong = req(event, 'bool', 'isLong');
  const orderType = req(event, 'uint', 'orderType');
  const orderKey = req(event, 'bytes32', 'orderKey');
  const positionKey = req(event, 'bytes32', 'positionKey');
  const sizeDeltaUsd = req(event, 'uint', 'sizeDeltaUsd');
  const sizeDeltaInTokens = req(event, 'uint', 'sizeDeltaInTokens');
  const executionPrice = req(event, 'uint', 'executionPrice');
  const indexMax = req(event, 'uint', 'indexTokenPrice.max');
  const indexMin = req(event, 'uint', 'indexTokenPrice.min');
  const collateralMax = req(event, 'uint', 'collateralTokenPrice.max');
  const collateralMin = req(event, 'uint', 'collateralTokenPrice.min');
  const time = blockTimeOf(log, name);
  const market = registry.market(marketAddress);
  const decimals = market?.indexDecimals;
  const flags = decimals === undefined ? ['unknown_market'] : [];
  const priceDecimals = decimals === undefined ? undefined : USD_DECIMALS - decimals;
  const orderTypeText = orderType.toString();
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    base: {
      venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index,
      market: marketAddress, symbol: market?.symbol ?? null, asset: market?.asset ?? null, quote: market?.quote ?? null,
      account, side: side(isLong), time,
    },
    collateralToken,
    indexMin,
    indexMax,
    collateralMin,
    sizeRaw: sizeDeltaInTokens,
    size: decimals === undefined ? null : scaleDown(sizeDeltaInTokens, decimals),
    sizeUsd: usd(sizeDeltaUsd),
    priceRaw: executionPrice,
    price: priceDecimals === undefined ? null : scaleDown(executionPrice, priceDecimals),
    flags,
    orderKey,
    orderType,
    market,
    extra: {
      orderKey,
      positionKey,
      orderType: orderTypeText,
      orderTypeName: ORDER_TYPE_NAMES[orderTypeText] ?? null,
      collateralToken,
      sizeInUsd: req(event, 'uint', 'sizeInUsd').toString(),
      sizeInTokens: req(event, 'uint', 'sizeInTokens').toString(),
      collateralAmount: req(event, 'uint', 'collateralAmount').toString(),
      sizeDeltaUsd: sizeDeltaUsd.toString(),
      indexTokenPriceMin: indexMin.toString(),
      indexTokenPriceMax: indexMax.toString(),
      collateralTokenPriceMin: collateralMin.toString(),
      collateralTokenPriceMax: collateralMax.toString(),
      ...(priceDecimals === undefined
        ? {}
        : { indexPriceMin: scaleDown(indexMin, priceDecimals), indexPriceMax: scaleDown(indexMax, priceDecimals) }),
      ...unknownItems(event, KNOWN_KEYS[name] ?? new Set()),
    },
  };
}

export interface DecreaseRows {
  core: PositionCore;
  basePnlUsd: bigint;
  collateralDeltaAmount: bigint;
}

export function parseDecrease(parsed: Parsed, source: SourceInfo, registry: RegistryView): DecreaseRows {
  const core = positionCore(parsed, source, registry);
  const { event } = parsed;
  const basePnlUsd = req(event, 'int', 'basePnlUsd');
  const priceImpactUsd = req(event, 'int', 'priceImpactUsd');
  core.extra.basePnlUsd = basePnlUsd.toString();
  core.extra.priceImpactUsd = priceImpactUsd.toString();
  const collateralDeltaAmount = req(event, 'uint', 'collateralDeltaAmount');
  core.extra.collateralDeltaAmount = collateralDeltaAmount.toString();
  const proportional = opt(event, 'int', 'proportionalPendingImpactUsd', 'proportionalImpactPendingUsd');
  if (proportional !== undefined) core.extra.proportionalPendingImpactUsd = proportional.toString();
  const totalImpact = opt(event, 'int', 'totalImpactUsd');
  if (totalImpact !== undefined) core.extra.totalImpactUsd = totalImpact.toString();
  return { core, basePnlUsd, collateralDeltaAmount };
}

export function tradeRow(core: PositionCore, action: 'increase' | 'decrease', pnlUsd: string | null, fees: Fees | undefined): NewTrade {
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time } = core.base;
  return {
    venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time,
    action,
    order_type: ORDER_TYPE_NAMES[core.orderType.toString()] ?? core.orderType.toString(),
    size: core.size,
    size_raw: core.sizeRaw.toString(),
    size_usd: core.sizeUsd,
    price: core.price,
    price_raw: core.priceRaw.toString(),
    pnl_usd: pnlUsd,
    fee_usd: fees ? fees.positionFeeUsd : null,
    flags: core.flags,
    extra: extraJson(core.extra),
  };
}

export function adlRow(d: DecreaseRows, fees: Fees | undefined, orderExecuted: Record<string, unknown>): NewAdlEvent {
  const { core } = d;
  // The mark of an ADL is the index price the decrease used (docs/schema.md); GMX closes a long at the
  // min price and a short at the max, as for liquidations' oracle_price.
  const decimals = core.market?.indexDecimals;
  const markRaw = core.base.side === 'long' ? core.indexMin : core.indexMax;
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time } = core.base;
  return {
    venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time,
    size: core.size,
    size_raw: core.sizeRaw.toString(),
    size_usd: core.sizeUsd,
    price: core.price,
    price_raw: core.priceRaw.toString(),
    mark_price: decimals === undefined ? null : scaleDown(markRaw, USD_DECIMALS - decimals),
    pnl_usd: usd(d.basePnlUsd),
    fee_usd: fees ? fees.positionFeeUsd : null,
    flags: core.flags,
    extra: toJson(Object.assign({}, core.extra, { orderExecuted })),
  };
}

/**
 * The liquidation row of a liquidation decrease. Its `extra` is the decrease's, completed in place: a
 * liquidation's decrease makes no other row, and copying the ~25 keys cost more than the rest of the row.
 */
export function liquidationRow(d: DecreaseRows, registry: RegistryView, fees: Fees | undefined, insolvent: Insolvent | undefined): NewLiquidation {
  const { core } = d;
  const decimals = core.market?.indexDecimals;
  // GMX values a long at the index min price and a short at the max price when closing.
  const oracleRaw = core.base.side === 'long' ? core.indexMin : core.indexMax;
  const collateral = registry.token(core.collateralToken);
  const flags = [...core.flags];
  if (!collateral) flags.push('unknown_token');
  const extra = core.extra;
  if (fees) {
    extra.liquidationFeeAmount = fees.liquidationFeeAmount.toString();
    extra.positionFeeUsd = fees.positionFeeUsd;
  }
  if (insolvent) extra.remainingCostUsd = insolvent.remainingCostUsd.toString();
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time } = core.base;
  return {
    venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, asset, quote, account, side, time,
    liquidator: null,
    size: core.size,
    size_raw: core.sizeRaw.toString(),
    size_usd: core.sizeUsd,
    price: core.price,
    price_raw: core.priceRaw.toString(),
    mark_price: null,
    oracle_price: decimals === undefined ? null : scaleDown(oracleRaw, USD_DECIMALS - decimals),
    collateral_token: core.collateralToken,
    // collateralDeltaAmount = collateral before − after the decrease (DecreasePositionUtils.decreasePosition):
    // for a full liquidation, the position's whole collateral at liquidation.
    collateral_amount: collateral ? scaleDown(d.collateralDeltaAmount, collateral.decimals) : null,
    collateral_usd: mulScaled(d.collateralDeltaAmount, core.collateralMin, USD_DECIMALS),
    pnl_usd: usd(d.basePnlUsd),
    fee_usd: fees?.liquidationFeeUsd ?? (fees ? '0' : null),
    bad_debt_usd: insolvent ? insolvent.badDebtUsd : null,
    // The identity the subgraph's TradeAction shares (keyed by its OrderExecuted log, not this one):
    // the chain's row and the subgraph's meet on it and are stored once (migrations/0003).
    match_key: gmxV2LiquidationMatchKey(core.orderKey),
    flags,
    extra: extraJson(extra),
  };
}

/** The second natural key of a GMX v2 liquidation, on the chain's row and the subgraph's: its order key. */
export function gmxV2LiquidationMatchKey(orderKey: string): string {
  return `order:${orderKey.toLowerCase()}`;
}

/**
 * JSON text for an `extra` column. JsonObject admits no bigint, so this is what toJson writes, without
 * the replacer that made serialising several times slower.
 */
export function extraJson(extra: JsonObject): string {
  return JSON.stringify(extra);
}

