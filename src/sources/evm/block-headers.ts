import pLimit from 'p-limit';
import { numberToHex } from 'viem';
import type { EvmRpcClient } from './rpc-client.ts';
import { MalformedResponseError } from './rpc-errors.ts';
import { parseHeader, type BlockHeader } from './rpc-types.ts';

/** Headers per JSON-RPC batch: small enough for every provider's batch limit. */
const BATCH_SIZE = 50;
/** Batches in flight per call; the endpoint's rate limiter still paces them. */
const PARALLEL_BATCHES = 4;

/**
 * Fetches headers by number with batched eth_getBlockByNumber (no transactions). A missing block comes
 * back as null (the chain is shorter than asked, e.g. right after a reorg).
 */
export async function getHeaders(client: EvmRpcClient, numbers: Iterable<bigint>): Promise<Map<bigint, BlockHeader | null>> {
  const unique = [...new Set(numbers)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const batches: bigint[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_SIZE) batches.push(unique.slice(i, i + BATCH_SIZE));
  const result = new Map<bigint, BlockHeader | null>();
  const limit = pLimit(PARALLEL_BATCHES);
  await Promise.all(
    batches.map((batch) => limit(async () => {
      const headers = await client.batch(
        batch.map((n) => ({ method: 'eth_getBlockByNumber', params: [numberToHex(n), false] })),
        (value, i) => {
          const header = parseHeader(value);
          if (header && header.number !== batch[i]) {
            throw new MalformedResponseError(`eth_getBlockByNumber(${batch[i]}) returned block ${header.number}`);
          }
          return header;
        },
      );
      batch.forEach((n, i) => result.set(n, headers[i] ?? null));
    })),
  );
  return result;
}

export async function getHeaderByTag(client: EvmRpcClient, tag: 'latest' | 'finalized' | 'safe'): Promise<BlockHeader | null> {
  return client.request({ method: 'eth_getBlockByNumber', params: [tag, false] }, parseHeader);
}

/**
 * The highest block the indexer may treat as final: the chain's `finalized` tag, or `latest - depth`.
 * Falls back to depth 64 when a node does not know the `finalized` tag (pre-merge style chains).
 */
export async function getSafeHead(client: EvmRpcClient, finality: 'finalized' | number): Promise<bigint> {
  if (finality === 'finalized') {
    try {
      const header = await getHeaderByTag(client, 'finalized');
      if (header) return header.number;
    } catch (error) {
      if (!/finalized|invalid|unknown|not supported|not found/i.test((error as Error).message)) throw error;
    }
    finality = 64;
  }
  const latest = await getHeaderByTag(client, 'latest');
  if (!latest) throw new MalformedResponseError('eth_getBlockByNumber(latest) returned null');
  const safe = latest.number - BigInt(finality);
  return safe < 0n ? -1n : safe;
}
