import { z } from 'zod';
import type { NewLiquidation } from '../../db/schema.ts';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { SubgraphEntity, SubgraphReading } from '../../pipeline/protocol.ts';
import type { SubgraphItem } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { abs, mulScaled, scaleDown } from '../shared/decimal.ts';
import { assetColumns, toJson } from '../shared/rows.ts';
import { addressString, bigIntString, readSubgraphPage, unixSeconds } from '../shared/subgraph-page.ts';
import { SYNTHETIX_V2 } from './decoder.ts';

/**
 * Synthetix PerpsV2 liquidations from the perps subgraph (Synthetixio/synthetix-subgraph@9f65a792,
 * subgraphs/perps.graphql, src/perps.ts; shared/formats.md §3): `FuturesTrade` entities of orderType
 * `Liquidation`. Read from the mapping:
 * - a liquidation's FuturesTrade is created by handlePositionModified for the PositionModified log the
 *   liquidation emits (size 0, margin 0), id `<transaction hash>-<log index>` of that log; the
 *   PositionLiquidated handler then loads it at `logIndex − 1`, i.e. PositionLiquidated is the next log.
 *   So the chain row's uid is exactly `<transaction hash>:<log index + 1>`: the two paths meet on the
 *   natural key itself;
 * - that handler sets `size` = −(PositionLiquidated.size) and adds the liquidation fee (the sum of the
 *   three fees since 2023-04) to `feesPaid`; `price` is the PositionModified lastPrice, the price the
 *   liquidation used; `abstractAccount` is the event's account (`account` may be a smart-margin owner);
 *   `positionId` is `<market proxy>-<position id as hex>`;
 * - it has no block number and no liquidator: those columns stay NULL and are not compared.
 */
const futuresTradeSchema = z.object({
  id: z.string().regex(/^0x[0-9a-fA-F]{64}-\d+$/, 'expected `<transaction hash>-<log index>`'),
  timestamp: unixSeconds,
  account: addressString,
  abstractAccount: addressString,
  margin: bigIntString,
  size: bigIntString,
  price: bigIntString,
  positionId: z.string().regex(/^0x[0-9a-fA-F]{40}-0x[0-9a-fA-F]+$/, 'expected `<market proxy>-<position id as hex>`'),
  positionSize: bigIntString,
  positionClosed: z.boolean(),
  pnl: bigIntString,
  feesPaid: bigIntString,
  fundingAccrued: bigIntString,
  keeperFeesPaid: bigIntString,
  orderType: z.literal('Liquidation'),
});
type FuturesTrade = z.output<typeof futuresTradeSchema>;

const D = 18;

export const FUTURES_TRADES: SubgraphEntity = {
  name: 'FuturesTrade',
  collection: 'futuresTrades',
  fields: 'id timestamp account abstractAccount margin size price positionId positionSize positionClosed pnl feesPaid fundingAccrued keeperFeesPaid orderType',
  filter: { orderType: 'Liquidation' },
  page: (items) => readSubgraphPage(futuresTradeSchema, items),
  verify: {
    table: 'liquidations',
    columns: ['market', 'account', 'side', 'size', 'size_raw', 'size_usd', 'price', 'price_raw', 'oracle_price', 'fee_usd', 'time', 'tx_hash', 'log_index'],
  },
};

export const synthetixPerpsV2SubgraphDecoder: Decoder<SubgraphItem> = {
  usesPending: false,
  async decode(items, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    for (const item of items) {
      if (item.entity !== FUTURES_TRADES.name) throw new Error(`synthetix-perps-v2 subgraph decoder: unexpected entity ${item.entity} (${item.page})`);
      const trade = item.value as FuturesTrade;
      if (BigInt(trade.size) === 0n) {
        // The PositionLiquidated handler did not complete it (no position entity): the side is unknown.
        out.decodeErrors.push({
          source_id: ctx.source.id,
          protocol: SYNTHETIX_V2,
          chain_id: ctx.source.chainId,
          record_ref: `FuturesTrade:${trade.id}`,
          event: 'FuturesTrade',
          reason: `FuturesTrade ${trade.id}: liquidation with size 0 (the subgraph never applied its PositionLiquidated): rejected`,
          raw: toJson(trade),
        });
        continue;
      }
      out.liquidations.push(liquidationRow(trade, ctx.source, ctx.registry));
    }
    return out;
  },
};

export const synthetixPerpsV2Subgraph: SubgraphReading = {
  entities: () => [FUTURES_TRADES],
  decoder: synthetixPerpsV2SubgraphDecoder,
};

/** The row the chain path writes for the PositionLiquidated log (decoder.ts), from what the entity holds. */
function liquidationRow(t: FuturesTrade, source: SourceInfo, registry: RegistryView): NewLiquidation {
  const dash = t.id.lastIndexOf('-');
  const txHash = t.id.slice(0, dash).toLowerCase();
  const logIndex = Number(t.id.slice(dash + 1)) + 1;
  const [proxy, positionHex] = t.positionId.split('-') as [string, string];
  const market = proxy.toLowerCase();
  const info = registry.market(market);
  // The entity's size is the negated PositionLiquidated size (positive = long).
  const size = -BigInt(t.size);
  const price = BigInt(t.price);
  return {
    venue: SYNTHETIX_V2,
    chain: source.chain,
    chain_id: source.chainId,
    uid: `${txHash}:${logIndex}`,
    source_id: source.id,
    block_number: null,
    tx_hash: txHash,
    log_index: logIndex,
    market,
    symbol: info?.symbol ?? null,
    ...assetColumns(info),
    account: t.abstractAccount,
    liquidator: null,
    side: size > 0n ? 'long' : 'short',
    size: scaleDown(abs(size), D),
    size_raw: abs(size).toString(),
    size_usd: mulScaled(abs(size), price, 2 * D),
    price: scaleDown(price, D),
    price_raw: price.toString(),
    mark_price: null,
    oracle_price: scaleDown(price, D),
    collateral_token: null,
    collateral_amount: null,
    collateral_usd: null,
    pnl_usd: null,
    fee_usd: scaleDown(BigInt(t.feesPaid), D),
    bad_debt_usd: null,
    time: new Date(t.timestamp * 1000),
    flags: info ? [] : ['unknown_market'],
    extra: toJson({
      positionId: BigInt(positionHex).toString(),
      sizeSigned: size.toString(),
      futuresTradeId: t.id,
      owner: t.account,
      feesPaid: t.feesPaid,
      pnl: t.pnl,
      fundingAccrued: t.fundingAccrued,
      keeperFeesPaid: t.keeperFeesPaid,
    }),
  };
}
