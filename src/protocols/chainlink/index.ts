import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { CHAINLINK, chainlinkDecoder, chainlinkLogFilter } from './decoder.ts';
import { CHAINLINK_FEEDS, CHAINLINK_UPDATE_RULES } from './feeds.ts';

const decimals = z.number().int().min(0).max(36);

/** Chainlink aggregators: AnswerUpdated (and OCR2 NewTransmission when asked for), shared/formats.md §5. */
export const chainlink: Protocol = {
  id: CHAINLINK,
  venue: CHAINLINK,
  description: 'Chainlink aggregators: oracle rounds',
  markets: CHAINLINK_FEEDS,
  options: z.strictObject({
    /** Feed decimals: one number for every address of the source, or per aggregator address. */
    decimals: z.union([decimals, z.record(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be an aggregator address'), decimals)]).optional(),
    /** Events to fetch; an OCR2 aggregator emits both for every round, so fetching both stores each round twice. */
    events: z.array(z.enum(['AnswerUpdated', 'NewTransmission'])).min(1).optional(),
  }),
  evm: { logFilter: chainlinkLogFilter, decoder: chainlinkDecoder },
  feedRules: CHAINLINK_UPDATE_RULES,
};
