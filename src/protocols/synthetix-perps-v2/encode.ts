import type { Address } from 'viem';
import { synthetixPerpsV2Abi, synthetixPerpsV2LegacyAbi } from '../../../abis/synthetix-perps.ts';
import { encodeLog } from '../shared/encode-log.ts';

/** PerpsV2 PositionLiquidated as emitted by a market proxy; `fee` → the pre-2023-04 six-argument version. */
export function positionLiquidatedV2Log(
  a: { id: bigint; account: Address; liquidator: Address; size: bigint; price: bigint } & (
    | { flaggerFee: bigint; liquidatorFee: bigint; stakersFee: bigint }
    | { fee: bigint }
  ),
) {
  return 'fee' in a ? encodeLog(synthetixPerpsV2LegacyAbi, 'PositionLiquidated', a) : encodeLog(synthetixPerpsV2Abi, 'PositionLiquidated', a);
}
