import { decodeEventLog, toEventSelector, type Hex } from 'viem';
import { pythAbi } from '../../../abis/pyth.ts';
import type { DecodeContext, DecodedRows, EvmDecoder, LogFilter, RawLog, SourceInfo } from '../../indexer/decoder.ts';
import { emptyDecodedRows } from '../../indexer/decoder.ts';
import type { NewOraclePrice } from '../../db/schema.ts';
import { Registry } from '../registry.ts';
import { scaleDown } from '../shared/decimal.ts';
import { numberOption } from '../shared/options.ts';
import { DecodeFailure, blockTimeOf, chainRowBase, decodeErrorRow, failureReason, secondsToDate, toJson } from '../shared/rows.ts';

/**
 * Pyth decoder (shared/formats.md §5): PriceFeedUpdate(id, publishTime, price, conf) → oracle_prices.
 * The exponent is not in the event: it comes from the source option `exponents: { "<priceId>": -8 }`.
 * Without it the price is stored raw and flagged `unknown_exponent`. A zero or negative price is rejected.
 */
export const PYTH = 'pyth';
const PRICE_FEED_UPDATE = toEventSelector(pythAbi[0]).toLowerCase();

export const pythDecoder: EvmDecoder = {
  protocol: PYTH,

  logFilter(source: SourceInfo): LogFilter {
    const ids = source.options.priceIds;
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && /^0x[0-9a-fA-F]{64}$/.test(id)))) {
      throw new Error(`source ${source.id}: option "priceIds" must be a list of 32-byte hex price ids`);
    }
    return { topic0: [PRICE_FEED_UPDATE as Hex], ...(ids ? { topic1: (ids as string[]).map((id) => id.toLowerCase() as Hex) } : {}) };
  },

  async decode(logs: readonly RawLog[], ctx: DecodeContext): Promise<DecodedRows> {
    const out = emptyDecodedRows();
    if (logs.length === 0) return out;
    const registry = await Registry.load(ctx.trx, PYTH, logs[0]!.chainId);
    for (const log of logs) {
      const known = log.topics[0]?.toLowerCase() === PRICE_FEED_UPDATE;
      try {
        if (!known) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not PriceFeedUpdate`);
        out.oraclePrices.push(decodeOne(log, ctx.source, registry));
      } catch (error) {
        const { event, reason } = failureReason(error, known ? 'PriceFeedUpdate' : null);
        out.decodeErrors.push(decodeErrorRow(PYTH, log, ctx.source, event, reason));
      }
    }
    return out;
  },
};

function decodeOne(log: RawLog, source: SourceInfo, registry: Registry): NewOraclePrice {
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
