import type { Hex } from 'viem';
import { pythAbi } from '../../../abis/pyth.ts';
import { encodeLog } from '../shared/encode-log.ts';

/** Pyth `PriceFeedUpdate(bytes32 indexed id, uint64 publishTime, int64 price, uint64 conf)`. */
export function priceFeedUpdateLog(a: { id: Hex; publishTime: bigint; price: bigint; conf: bigint }) {
  return encodeLog(pythAbi, 'PriceFeedUpdate', a);
}
