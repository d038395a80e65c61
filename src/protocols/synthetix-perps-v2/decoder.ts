import { decodeEventLog, toEventSelector, type Abi, type Hex } from 'viem';
import { synthetixPerpsV2Abi, synthetixPerpsV2LegacyAbi } from '../../../abis/synthetix-perps.ts';
import type { DecodeContext, DecodedRows, EvmDecoder, LogFilter, RawLog, SourceInfo } from '../../indexer/decoder.ts';
import { emptyDecodedRows } from '../../indexer/decoder.ts';
import { Registry } from '../registry.ts';
import { abs, mulScaled, scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, blockTimeOf, chainRowBase, decodeErrorRow, failureReason, toJson } from '../shared/rows.ts';

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

export const synthetixPerpsV2Decoder: EvmDecoder = {
  protocol: SYNTHETIX_V2,
  logFilter(): LogFilter {
    return { topic0: [...TOPICS.keys()] as Hex[] };
  },
  async decode(logs: readonly RawLog[], ctx: DecodeContext): Promise<DecodedRows> {
    const out = emptyDecodedRows();
    if (logs.length === 0) return out;
    const registry = await Registry.load(ctx.trx, SYNTHETIX_V2, logs[0]!.chainId);
    for (const log of logs) {
      const spec = TOPICS.get(log.topics[0]?.toLowerCase() ?? '');
      try {
        if (!spec) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not a PerpsV2 PositionLiquidated`);
        decodeOne(spec.abi, spec.legacy, log, ctx.source, registry, out);
      } catch (error) {
        const { event, reason } = failureReason(error, spec ? 'PositionLiquidated' : null);
        out.decodeErrors.push(decodeErrorRow(SYNTHETIX_V2, log, ctx.source, event, reason));
      }
    }
    return out;
  },
};

function decodeOne(abi: Abi, legacy: boolean, log: RawLog, source: SourceInfo, registry: Registry, out: DecodedRows): void {
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
