import { decodeEventLog, toEventSelector, type Abi, type Hex } from 'viem';
import { synthetixPerpsV2Abi, synthetixPerpsV2LegacyAbi } from '../../../abis/synthetix-perps.ts';
import { emptyOutput, type Decoder, type DecodedRows, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { abs, mulScaled, scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, assetColumns, blockTimeOf, chainRowBase, decodeLogs, toJson } from '../shared/rows.ts';

/**
 * Synthetix PerpsV2 decoder (shared/formats.md §4): PositionLiquidated, both versions (8 arguments with
 * flagger/liquidator/stakers fees since 2023-04; 6 with one fee before), emitted by each market's proxy
 * → liquidations. The market is the emitting proxy; sizes are signed (positive = long), 18 decimals.
 */
export const SYNTHETIX_V2 = 'synthetix-perps-v2';
const D = 18;

const CURRENT = synthetixPerpsV2Abi.find((e) => e.name === 'PositionLiquidated')!;
const LEGACY = synthetixPerpsV2LegacyAbi[0];
const TOPICS = new Map<string, { abi: Abi; legacy: boolean }>([
  [toEventSelector(CURRENT).toLowerCase(), { abi: [CURRENT], legacy: false }],
  [toEventSelector(LEGACY).toLowerCase(), { abi: [LEGACY], legacy: true }],
]);

export function synthetixPerpsV2LogFilter(): LogFilter {
  return { topic0: [...TOPICS.keys()] as Hex[] };
}

export const synthetixPerpsV2Decoder: Decoder<RawLog> = {
  // Every log decodes on its own: no join across batches.
  usesPending: false,
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const specOf = (log: RawLog) => TOPICS.get(log.topics[0]?.toLowerCase() ?? '');
    decodeLogs(SYNTHETIX_V2, logs, ctx.source, out, (log) => (specOf(log) ? 'PositionLiquidated' : null), (log) => {
      const spec = specOf(log);
      if (!spec) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not a PerpsV2 PositionLiquidated`);
      decodeOne(spec.abi, spec.legacy, log, ctx.source, ctx.registry, out);
    });
    return out;
  },
};

function decodeOne(abi: Abi, legacy: boolean, log: RawLog, source: SourceInfo, registry: RegistryView, out: DecodedRows): void {
  const { args } = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  const a = args as unknown as Record<string, bigint | string>;
  const size = a.size as bigint;
  const price = a.price as bigint;
  if (size === 0n) throw new DecodeFailure('PositionLiquidated', 'PositionLiquidated: size 0 (no side): rejected');
  const fees = legacy
    ? { fee: a.fee as bigint }
    : { flaggerFee: a.flaggerFee as bigint, liquidatorFee: a.liquidatorFee as bigint, stakersFee: a.stakersFee as bigint };
  const totalFee = Object.values(fees).reduce((x, y) => x + y, 0n);
  const market = log.address.toLowerCase();
  const info = registry.market(market);
  out.liquidations.push({
    ...chainRowBase(SYNTHETIX_V2, log, source),
    market,
    symbol: info?.symbol ?? null,
    ...assetColumns(info),
    account: (a.account as string).toLowerCase(),
    liquidator: (a.liquidator as string).toLowerCase(),
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
    fee_usd: scaleDown(totalFee, D),
    bad_debt_usd: null,
    time: blockTimeOf(log, 'PositionLiquidated'),
    flags: info ? [] : ['unknown_market'],
    extra: toJson({ positionId: a.id, sizeSigned: size, version: legacy ? 'legacy' : 'current', ...fees }),
  });
}
