import { z } from 'zod';
import type { NewLiquidation } from '../../db/schema.ts';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { SubgraphEntity, SubgraphReading } from '../../pipeline/protocol.ts';
import type { SubgraphItem } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { mulScaled, scaleDown } from '../shared/decimal.ts';
import { toJson } from '../shared/rows.ts';
import { addressString, bigIntString, blockNumber, bytes32String, readSubgraphPage, txHashString, uintString, unixSeconds } from '../shared/subgraph-page.ts';
import { ORDER_TYPE, ORDER_TYPE_NAMES } from './event-names.ts';
import { GMX_V2, USD_DECIMALS } from './known-keys.ts';
import { gmxV2LiquidationMatchKey } from './position-rows.ts';

/**
 * GMX v2 liquidations from the synthetics-stats subgraph (gmx-io/gmx-subgraph@a841c81f,
 * synthetics-stats/schema.graphql; shared/formats.md §3): `TradeAction` entities of an executed order
 * of type 7 (Liquidation).
 *
 * What a TradeAction is, read from the subgraph's mapping (synthetics-stats/src/mapping.ts,
 * src/entities/trades.ts, src/entities/common.ts):
 * - its id is `getIdFromEvent(event)` = `<transaction hash>:<log index>` of the **OrderExecuted** log
 *   that executed the order, not of the PositionDecrease the chain's liquidation row comes from. So the
 *   two paths meet on the order key (`orderKey` = `order.id`), which the chain row carries too:
 *   `match_key` = `order:<orderKey>` on both (migrations/0003-provenance.ts);
 * - savePositionDecreaseExecutedTradeAction copies from the PositionDecrease entity executionPrice,
 *   sizeDeltaUsd, basePnlUsd and `initialCollateralDeltaAmount` = collateralDeltaAmount; from the
 *   PositionFeesInfo (PositionFeesCollected) collateralTokenPriceMin/Max, positionFeeAmount and
 *   liquidationFeeAmount; indexTokenPriceMin/Max from the TokenPrice the OraclePriceUpdate of the same
 *   transaction set; timestamp from the transaction;
 * - it has no size in tokens (`sizeDeltaInTokens`) and no InsolventClose: `size`, `size_raw` and
 *   `bad_debt_usd` stay NULL on its rows, and `verify` compares only the columns both paths fill;
 * - it carries no secondaryOrderType: an ADL is a MarketDecrease (4) like any user's decrease, so
 *   ADL cannot be told apart from the subgraph and is not read from it.
 */
const tradeActionSchema = z.object({
  id: z.string().regex(/^0x[0-9a-fA-F]{64}:\d+$/, 'expected `<transaction hash>:<log index>` (getIdFromEvent)'),
  eventName: z.literal('OrderExecuted'),
  orderKey: bytes32String,
  orderType: z.literal(ORDER_TYPE.Liquidation.toString()),
  account: addressString,
  marketAddress: addressString,
  initialCollateralTokenAddress: addressString,
  initialCollateralDeltaAmount: uintString,
  sizeDeltaUsd: uintString,
  executionPrice: uintString,
  indexTokenPriceMin: uintString.nullable(),
  indexTokenPriceMax: uintString.nullable(),
  collateralTokenPriceMin: uintString.nullable(),
  collateralTokenPriceMax: uintString.nullable(),
  priceImpactUsd: bigIntString.nullable(),
  positionFeeAmount: uintString.nullable(),
  liquidationFeeAmount: uintString.nullable(),
  basePnlUsd: bigIntString.nullable(),
  pnlUsd: bigIntString.nullable(),
  isLong: z.boolean(),
  timestamp: unixSeconds,
  transaction: z.object({ hash: txHashString, blockNumber, timestamp: unixSeconds }),
});
type TradeAction = z.output<typeof tradeActionSchema>;

const FIELDS = `id eventName orderKey orderType account marketAddress initialCollateralTokenAddress initialCollateralDeltaAmount
    sizeDeltaUsd executionPrice indexTokenPriceMin indexTokenPriceMax collateralTokenPriceMin collateralTokenPriceMax
    priceImpactUsd positionFeeAmount liquidationFeeAmount basePnlUsd pnlUsd isLong timestamp
    transaction { hash blockNumber timestamp }`;

export const TRADE_ACTIONS: SubgraphEntity = {
  name: 'TradeAction',
  collection: 'tradeActions',
  fields: FIELDS,
  filter: { eventName: 'OrderExecuted', orderType: ORDER_TYPE.Liquidation.toString() },
  page: (items) => readSubgraphPage(tradeActionSchema, items),
  verify: {
    table: 'liquidations',
    columns: ['market', 'account', 'side', 'size_usd', 'price', 'price_raw', 'oracle_price', 'collateral_token', 'collateral_amount', 'collateral_usd', 'pnl_usd', 'fee_usd', 'time', 'block_number', 'tx_hash'],
  },
};

export const gmxV2SubgraphDecoder: Decoder<SubgraphItem> = {
  // Every entity decodes on its own: no join across batches.
  usesPending: false,
  async decode(items, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    for (const item of items) {
      if (item.entity !== TRADE_ACTIONS.name) throw new Error(`gmx-v2 subgraph decoder: unexpected entity ${item.entity} (${item.page})`);
      out.liquidations.push(liquidationRow(item.value as TradeAction, ctx.source, ctx.registry));
    }
    return out;
  },
};

export const gmxV2Subgraph: SubgraphReading = {
  entities: () => [TRADE_ACTIONS],
  decoder: gmxV2SubgraphDecoder,
};

/** The liquidation row the chain path writes for the same liquidation (position-rows.ts liquidationRow), from what a TradeAction holds. */
function liquidationRow(t: TradeAction, source: SourceInfo, registry: RegistryView): NewLiquidation {
  const market = registry.market(t.marketAddress);
  const decimals = market?.indexDecimals;
  const priceDecimals = decimals === undefined ? undefined : USD_DECIMALS - decimals;
  const collateral = registry.token(t.initialCollateralTokenAddress);
  const flags: string[] = [];
  if (decimals === undefined) flags.push('unknown_market');
  if (!collateral) flags.push('unknown_token');
  // GMX values a long at the index min price and a short at the max price when closing.
  const oracleRaw = t.isLong ? t.indexTokenPriceMin : t.indexTokenPriceMax;
  const collateralMin = t.collateralTokenPriceMin === null ? null : BigInt(t.collateralTokenPriceMin);
  const collateralDelta = BigInt(t.initialCollateralDeltaAmount);
  const liquidationFee = t.liquidationFeeAmount === null ? null : BigInt(t.liquidationFeeAmount);
  const id = t.id.toLowerCase();
  return {
    venue: GMX_V2,
    chain: source.chain,
    chain_id: source.chainId,
    uid: id,
    source_id: source.id,
    block_number: String(t.transaction.blockNumber),
    tx_hash: t.transaction.hash,
    // The OrderExecuted log's index (the TradeAction id's), not the PositionDecrease's.
    log_index: Number(id.slice(id.indexOf(':') + 1)),
    market: t.marketAddress,
    symbol: market?.symbol ?? null,
    asset: market?.asset ?? null,
    quote: market?.quote ?? null,
    account: t.account,
    side: t.isLong ? 'long' : 'short',
    time: new Date(t.timestamp * 1000),
    liquidator: null,
    size: null,
    size_raw: null,
    size_usd: scaleDown(BigInt(t.sizeDeltaUsd), USD_DECIMALS),
    price: priceDecimals === undefined ? null : scaleDown(BigInt(t.executionPrice), priceDecimals),
    price_raw: t.executionPrice,
    mark_price: null,
    oracle_price: priceDecimals === undefined || oracleRaw === null ? null : scaleDown(BigInt(oracleRaw), priceDecimals),
    collateral_token: t.initialCollateralTokenAddress,
    collateral_amount: collateral ? scaleDown(collateralDelta, collateral.decimals) : null,
    collateral_usd: collateralMin === null ? null : mulScaled(collateralDelta, collateralMin, USD_DECIMALS),
    pnl_usd: t.basePnlUsd === null ? null : scaleDown(BigInt(t.basePnlUsd), USD_DECIMALS),
    // amount (collateral token units) × price (USD per unit × 10^30), as the chain path values it.
    fee_usd:
      liquidationFee === null || collateralMin === null ? null : liquidationFee > 0n ? mulScaled(liquidationFee, collateralMin, USD_DECIMALS) : '0',
    bad_debt_usd: null,
    match_key: gmxV2LiquidationMatchKey(t.orderKey),
    flags,
    extra: toJson({
      orderKey: t.orderKey,
      orderType: t.orderType,
      orderTypeName: ORDER_TYPE_NAMES[t.orderType] ?? null,
      tradeActionId: id,
      collateralToken: t.initialCollateralTokenAddress,
      sizeDeltaUsd: t.sizeDeltaUsd,
      indexTokenPriceMin: t.indexTokenPriceMin,
      indexTokenPriceMax: t.indexTokenPriceMax,
      collateralTokenPriceMin: t.collateralTokenPriceMin,
      collateralTokenPriceMax: t.collateralTokenPriceMax,
      priceImpactUsd: t.priceImpactUsd,
      positionFeeAmount: t.positionFeeAmount,
      liquidationFeeAmount: t.liquidationFeeAmount,
      basePnlUsd: t.basePnlUsd,
      pnlUsd: t.pnlUsd,
    }),
  };
}
