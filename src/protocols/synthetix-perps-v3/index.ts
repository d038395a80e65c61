import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { SYNTHETIX_V3, synthetixPerpsV3Decoder, synthetixPerpsV3LogFilter } from './decoder.ts';

/** Synthetix v3 perps: the PerpsMarketProxy's liquidation events (shared/formats.md §4). */
export const synthetixPerpsV3: Protocol = {
  id: SYNTHETIX_V3,
  venue: SYNTHETIX_V3,
  description: 'Synthetix v3 PerpsMarketProxy: liquidations, account liquidation attempts',
  options: z.strictObject({}),
  evm: { logFilter: synthetixPerpsV3LogFilter, decoder: synthetixPerpsV3Decoder },
};
