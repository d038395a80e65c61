import type { Hex } from 'viem';
import { z } from 'zod';
import { emptyOutput } from '../../pipeline/decode.ts';
import type { Protocol } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';

const topic = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex topic')
  .transform((t) => t.toLowerCase() as Hex);
const topics = z.union([topic.transform((t) => [t]), z.array(topic)]);

const options = z.strictObject({
  /** Events to keep (topic0); empty or absent: every event of the addresses. */
  topic0: topics.optional(),
  /** Optional topic1 filter. */
  topic1: topics.optional(),
});

/**
 * Protocol `raw`: keeps a contract's logs in raw_logs and derives nothing. It is for collecting logs
 * before a decoder exists (`liqscope redecode` derives rows later, with no RPC).
 */
export const raw: Protocol = {
  id: 'raw',
  venue: 'raw',
  description: 'any contract: raw logs only, decoded later with `liqscope redecode`',
  options,
  evm: {
    logFilter(source) {
      const parsed = options.parse(source.options);
      return { topic0: parsed.topic0 ?? [], ...(parsed.topic1 ? { topic1: parsed.topic1 } : {}) };
    },
    decoder: {
      usesPending: false,
      async decode(_logs: readonly RawLog[]) {
        return emptyOutput();
      },
    },
  },
};
