import { decodeEventLog, toEventSelector, type Abi, type Hex } from 'viem';
import {
  gmxV1FastPriceEventsAbi,
  gmxV1UpdatePosition7Abi,
  gmxV1UpdatePosition8Abi,
  gmxV1VaultAbi,
} from '../../../abis/gmx-v1-vault.ts';
import { emptyOutput, type Decoder, type DecodedRows, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, assetColumns, blockTimeOf, chainRowBase, decodeLogs, toJson } from '../shared/rows.ts';

/**
 * GMX v1 decoder (shared/formats.md §2): Vault LiquidatePosition → liquidations, Increase/DecreasePosition
 * → trades, UpdatePosition (7 arguments on Arbitrum, 8 with markPrice on Avalanche: different topic0s,
 * both accepted) → venue_events 'position_update', FastPriceEvents PriceUpdate → oracle_prices.
 * v1 sizes, collateral, fees and PnL are USD × 10^30; prices are USD per whole token × 10^30 (PRICE_PRECISION).
 * The market is the index token.
 */
export const GMX_V1 = 'gmx-v1';
const PRECISION = 30;

type EventKind = 'LiquidatePosition' | 'IncreasePosition' | 'DecreasePosition' | 'UpdatePosition7' | 'UpdatePosition8' | 'PriceUpdate';
const EVENTS: { kind: EventKind; abi: Abi; name: string }[] = [
  { kind: 'LiquidatePosition', abi: gmxV1VaultAbi, name: 'LiquidatePosition' },
  { kind: 'IncreasePosition', abi: gmxV1VaultAbi, name: 'IncreasePosition' },
  { kind: 'DecreasePosition', abi: gmxV1VaultAbi, name: 'DecreasePosition' },
  { kind: 'UpdatePosition7', abi: gmxV1UpdatePosition7Abi, name: 'UpdatePosition' },
  { kind: 'UpdatePosition8', abi: gmxV1UpdatePosition8Abi, name: 'UpdatePosition' },
  { kind: 'PriceUpdate', abi: gmxV1FastPriceEventsAbi, name: 'PriceUpdate' },
];
const BY_TOPIC = new Map(
  EVENTS.map((e) => {
    const item = e.abi.find((x) => x.type === 'event' && x.name === e.name)!;
    return [toEventSelector(item as never).toLowerCase(), e] as const;
  }),
);

const usd = (v: bigint) => scaleDown(v, PRECISION);

/**
 * The second natural key of a GMX v1 liquidation, on the chain's row and the subgraph's: the position
 * key and the block's unix second. gmx-io/gmx-subgraph keys LiquidatedPosition `<key>:<timestamp>`
 * (gmx-arbitrum-stats/src/mapping.ts, _storeLiquidatedPosition); a position is liquidated once, so the
 * pair identifies the liquidation.
 */
export function gmxV1LiquidationMatchKey(positionKey: string, time: Date): string {
  return `position:${positionKey.toLowerCase()}:${Math.floor(time.getTime() / 1000)}`;
}

export function gmxV1LogFilter(): LogFilter {
  return { topic0: [...BY_TOPIC.keys()] as Hex[] };
}

export const gmxV1Decoder: Decoder<RawLog> = {
  // Every log decodes on its own: no join across batches.
  usesPending: false,
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const specOf = (log: RawLog) => BY_TOPIC.get(log.topics[0]?.toLowerCase() ?? '');
    decodeLogs(GMX_V1, logs, ctx.source, out, (log) => specOf(log)?.name ?? null, (log) => {
      const spec = specOf(log);
      if (!spec) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not a GMX v1 Vault/FastPriceEvents event`);
      decodeOne(spec.kind, spec.abi, log, ctx.source, ctx.registry, out);
    });
    return out;
  },
};

function decodeOne(kind: EventKind, abi: Abi, log: RawLog, source: SourceInfo, registry: RegistryView, out: DecodedRows): void {
  const decoded = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  const a = decoded.args as unknown as Record<string, unknown>;
  const name = String(decoded.eventName);
  const base = chainRowBase(GMX_V1, log, source);
  const time = blockTimeOf(log, name);
  const big = (k: string) => a[k] as bigint;
  const addr = (k: string) => (a[k] as string).toLowerCase();
  switch (kind) {
    case 'LiquidatePosition': {
      const market = addr('indexToken');
      const info = registry.market(market);
      out.liquidations.push({
        ...base,
        market,
        symbol: info?.symbol ?? null,
        ...assetColumns(info),
        account: addr('account'),
        liquidator: null,
        side: a.isLong ? 'long' : 'short',
        size: null,
        size_raw: null,
        size_usd: usd(big('size')),
        price: usd(big('markPrice')),
        price_raw: big('markPrice').toString(),
        mark_price: usd(big('markPrice')),
        oracle_price: null,
        collateral_token: addr('collateralToken'),
        collateral_amount: null,
        collateral_usd: usd(big('collateral')),
        pnl_usd: usd(big('realisedPnl')),
        fee_usd: null,
        bad_debt_usd: null,
        time,
        // The identity the subgraph's LiquidatedPosition (no transaction in it) shares with this row.
        match_key: gmxV1LiquidationMatchKey(a.key as string, time),
        flags: info ? [] : ['unknown_market'],
        extra: toJson({
          key: (a.key as string).toLowerCase(),
          sizeRaw: big('size'),
          collateralRaw: big('collateral'),
          reserveAmount: big('reserveAmount'),
          realisedPnlRaw: big('realisedPnl'),
        }),
      });
      return;
    }
    case 'IncreasePosition':
    case 'DecreasePosition': {
      const market = addr('indexToken');
      const info = registry.market(market);
      out.trades.push({
        ...base,
        market,
        symbol: info?.symbol ?? null,
        ...assetColumns(info),
        account: addr('account'),
        side: a.isLong ? 'long' : 'short',
        action: kind === 'IncreasePosition' ? 'increase' : 'decrease',
        order_type: null,
        size: null,
        size_raw: null,
        size_usd: usd(big('sizeDelta')),
        price: usd(big('price')),
        price_raw: big('price').toString(),
        pnl_usd: null,
        fee_usd: usd(big('fee')),
        time,
        flags: info ? [] : ['unknown_market'],
        extra: toJson({
          key: (a.key as string).toLowerCase(),
          collateralToken: addr('collateralToken'),
          collateralDeltaUsd: usd(big('collateralDelta')),
          sizeDeltaRaw: big('sizeDelta'),
        }),
      });
      return;
    }
    case 'UpdatePosition7':
    case 'UpdatePosition8': {
      // No index token in the event: the row is keyed by position key; join with Increase/Decrease by `key`.
      out.venueEvents.push({
        ...base,
        market: null,
        kind: 'position_update',
        value: usd(big('size')),
        time,
        extra: toJson({
          key: (a.key as string).toLowerCase(),
          variant: kind === 'UpdatePosition8' ? 8 : 7,
          size: big('size'),
          collateral: big('collateral'),
          averagePrice: big('averagePrice'),
          entryFundingRate: big('entryFundingRate'),
          reserveAmount: big('reserveAmount'),
          realisedPnl: big('realisedPnl'),
          ...(kind === 'UpdatePosition8' ? { markPrice: big('markPrice') } : {}),
        }),
      });
      return;
    }
    case 'PriceUpdate': {
      const token = addr('token');
      const price = big('price');
      if (price <= 0n) throw new DecodeFailure(name, `${name}: price ${price} for token ${token} is not a valid price: rejected`);
      const info = registry.market(token);
      out.oraclePrices.push({
        ...base,
        market: token,
        symbol: info?.symbol ?? null,
        ...assetColumns(info),
        price: usd(price),
        price_min: null,
        price_max: null,
        price_raw: price.toString(),
        decimals: PRECISION,
        round_id: null,
        time,
        block_time: time,
        flags: info ? [] : ['unknown_market'],
        extra: toJson({ priceFeed: addr('priceFeed') }),
      });
      return;
    }
  }
}
