import { decodeEventLog, toEventSelector, type Hex } from 'viem';
import { synthetixPerpsV3Abi } from '../../../abis/synthetix-perps.ts';
import type { DecodeContext, DecodedRows, EvmDecoder, LogFilter, RawLog, SourceInfo } from '../../indexer/decoder.ts';
import { emptyDecodedRows } from '../../indexer/decoder.ts';
import { Registry } from '../registry.ts';
import { abs, scaleDown } from '../shared/decimal.ts';
import { DecodeFailure, blockTimeOf, chainRowBase, decodeErrorRow, failureReason, toJson } from '../shared/rows.ts';

/**
 * Synthetix v3 perps decoder (shared/formats.md §4), emitted by the PerpsMarketProxy:
 * PositionLiquidated(accountId, marketId, amountLiquidated, currentPositionSize) → liquidations
 * (account = account id, market = market id, 18 decimals); AccountLiquidationAttempt and its pre-2023-12
 * name AccountLiquidated → venue_events 'account_liquidation' (the keeper reward).
 * The event has no side: it is taken from the sign of the remaining position; a full liquidation
 * (remaining 0) is flagged `side_unknown` and stored as 'long' — UNVERIFIED, see the flag.
 */
export const SYNTHETIX_V3 = 'synthetix-perps-v3';
const D = 18;
const TOPICS = new Map(
  synthetixPerpsV3Abi
    .filter((e) => e.name !== 'AccountFlaggedForLiquidation')
    .map((e) => [toEventSelector(e).toLowerCase(), e.name] as const),
);

export const synthetixPerpsV3Decoder: EvmDecoder = {
  protocol: SYNTHETIX_V3,
  logFilter(): LogFilter {
    return { topic0: [...TOPICS.keys()] as Hex[] };
  },
  async decode(logs: readonly RawLog[], ctx: DecodeContext): Promise<DecodedRows> {
    const out = emptyDecodedRows();
    if (logs.length === 0) return out;
    const registry = await Registry.load(ctx.trx, SYNTHETIX_V3, logs[0]!.chainId);
    for (const log of logs) {
      const name = TOPICS.get(log.topics[0]?.toLowerCase() ?? '') ?? null;
      try {
        if (!name) throw new DecodeFailure(null, `unknown topic0 ${log.topics[0] ?? '(none)'}: not a v3 perps liquidation event`);
        decodeOne(log, ctx.source, registry, out);
      } catch (error) {
        const { event, reason } = failureReason(error, name);
        out.decodeErrors.push(decodeErrorRow(SYNTHETIX_V3, log, ctx.source, event, reason));
      }
    }
    return out;
  },
};

function decodeOne(log: RawLog, source: SourceInfo, registry: Registry, out: DecodedRows): void {
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
      account: accountId.toString(),
      liquidator: null,
      side: currentPositionSize < 0n ? 'short' : 'long',
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
      data: toJson({ accountId, reward, fullLiquidation, event: decoded.eventName }),
    });
    return;
  }
  throw new DecodeFailure(decoded.eventName, `${decoded.eventName}: not handled`);
}
