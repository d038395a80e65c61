import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { GMX_V1, gmxV1Decoder, gmxV1LogFilter } from './decoder.ts';
import { GMX_V1_MARKETS } from './markets.ts';
import { GMX_V1_SUBGRAPH_ENTITIES, gmxV1Subgraph } from './subgraph-entities.ts';

/** GMX v1 (gmx-io/gmx-contracts): Vault and FastPriceEvents logs (shared/formats.md §2), or its stats subgraph (§3). */
export const gmxV1: Protocol = {
  id: GMX_V1,
  venue: GMX_V1,
  description: 'GMX v1 Vault and FastPriceEvents: liquidations, trades, position updates, fast prices; or its stats subgraph',
  markets: GMX_V1_MARKETS,
  options: z.strictObject({
    /** Subgraph sources only: the entities to read (default LiquidatedPosition; the price entities are per-second snapshots). */
    entities: z.array(z.enum(GMX_V1_SUBGRAPH_ENTITIES)).min(1).optional(),
  }),
  evm: {
    logFilter: (source) => {
      if (source.options.entities !== undefined) throw new Error('entities: an option of GMX v1 subgraph sources (kind "subgraph"), not of chain logs');
      return gmxV1LogFilter();
    },
    decoder: gmxV1Decoder,
  },
  subgraph: gmxV1Subgraph,
};
