import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { SYNTHETIX_V2, synthetixPerpsV2Decoder, synthetixPerpsV2LogFilter } from './decoder.ts';
import { SYNTHETIX_V2_MARKETS } from './markets.ts';
import { synthetixPerpsV2Subgraph } from './subgraph-futures-trades.ts';

/** Synthetix PerpsV2: PositionLiquidated from each market proxy (shared/formats.md §4), or the perps subgraph's liquidation FuturesTrades (§3). */
export const synthetixPerpsV2: Protocol = {
  id: SYNTHETIX_V2,
  venue: SYNTHETIX_V2,
  description: 'Synthetix PerpsV2 market proxies: liquidations',
  markets: SYNTHETIX_V2_MARKETS,
  options: z.strictObject({}),
  evm: { logFilter: synthetixPerpsV2LogFilter, decoder: synthetixPerpsV2Decoder },
  subgraph: synthetixPerpsV2Subgraph,
};
