import { z } from 'zod';
import type { NewLiquidation, NewOraclePrice } from '../../db/schema.ts';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { SubgraphEntity, SubgraphReading } from '../../pipeline/protocol.ts';
import type { SubgraphItem } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { scaleDown } from '../shared/decimal.ts';
import { assetColumns, toJson } from '../shared/rows.ts';
import { addressString, bigIntString, blockNumber, bytes32String, readSubgraphPage, uintString, unixSeconds } from '../shared/subgraph-page.ts';
import { GMX_V1, gmxV1LiquidationMatchKey } from './decoder.ts';

/**
 * GMX v1 from the gmx-arbitrum-stats / gmx-avalanche-stats subgraphs (gmx-io/gmx-subgraph@a841c81f;
 * shared/formats.md §3). Read from their mappings:
 * - `LiquidatedPosition` (gmx-arbitrum-stats/src/mapping.ts, _storeLiquidatedPosition): id
 *   `<position key>:<block timestamp>`, no transaction, no log index. Type `full` comes from the Vault's
 *   LiquidatePosition (the chain's liquidation row); type `partial` from a DecreasePosition sent by the
 *   liquidator's address, which the chain path stores as a trade: only `full` is read. The chain row
 *   and this one meet on `match_key` = `position:<key>:<unix seconds>`. `collateral` is the position's
 *   last UpdatePosition collateral (the LiquidatePosition event's value); `loss` and `borrowFee` are the
 *   subgraph's own estimates (kept in `extra`), not the event's realisedPnl, so `pnl_usd` stays NULL.
 * - `ChainlinkPrice` / `FastPrice` (src/pricesMapping.ts): per token, the last price of each second
 *   (`period: any`; ids `<token>:<timestamp>` and `<timestamp>:any:<token>`, overwritten within a
 *   second). They are not the chain's records (one row per update): they are read only when a source
 *   asks (`options.entities`), flagged `per_second_last`, and never matched with or compared to the
 *   chain's FastPriceEvents rows.
 */
export const GMX_V1_SUBGRAPH_ENTITIES = ['LiquidatedPosition', 'ChainlinkPrice', 'FastPrice'] as const;
export type GmxV1SubgraphEntity = (typeof GMX_V1_SUBGRAPH_ENTITIES)[number];

const PRICE_PRECISION = 30;
/** Chainlink USD feeds GMX v1 reads answer with 8 decimals (UNVERIFIED for every token: the subgraph stores the raw answer). */
const CHAINLINK_DECIMALS = 8;

const liquidatedPositionSchema = z.object({
  id: z.string().regex(/^0x[0-9a-fA-F]{64}:\d+$/, 'expected `<position key>:<timestamp>`'),
  key: bytes32String,
  account: addressString,
  timestamp: unixSeconds,
  indexToken: addressString,
  size: uintString,
  isLong: z.boolean(),
  collateralToken: addressString,
  collateral: uintString,
  markPrice: uintString,
  averagePrice: uintString,
  loss: bigIntString,
  type: z.literal('full'),
  borrowFee: bigIntString,
});
type LiquidatedPosition = z.output<typeof liquidatedPositionSchema>;

const priceSchema = z.object({
  id: z.string().min(1),
  token: addressString,
  value: uintString,
  timestamp: unixSeconds,
  blockNumber,
  period: z.literal('any'),
});
type PriceEntity = z.output<typeof priceSchema>;

const usd = (v: string) => scaleDown(BigInt(v), PRICE_PRECISION);

export const LIQUIDATED_POSITIONS: SubgraphEntity = {
  name: 'LiquidatedPosition',
  collection: 'liquidatedPositions',
  fields: 'id key account timestamp indexToken size isLong collateralToken collateral markPrice averagePrice loss type borrowFee',
  filter: { type: 'full' },
  page: (items) => readSubgraphPage(liquidatedPositionSchema, items),
  verify: { table: 'liquidations', columns: ['market', 'account', 'side', 'size_usd', 'price', 'price_raw', 'mark_price', 'collateral_token', 'collateral_usd', 'time'] },
};

const priceEntity = (name: 'ChainlinkPrice' | 'FastPrice', collection: string): SubgraphEntity => ({
  name,
  collection,
  fields: 'id token value timestamp blockNumber period',
  filter: { period: 'any' },
  page: (items) => readSubgraphPage(priceSchema, items),
});

const ENTITIES: Record<GmxV1SubgraphEntity, SubgraphEntity> = {
  LiquidatedPosition: LIQUIDATED_POSITIONS,
  ChainlinkPrice: priceEntity('ChainlinkPrice', 'chainlinkPrices'),
  FastPrice: priceEntity('FastPrice', 'fastPrices'),
};

export const gmxV1SubgraphDecoder: Decoder<SubgraphItem> = {
  usesPending: false,
  async decode(items, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    for (const item of items) {
      switch (item.entity) {
        case 'LiquidatedPosition':
          out.liquidations.push(liquidationRow(item.value as LiquidatedPosition, ctx.source, ctx.registry));
          break;
        case 'ChainlinkPrice':
        case 'FastPrice': {
          const price = item.value as PriceEntity;
          if (BigInt(price.value) === 0n) {
            // As on the chain path: a zero price is no price (an invalid round); kept as a decode error.
            out.decodeErrors.push({
              source_id: ctx.source.id,
              protocol: GMX_V1,
              chain_id: ctx.source.chainId,
              block_number: String(price.blockNumber),
              record_ref: `${item.entity}:${price.id}`,
              event: item.entity,
              reason: `${item.entity} ${price.id}: value 0 for token ${price.token} is not a valid price: rejected`,
              raw: toJson(price),
            });
            break;
          }
          out.oraclePrices.push(priceRow(item.entity, price, ctx.source, ctx.registry));
          break;
        }
        default:
          throw new Error(`gmx-v1 subgraph decoder: unexpected entity ${item.entity} (${item.page})`);
      }
    }
    return out;
  },
};

export const gmxV1Subgraph: SubgraphReading = {
  entities: (source) => {
    const names = (source.options.entities as GmxV1SubgraphEntity[] | undefined) ?? ['LiquidatedPosition'];
    return names.map((name) => ENTITIES[name]);
  },
  decoder: gmxV1SubgraphDecoder,
};

/** The row the chain path writes for the Vault's LiquidatePosition (decoder.ts), from what the entity holds. */
function liquidationRow(p: LiquidatedPosition, source: SourceInfo, registry: RegistryView): NewLiquidation {
  const info = registry.market(p.indexToken);
  const time = new Date(p.timestamp * 1000);
  return {
    venue: GMX_V1,
    chain: source.chain,
    chain_id: source.chainId,
    uid: `LiquidatedPosition:${p.id.toLowerCase()}`,
    source_id: source.id,
    block_number: null,
    tx_hash: null,
    log_index: null,
    market: p.indexToken,
    symbol: info?.symbol ?? null,
    ...assetColumns(info),
    account: p.account,
    liquidator: null,
    side: p.isLong ? 'long' : 'short',
    size: null,
    size_raw: null,
    size_usd: usd(p.size),
    price: usd(p.markPrice),
    price_raw: p.markPrice,
    mark_price: usd(p.markPrice),
    oracle_price: null,
    collateral_token: p.collateralToken,
    collateral_amount: null,
    collateral_usd: usd(p.collateral),
    pnl_usd: null,
    fee_usd: null,
    bad_debt_usd: null,
    time,
    match_key: gmxV1LiquidationMatchKey(p.key, time),
    flags: info ? [] : ['unknown_market'],
    extra: toJson({ key: p.key, entityId: p.id, averagePrice: p.averagePrice, loss: p.loss, borrowFee: p.borrowFee, type: p.type }),
  };
}

function priceRow(entity: 'ChainlinkPrice' | 'FastPrice', p: PriceEntity, source: SourceInfo, registry: RegistryView): NewOraclePrice {
  const info = registry.market(p.token);
  const decimals = entity === 'FastPrice' ? PRICE_PRECISION : CHAINLINK_DECIMALS;
  const time = new Date(p.timestamp * 1000);
  return {
    venue: GMX_V1,
    chain: source.chain,
    chain_id: source.chainId,
    uid: `${entity}:${p.id.toLowerCase()}`,
    source_id: source.id,
    block_number: String(p.blockNumber),
    tx_hash: null,
    log_index: null,
    market: p.token,
    symbol: info?.symbol ?? null,
    ...assetColumns(info),
    price: scaleDown(BigInt(p.value), decimals),
    price_min: null,
    price_max: null,
    price_raw: p.value,
    decimals,
    round_id: null,
    time,
    block_time: time,
    flags: info ? ['per_second_last'] : ['per_second_last', 'unknown_market'],
    extra: toJson({ oracle: entity === 'FastPrice' ? 'fast' : 'chainlink', entityId: p.id }),
  };
}
