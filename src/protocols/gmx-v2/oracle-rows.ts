import type { Hex } from 'viem';
import type { NewOraclePrice, NewVenueEvent } from '../../db/schema.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { midpoint, scaleDown } from '../shared/decimal.ts';
import { blockTimeOf, chainRowBase, secondsToDate, toJson } from '../shared/rows.ts';
import { opt, req, topicToAddress, unknownItems, type JsonObject } from './event-data.ts';
import { GMX_V2, KNOWN_KEYS, USD_DECIMALS } from './known-keys.ts';
import { extraJson, side, type Parsed } from './position-rows.ts';

/** GMX v2 OraclePriceUpdate → oracle_prices and AdlStateUpdated → venue_events (shared/formats.md §1). */
export function oracleRow(p: Parsed, source: SourceInfo, registry: RegistryView): NewOraclePrice {
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
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index,
    market: token,
    symbol: info?.symbol ?? null,
    // GMX prices every token in USD, so the asset is the token's (WETH → ETH).
    asset: info?.asset ?? null,
    quote: info ? 'USD' : null,
    // Unknown token: no decimals, so the prices stay in raw ×10^30 units and the row is flagged.
    price: priceDecimals === undefined ? midpoint(minPrice, maxPrice, 0) : midpoint(minPrice, maxPrice, priceDecimals),
    price_min: priceDecimals === undefined ? minPrice.toString() : scaleDown(minPrice, priceDecimals),
    price_max: priceDecimals === undefined ? maxPrice.toString() : scaleDown(maxPrice, priceDecimals),
    // (min + max) / 2 as emitted; exact (NUMERIC keeps a .5).
    price_raw: midpoint(minPrice, maxPrice, 0),
    decimals: priceDecimals ?? null,
    round_id: null,
    time: secondsToDate(timestamp, event.eventName, 'timestamp'),
    block_time: blockTimeOf(log, event.eventName),
    flags: info ? [] : ['unknown_token', 'raw_price'],
    extra: extraJson(extra),
  };
}

export function adlStateRow(p: Parsed, source: SourceInfo): NewVenueEvent {
  const { event, log } = p;
  if (!event.topic1) throw new Error('AdlStateUpdated: no topic1 (market)');
  const pnlToPoolFactor = req(event, 'int', 'pnlToPoolFactor');
  const maxPnlFactor = req(event, 'uint', 'maxPnlFactor');
  const isLong = req(event, 'bool', 'isLong');
  const shouldEnableAdl = req(event, 'bool', 'shouldEnableAdl');
  const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, log, source);
  return {
    venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index,
    market: topicToAddress(event.topic1 as Hex),
    kind: 'adl_state',
    // Factors are ×10^30 like USD values.
    value: scaleDown(pnlToPoolFactor, USD_DECIMALS),
    time: blockTimeOf(log, event.eventName),
    extra: toJson({
      pnlToPoolFactor,
      maxPnlFactor,
      isLong,
      shouldEnableAdl,
      side: side(isLong),
      ...unknownItems(event, KNOWN_KEYS.AdlStateUpdated!),
    }),
  };
}
