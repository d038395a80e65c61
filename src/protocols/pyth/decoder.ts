import { decodeEventLog, toEventSelector, type Hex } from 'viem';
import { pythAbi } from '../../../abis/pyth.ts';
import type { NewOraclePrice } from '../../db/schema.ts';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { scaleDown } from '../shared/decimal.ts';
import { numberOption } from '../shared/options.ts';
import { DecodeFailure, assetColumns, blockTimeOf, chainRowBase, decodeLogs, secondsToDate, toJson } from '../shared/rows.ts';

/**
 * Pyth decoder (shared/formats.md §5): PriceFeedUpdate(id, publishTime, price, conf) → oracle_prices.
 * The exponent is not in the event: it comes from the source option `exponents: { "<priceId>": -8 }`.
 * Without it the price is stored raw and flagged `unknown_exponent`. A zero or negative price is rejected.
 */
export const PYTH = 'pyth';
const PRICE_FEED_UPDATE = toEventSelector(pythAbi[0]).toLowerCase();

export function pythLogFilter(source: SourceInfo): LogFilter {
  const ids = source.options.priceIds;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && /^0x[0-9a-fA-F]{64}$/.test(id)))) {
    throw new Error(`source ${source.id}: option "priceIds" must be a list of 32-byte hex price ids`);
  }
  return { topic0: [PRICE_FEED_UPDATE as Hex], ...(ids ? { topic1: (ids as string[]).map((id) => id.toLowerCase() as Hex) } : {}) };
}

export const pythDecoder: Decoder<RawLog> = {
  // Every log decodes on its own: no join across batches.
  usesPending: false,
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const known = (log: RawLog) => log.topics[0]?.toLowerCase() === PRICE_FEED_UPDATE;
    decodeLogs(PYTH, logs, ctx.source, out, (log) => (known(log) ? 'PriceFeedUpdate' : null), (log) => {
      if (!known(log)) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not PriceFeedUpdate`);
      out.oraclePrices.push(decodeOne(log, ctx.source, ctx.registry));
    });
    return out;
  },
};

function decodeOne(log: RawLog, source: SourceInfo, registry: RegistryView): NewOraclePrice {
  const name = 'PriceFeedUpdate';
  const { args } = decodeEventLog({ abi: pythAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  const id = args.id.toLowerCase();
  if (args.price <= 0n) throw new DecodeFailure(name, `${name}: price ${args.price} of feed ${id} is not a valid price (zero or negative): rejected`);
  const expo = numberOption(source, 'exponents', id);
  const decimals = expo === undefined ? undefined : -expo;
  const feed = registry.market(id);
  return {
    ...chainRowBase(PYTH, log, source),
    market: id,
    symbol: feed?.symbol ?? null,
    ...assetColumns(feed),
    price: decimals === undefined ? args.price.toString() : scaleDown(args.price, decimals),
    price_raw: args.price.toString(),
    decimals: decimals ?? null,
    round_id: null,
    time: secondsToDate(args.publishTime, name, 'publishTime'),
    block_time: blockTimeOf(log, name),
    flags: decimals === undefined ? ['unknown_exponent', 'raw_price'] : [],
    extra: toJson({
      conf: args.conf,
      ...(decimals === undefined ? {} : { confNormalized: scaleDown(args.conf, decimals), expo }),
    }),
  };
}
