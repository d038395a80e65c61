import { synthetixPerpsV3Abi } from '../../../abis/synthetix-perps.ts';
import { encodeLog } from '../shared/encode-log.ts';

/** Synthetix v3 perps liquidation events as the PerpsMarketProxy emits them. */
export function positionLiquidatedV3Log(a: { accountId: bigint; marketId: bigint; amountLiquidated: bigint; currentPositionSize: bigint }) {
  return encodeLog(synthetixPerpsV3Abi, 'PositionLiquidated', a);
}

export function accountLiquidationAttemptLog(a: { accountId: bigint; reward: bigint; fullLiquidation: boolean }, legacyName = false) {
  return encodeLog(synthetixPerpsV3Abi, legacyName ? 'AccountLiquidated' : 'AccountLiquidationAttempt', a);
}
