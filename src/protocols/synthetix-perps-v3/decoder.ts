import { decodeEventLog, toEventSelector, type Hex } from 'viem';
import { synthetixPerpsV3Abi } from '../../../abis/synthetix-perps.ts';
import { emptyOutput, type Decoder, type DecodedRows, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { RegistryView } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { abs, scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, assetColumns, blockTimeOf, chainRowBase, decodeLogs, toJson } from '../shared/rows.ts';

/**
 * Synthetix v3 perps decoder (shared/formats.md §4), emitted by the PerpsMarketProxy:
 * PositionLiquidated(accountId, marketId, amountLiquidated, currentPositionSize) → liquidations
 * (account = account id, market = market id, 18 decimals); AccountLiquidationAttempt and its pre-2023-12
 * name AccountLiquidated → venue_events 'account_liquidation' (the keeper reward).
 * The event has no side: it is taken from the sign of the remaining position; a full liquidation
 * (remaining 0) has side NULL and the flag `side_unknown` rather than a made-up side.
 */
export const SYNTHETIX_V3 = 'synthetix-perps-v3';
const D = 18;
const TOPICS = new Map(
  synthetixPerpsV3Abi
    .filter((e) => e.name !== 'AccountFlaggedForLiquidation')
    .map((e) => [toEventSelector(e).toLowerCase(), e.name] as const),
);

export function synthetixPerpsV3LogFilter(): LogFilter {
  return { topic0: [...TOPICS.keys()] as Hex[] };
}

export const synthetixPerpsV3Decoder: Decoder<RawLog> = {
  // Every log decodes on its own: no join across batches.
  usesPending: false,
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const nameOf = (log: RawLog) => TOPICS.get(log.topics[0]?.toLowerCase() ?? '') ?? null;
    decodeLogs(SYNTHETIX_V3, logs, ctx.source, out, nameOf, (log) => {
      if (!nameOf(log)) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not a v3 perps liquidation event`);
      decodeOne(log, ctx.source, ctx.registry, out);
    });
    return out;
  },
};

function decodeOne(log: RawLog, source: SourceInfo, registry: RegistryView, out: DecodedRows): void {
  const decoded = decodeEventLog({ abi: synthetixPerpsV3Abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  const base = chainRowBase(SYNTHETIX_V3, log, source);
  const time = blockTimeOf(log, decoded.eventName);
  if (decoded.eventName === 'PositionLiquidated') {
    const { accountId, marketId, amountLiquidated, currentPositionSize } = decoded.args;
    const market = marketId.toString();
    const info = registry.market(market);
    const flags = info ? [] : ['unknown_market'];
    if (currentPositionSize === 0n) flags.push('side_unknown');
    out.liquidations.push({
      ...base,
      market,
      symbol: info?.symbol ?? null,
      ...assetColumns(info),
      account: accountId.toString(),
      liquidator: null,
      side: currentPositionSize === 0n ? null : currentPositionSize < 0n ? 'short' : 'long',
      size: scaleDown(amountLiquidated, D),
      size_raw: amountLiquidated.toString(),
      size_usd: null,
      price: null,
      price_raw: null,
      mark_price: null,
      oracle_price: null,
      collateral_token: null,
      collateral_amount: null,
      collateral_usd: null,
      pnl_usd: null,
      fee_usd: null,
      bad_debt_usd: null,
      time,
      flags,
      extra: toJson({ currentPositionSize, currentPositionSizeNormalized: scaleDown(currentPositionSize, D), remainingAbs: abs(currentPositionSize) }),
    });
    return;
  }
  if (decoded.eventName === 'AccountLiquidationAttempt' || decoded.eventName === 'AccountLiquidated') {
    const { accountId, reward, fullLiquidation } = decoded.args;
    out.venueEvents.push({
      ...base,
      market: null,
      kind: 'account_liquidation',
      value: scaleDown(reward, D),
      time,
      extra: toJson({ accountId, reward, fullLiquidation, event: decoded.eventName }),
    });
    return;
  }
  throw new DecodeFailure(decoded.eventName, `${decoded.eventName}: not handled`);
}
