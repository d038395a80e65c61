import { sql } from 'kysely';
import type { Hex } from 'viem';
import type { DecodeContext, DecodedRows, EvmDecoder, LogFilter, RawLog, SourceInfo } from '../../indexer/decoder.ts';
import { emptyDecodedRows } from '../../indexer/decoder.ts';
import type { NewAdlEvent, NewLiquidation, NewTrade } from '../../db/schema.ts';
import { Registry, type MarketInfo } from '../registry.ts';
import { midpoint, mulScaled, scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, blockTimeOf, chainRowBase, decodeErrorRow, failureReason, secondsToDate, toJson, type ChainRowBase } from '../shared/rows.ts';
import { deletePending, findPending, putPending } from '../shared/pending.ts';
import { GMX_EMITTER_TOPIC0, eventNameHash, opt, parseGmxLog, req, topicToAddress, unknownItems, type GmxEvent, type JsonObject } from './event-data.ts';
import { ORDER_TYPE, ORDER_TYPE_NAMES, SECONDARY_ORDER_TYPE } from './event-names.ts';

/**
 * GMX v2 decoder (shared/formats.md §1). Everything goes through the EventEmitter; the eventName
 * decides the table:
 * - PositionDecrease orderType 7 → liquidations, joined by orderKey with PositionFeesCollected
 *   (liquidation fee) and InsolventClose (bad debt);
 * - PositionDecrease orderType 4 whose OrderExecuted has secondaryOrderType 1 → adl_events, any other
 *   decrease → trades ('decrease'); PositionIncrease → trades ('increase');
 * - OraclePriceUpdate → oracle_prices; AdlStateUpdated and InsolventClose → venue_events.
 * Joins are resolved inside the batch first; halves left over wait in `pending_joins` for a later batch.
 */
export const GMX_V2 = 'gmx-v2';
const USD_DECIMALS = 30;

export const GMX_V2_EVENT_NAMES = [
  'PositionDecrease',
  'PositionIncrease',
  'PositionFeesCollected',
  'PositionFeesInfo',
  'OrderExecuted',
  'InsolventClose',
  'OraclePriceUpdate',
  'AdlStateUpdated',
] as const;

const PENDING = {
  orderExecuted: 'gmx-v2:order-executed',
  positionDecrease: 'gmx-v2:position-decrease',
  liquidation: 'gmx-v2:liquidation',
  positionFees: 'gmx-v2:position-fees',
  insolventClose: 'gmx-v2:insolvent-close',
} as const;

/** Keys each event is known to carry (all historical spellings); anything else goes to `extra`. */
const KNOWN_KEYS: Record<string, ReadonlySet<string>> = {
  PositionDecrease: new Set([
    'account', 'market', 'collateralToken', 'sizeInUsd', 'sizeInTokens', 'collateralAmount', 'borrowingFactor',
    'fundingFeeAmountPerSize', 'longTokenClaimableFundingAmountPerSize', 'shortTokenClaimableFundingAmountPerSize',
    'executionPrice', 'indexTokenPrice.max', 'indexTokenPrice.min', 'collateralTokenPrice.max', 'collateralTokenPrice.min',
    'sizeDeltaUsd', 'sizeDeltaInTokens', 'collateralDeltaAmount', 'values.priceImpactDiffUsd', 'orderType', 'decreasedAtTime',
    'priceImpactUsd', 'basePnlUsd', 'uncappedBasePnlUsd', 'proportionalPendingImpactUsd', 'proportionalImpactPendingUsd',
    'totalImpactUsd', 'isLong', 'orderKey', 'positionKey',
  ]),
  PositionIncrease: new Set([
    'account', 'market', 'collateralToken', 'sizeInUsd', 'sizeInTokens', 'collateralAmount', 'borrowingFactor',
    'fundingFeeAmountPerSize', 'longTokenClaimableFundingAmountPerSize', 'shortTokenClaimableFundingAmountPerSize',
    'executionPrice', 'indexTokenPrice.max', 'indexTokenPrice.min', 'collateralTokenPrice.max', 'collateralTokenPrice.min',
    'sizeDeltaUsd', 'sizeDeltaInTokens', 'orderType', 'increasedAtTime', 'collateralDeltaAmount', 'priceImpactUsd',
    'priceImpactAmount', 'pendingPriceImpactUsd', 'pendingPriceImpactAmount', 'isLong', 'orderKey', 'positionKey',
  ]),
  OrderExecuted: new Set(['key', 'account', 'secondaryOrderType']),
  OraclePriceUpdate: new Set(['token', 'provider', 'minPrice', 'maxPrice', 'timestamp']),
  AdlStateUpdated: new Set(['pnlToPoolFactor', 'maxPnlFactor', 'isLong', 'shouldEnableAdl']),
  InsolventClose: new Set(['orderKey', 'positionCollateralAmount', 'remainingCostUsd', 'basePnlUsd', 'step']),
};

interface Parsed {
  log: RawLog;
  event: GmxEvent;
}

interface Fees {
  orderKey: string;
  blockNumber: bigint;
  /** Liquidation fee in collateral-token units (0 when the keys are absent). */
  liquidationFeeAmount: bigint;
  positionFeeAmount: bigint;
  collateralPriceMin: bigint;
  liquidationFeeUsd: string | null;
  positionFeeUsd: string;
}

interface Insolvent {
  orderKey: string;
  remainingCostUsd: bigint;
  badDebtUsd: string;
}

function usd(value: bigint): string {
  return scaleDown(value, USD_DECIMALS);
}

function side(isLong: boolean): 'long' | 'short' {
  return isLong ? 'long' : 'short';
}

function parseFees(event: GmxEvent, blockNumber: bigint): Fees {
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
function feesFromPending(payload: Record<string, unknown> | undefined): Fees | undefined {
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

function insolventFromPending(payload: Record<string, unknown> | undefined): Insolvent | undefined {
  if (!payload) return undefined;
  const ins = payload as unknown as { orderKey: string; remainingCostUsd: string; badDebtUsd: string };
  return { orderKey: ins.orderKey, remainingCostUsd: BigInt(ins.remainingCostUsd), badDebtUsd: ins.badDebtUsd };
}

function parseInsolvent(event: GmxEvent): Insolvent {
  const orderKey = req(event, 'bytes32', 'orderKey');
  const remainingCostUsd = req(event, 'uint', 'remainingCostUsd');
  req(event, 'uint', 'positionCollateralAmount');
  req(event, 'int', 'basePnlUsd');
  return { orderKey, remainingCostUsd, badDebtUsd: usd(remainingCostUsd) };
}

/** The columns a position change (increase / decrease / liquidation / ADL) shares. */
interface PositionCore {
  base: ChainRowBase & { market: string; symbol: string | null; account: string; side: 'long' | 'short'; time: Date };
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

function positionCore(parsed: Parsed, source: SourceInfo, registry: Registry): PositionCore {
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
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    base: { venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market: marketAddress, symbol: market?.symbol ?? null, account, side: side(isLong), time },
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

interface DecreaseRows {
  core: PositionCore;
  basePnlUsd: bigint;
  collateralDeltaAmount: bigint;
}

function parseDecrease(parsed: Parsed, source: SourceInfo, registry: Registry): DecreaseRows {
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

function tradeRow(core: PositionCore, action: 'increase' | 'decrease', pnlUsd: string | null, fees: Fees | undefined): NewTrade {
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time } = core.base;
  return {
    venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time,
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

function adlRow(d: DecreaseRows, fees: Fees | undefined, orderExecuted: Record<string, unknown>): NewAdlEvent {
  const { core } = d;
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time } = core.base;
  return {
    venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time,
    size: core.size,
    size_raw: core.sizeRaw.toString(),
    size_usd: core.sizeUsd,
    price: core.price,
    price_raw: core.priceRaw.toString(),
    mark_price: null,
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
function liquidationRow(d: DecreaseRows, registry: Registry, fees: Fees | undefined, insolvent: Insolvent | undefined): NewLiquidation {
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
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time } = core.base;
  return {
    venue, chain_id, uid, source_id, block_number, tx_hash, log_index, market, symbol, account, side, time,
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
    flags,
    extra: extraJson(extra),
  };
}

/**
 * JSON text for an `extra` column. JsonObject admits no bigint, so this is what toJson writes, without
 * the replacer that made serialising several times slower.
 */
function extraJson(extra: JsonObject): string {
  return JSON.stringify(extra);
}

export const gmxV2Decoder: EvmDecoder = {
  protocol: GMX_V2,

  logFilter(): LogFilter {
    return {
      topic0: [GMX_EMITTER_TOPIC0.EventLog, GMX_EMITTER_TOPIC0.EventLog1, GMX_EMITTER_TOPIC0.EventLog2],
      topic1: GMX_V2_EVENT_NAMES.map((name) => eventNameHash(name)),
    };
  },

  async decode(logs: readonly RawLog[], ctx: DecodeContext): Promise<DecodedRows> {
    const out = emptyDecodedRows();
    const { source, trx } = ctx;
    const fail = (log: RawLog, error: unknown, event: string | null) => {
      const { event: ev, reason } = failureReason(error, event);
      out.decodeErrors.push(decodeErrorRow(GMX_V2, log, source, ev, reason));
    };
    if (logs.length === 0) return out;
    const registry = await Registry.load(trx, GMX_V2, logs[0]!.chainId);

    // Pass 1: decode every log, write the rows that need no join, collect the join halves by order key.
    // One loop, so that a decoded event nothing keeps is garbage while still young (cheap to collect).
    const fees = new Map<string, Fees>();
    const insolvents = new Map<string, { parsed: Parsed; insolvent: Insolvent }>();
    const executed = new Map<string, { parsed: Parsed; secondaryOrderType: bigint; account: string }>();
    const decreases: { parsed: Parsed; d: DecreaseRows }[] = [];
    const increases: { parsed: Parsed; core: PositionCore }[] = [];
    for (const log of logs) {
      let event: GmxEvent;
      try {
        event = parseGmxLog(log);
        if (!(GMX_V2_EVENT_NAMES as readonly string[]).includes(event.eventName)) {
          throw new DecodeFailure(event.eventName, `unknown eventName "${event.eventName}" (handled: ${GMX_V2_EVENT_NAMES.join(', ')})`);
        }
      } catch (error) {
        fail(log, error, null);
        continue;
      }
      const p: Parsed = { log, event };
      try {
        switch (event.eventName) {
          case 'PositionFeesCollected':
          case 'PositionFeesInfo': {
            const f = parseFees(event, log.blockNumber);
            const previous = fees.get(f.orderKey);
            // PositionFeesInfo (insolvent path) and PositionFeesCollected may both exist; keep the one with a liquidation fee.
            if (!previous || (previous.liquidationFeeAmount === 0n && f.liquidationFeeAmount > 0n)) fees.set(f.orderKey, f);
            break;
          }
          case 'InsolventClose':
            insolvents.set(req(event, 'bytes32', 'orderKey'), { parsed: p, insolvent: parseInsolvent(event) });
            break;
          case 'OrderExecuted': {
            const key = opt(event, 'bytes32', 'key') ?? event.topic1;
            if (!key) throw new Error('OrderExecuted: no order key (bytes32 item "key" or topic1)');
            executed.set(key, { parsed: p, secondaryOrderType: req(event, 'uint', 'secondaryOrderType'), account: req(event, 'address', 'account') });
            break;
          }
          case 'PositionDecrease':
            decreases.push({ parsed: p, d: parseDecrease(p, source, registry) });
            break;
          case 'PositionIncrease':
            increases.push({ parsed: p, core: positionCore(p, source, registry) });
            break;
          case 'OraclePriceUpdate':
            out.oraclePrices.push(oracleRow(p, source, registry));
            break;
          case 'AdlStateUpdated':
            out.venueEvents.push(adlStateRow(p, source));
            break;
        }
      } catch (error) {
        fail(log, error, event.eventName);
      }
    }

    // Pass 2: joins. Halves without a partner in this batch look in pending_joins, then wait there.
    const positionKeysInBatch = new Set<string>([...decreases.map((x) => x.d.core.orderKey), ...increases.map((x) => x.core.orderKey)]);
    const liquidations = decreases.filter((x) => x.d.core.orderType === ORDER_TYPE.Liquidation);
    const marketDecreases = decreases.filter((x) => x.d.core.orderType === ORDER_TYPE.MarketDecrease);
    const otherDecreases = decreases.filter((x) => x.d.core.orderType !== ORDER_TYPE.Liquidation && x.d.core.orderType !== ORDER_TYPE.MarketDecrease);

    // Liquidations ↔ fees / insolvent close.
    const liqNeedingFees = liquidations.filter((x) => !fees.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
    const liqNeedingInsolvent = liquidations.filter((x) => !insolvents.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
    const pendingFees = await findPending(trx, source.id, PENDING.positionFees, liqNeedingFees);
    const pendingInsolvent = await findPending(trx, source.id, PENDING.insolventClose, liqNeedingInsolvent);
    await deletePending(trx, source.id, PENDING.positionFees, [...pendingFees.keys()]);
    await deletePending(trx, source.id, PENDING.insolventClose, [...pendingInsolvent.keys()]);
    for (const { parsed: p, d } of liquidations) {
      const key = d.core.orderKey;
      const f = fees.get(key) ?? feesFromPending(pendingFees.get(key));
      const ins = insolvents.get(key)?.insolvent ?? insolventFromPending(pendingInsolvent.get(key));
      out.liquidations.push(liquidationRow(d, registry, f, ins));
      if (!f) await putPending(trx, source.id, PENDING.liquidation, key, p.log.blockNumber, { uid: d.core.base.uid });
    }
    // Fees / insolvent closes whose position change is not in this batch.
    const orphanFees = [...fees.values()].filter((f) => !positionKeysInBatch.has(f.orderKey));
    const orphanInsolvent = [...insolvents.values()].filter((x) => !positionKeysInBatch.has(x.insolvent.orderKey));
    const pendingLiquidations = await findPending(trx, source.id, PENDING.liquidation, [
      ...orphanFees.map((f) => f.orderKey),
      ...orphanInsolvent.map((x) => x.insolvent.orderKey),
    ]);
    for (const f of orphanFees) {
      const liq = pendingLiquidations.get(f.orderKey);
      if (liq) {
        await trx
          .updateTable('liquidations')
          .set({
            fee_usd: f.liquidationFeeUsd ?? '0',
            extra: sql`extra || ${toJson({ liquidationFeeAmount: f.liquidationFeeAmount, positionFeeUsd: f.positionFeeUsd })}::jsonb` as never,
          })
          .where('venue', '=', GMX_V2)
          .where('chain_id', '=', logs[0]!.chainId)
          .where('uid', '=', String(liq.uid))
          .execute();
        await deletePending(trx, source.id, PENDING.liquidation, [f.orderKey]);
      } else if (f.liquidationFeeAmount > 0n) {
        await putPending(trx, source.id, PENDING.positionFees, f.orderKey, f.blockNumber, f);
      }
    }
    for (const { parsed: p, insolvent } of orphanInsolvent) {
      const liq = pendingLiquidations.get(insolvent.orderKey);
      if (liq) {
        await trx
          .updateTable('liquidations')
          .set({ bad_debt_usd: insolvent.badDebtUsd })
          .where('venue', '=', GMX_V2)
          .where('chain_id', '=', p.log.chainId)
          .where('uid', '=', String(liq.uid))
          .execute();
      } else {
        await putPending(trx, source.id, PENDING.insolventClose, insolvent.orderKey, p.log.blockNumber, insolvent);
      }
    }
    // Every InsolventClose is also a venue event (bad debt is worth seeing even without its liquidation).
    for (const { parsed: p, insolvent } of insolvents.values()) {
      const decrease = decreases.find((x) => x.d.core.orderKey === insolvent.orderKey);
      const ev = p.event;
      try {
        const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, p.log, source);
        out.venueEvents.push({
          venue, chain_id, uid, source_id, block_number, tx_hash, log_index,
          market: decrease?.d.core.base.market ?? null,
          kind: 'insolvent_close',
          value: insolvent.badDebtUsd,
          time: blockTimeOf(p.log, ev.eventName),
          data: toJson({
            orderKey: insolvent.orderKey,
            positionCollateralAmount: req(ev, 'uint', 'positionCollateralAmount'),
            basePnlUsd: req(ev, 'int', 'basePnlUsd'),
            remainingCostUsd: insolvent.remainingCostUsd,
            step: opt(ev, 'string', 'step') ?? null,
            ...unknownItems(ev, KNOWN_KEYS.InsolventClose!),
          }),
        });
      } catch (error) {
        fail(p.log, error, ev.eventName);
      }
    }

    // Market decreases ↔ OrderExecuted (ADL iff secondaryOrderType 1).
    const unmatchedDecreaseKeys = marketDecreases.filter((x) => !executed.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
    const pendingExecuted = await findPending(trx, source.id, PENDING.orderExecuted, unmatchedDecreaseKeys);
    await deletePending(trx, source.id, PENDING.orderExecuted, [...pendingExecuted.keys()]);
    for (const { parsed: p, d } of marketDecreases) {
      const key = d.core.orderKey;
      const f = fees.get(key);
      const inBatch = executed.get(key);
      const oe = inBatch
        ? { secondaryOrderType: inBatch.secondaryOrderType.toString(), txHash: inBatch.parsed.log.txHash.toLowerCase(), logIndex: inBatch.parsed.log.logIndex }
        : pendingExecuted.get(key);
      if (oe && BigInt(String(oe.secondaryOrderType)) === SECONDARY_ORDER_TYPE.Adl) {
        out.adlEvents.push(adlRow(d, f, oe));
      } else {
        out.trades.push(tradeRow(d.core, 'decrease', usd(d.basePnlUsd), f));
        if (!oe) {
          // Its OrderExecuted is still to come: keep the would-be ADL row to swap in if it says ADL.
          await putPending(trx, source.id, PENDING.positionDecrease, key, p.log.blockNumber, {
            tradeUid: d.core.base.uid,
            adl: adlRow(d, f, {}),
          });
        }
      }
    }
    for (const { d } of otherDecreases) out.trades.push(tradeRow(d.core, 'decrease', usd(d.basePnlUsd), fees.get(d.core.orderKey)));
    for (const { core } of increases) out.trades.push(tradeRow(core, 'increase', null, fees.get(core.orderKey)));

    // OrderExecuted whose decrease came in an earlier batch (or has not come yet).
    const decreaseKeys = new Set(decreases.map((x) => x.d.core.orderKey));
    const orphanExecuted = [...executed.entries()].filter(([key]) => !decreaseKeys.has(key));
    const pendingDecreases = await findPending(trx, source.id, PENDING.positionDecrease, orphanExecuted.map(([key]) => key));
    for (const [key, oe] of orphanExecuted) {
      const pending = pendingDecreases.get(key);
      const isAdl = oe.secondaryOrderType === SECONDARY_ORDER_TYPE.Adl;
      const oeInfo = { secondaryOrderType: oe.secondaryOrderType.toString(), txHash: oe.parsed.log.txHash.toLowerCase(), logIndex: oe.parsed.log.logIndex };
      if (pending) {
        await deletePending(trx, source.id, PENDING.positionDecrease, [key]);
        if (isAdl) {
          const adl = pending.adl as NewAdlEvent;
          await trx.deleteFrom('trades').where('venue', '=', GMX_V2).where('chain_id', '=', oe.parsed.log.chainId).where('uid', '=', String(pending.tradeUid)).execute();
          const extra = Object.assign(JSON.parse(String(adl.extra)) as Record<string, unknown>, { orderExecuted: oeInfo });
          out.adlEvents.push(Object.assign({}, adl, { time: new Date(String(adl.time)), extra: toJson(extra) }));
        }
      } else if (isAdl) {
        await putPending(trx, source.id, PENDING.orderExecuted, key, oe.parsed.log.blockNumber, oeInfo);
      }
    }
    // Pass 1 and pass 2 both report errors; keep them in log order for readers.
    out.decodeErrors.sort((a, b) => Number(BigInt(String(a.block_number)) - BigInt(String(b.block_number))) || (a.log_index ?? 0) - (b.log_index ?? 0));
    return out;
  },
};

function oracleRow(p: Parsed, source: SourceInfo, registry: Registry) {
  const { event, log } = p;
  const token = req(event, 'address', 'token');
  const minPrice = req(event, 'uint', 'minPrice');
  const maxPrice = req(event, 'uint', 'maxPrice');
  const timestamp = req(event, 'uint', 'timestamp');
  const provider = opt(event, 'address', 'provider') ?? null;
  if (minPrice === 0n || maxPrice === 0n) throw new Error(`OraclePriceUpdate: zero price for token ${token}`);
  const info = registry.token(token);
  const priceDecimals = info ? USD_DECIMALS - info.decimals : undefined;
  const extra: JsonObject = {
    provider,
    minPriceRaw: minPrice.toString(),
    maxPriceRaw: maxPrice.toString(),
    ...unknownItems(event, KNOWN_KEYS.OraclePriceUpdate!),
  };
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    venue, chain_id, uid, source_id, block_number, tx_hash, log_index,
    market: token,
    symbol: info?.symbol ?? null,
    // Unknown token: no decimals, so the prices stay in raw ×10^30 units and the row is flagged.
    price: priceDecimals === undefined ? midpoint(minPrice, maxPrice, 0) : midpoint(minPrice, maxPrice, priceDecimals),
    price_min: priceDecimals === undefined ? minPrice.toString() : scaleDown(minPrice, priceDecimals),
    price_max: priceDecimals === undefined ? maxPrice.toString() : scaleDown(maxPrice, priceDecimals),
    price_raw: null,
    decimals: priceDecimals ?? null,
    round_id: null,
    time: secondsToDate(timestamp, event.eventName, 'timestamp'),
    block_time: blockTimeOf(log, event.eventName),
    flags: info ? [] : ['unknown_token', 'raw_price'],
    extra: extraJson(extra),
  };
}

function adlStateRow(p: Parsed, source: SourceInfo) {
  const { event, log } = p;
  if (!event.topic1) throw new Error('AdlStateUpdated: no topic1 (market)');
  const pnlToPoolFactor = req(event, 'int', 'pnlToPoolFactor');
  const maxPnlFactor = req(event, 'uint', 'maxPnlFactor');
  const isLong = req(event, 'bool', 'isLong');
  const shouldEnableAdl = req(event, 'bool', 'shouldEnableAdl');
  const { venue, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    venue, chain_id, uid, source_id, block_number, tx_hash, log_index,
    market: topicToAddress(event.topic1 as Hex),
    kind: 'adl_state',
    // Factors are ×10^30 like USD values.
    value: scaleDown(pnlToPoolFactor, USD_DECIMALS),
    time: blockTimeOf(log, event.eventName),
    data: toJson({
      pnlToPoolFactor,
      maxPnlFactor,
      isLong,
      shouldEnableAdl,
      side: side(isLong),
      ...unknownItems(event, KNOWN_KEYS.AdlStateUpdated!),
    }),
  };
}
