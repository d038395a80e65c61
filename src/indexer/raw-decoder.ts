import type { Hex } from 'viem';
import { emptyDecodedRows, type EvmDecoder, type SourceInfo } from './decoder.ts';

const TOPIC = /^0x[0-9a-fA-F]{64}$/;

function topicList(source: SourceInfo, key: 'topic0' | 'topic1'): Hex[] | undefined {
  const value = source.options[key];
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  for (const topic of list) {
    if (typeof topic !== 'string' || !TOPIC.test(topic)) {
      throw new Error(`source "${source.id}": options.${key} must be 32-byte hex topics, got ${JSON.stringify(topic)}`);
    }
  }
  return (list as string[]).map((t) => t.toLowerCase() as Hex);
}

/**
 * Protocol `raw`: keeps a contract's logs in raw_logs and derives nothing. It knows no protocol; it is
 * for collecting logs before a decoder exists (`liqscope redecode` derives rows later without RPC).
 * Filters come from the source's options: `topic0` (list, empty = every event) and optional `topic1`.
 */
export const rawDecoder: EvmDecoder = {
  protocol: 'raw',
  logFilter(source) {
    const topic1 = topicList(source, 'topic1');
    return { topic0: topicList(source, 'topic0') ?? [], ...(topic1 ? { topic1 } : {}) };
  },
  async decode() {
    return emptyDecodedRows();
  },
};
