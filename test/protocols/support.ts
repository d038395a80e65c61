import { configSchema, type LiqscopeConfig } from '../../src/config/schema.ts';
import type { Address, Hex } from 'viem';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import type { DecodedRows, EvmDecoder, RawLog, SourceInfo } from '../../src/indexer/decoder.ts';

/** Builds RawLogs the way the indexer hands them to a decoder (lower-case hex, increasing log index). */
export function rawLogs(
  logs: { address: Address; topics: Hex[]; data: Hex }[],
  opts: { chainId: number; blockNumber?: bigint; blockTime?: Date; txHash?: Hex },
): RawLog[] {
  return logs.map((log, i) => ({
    chainId: opts.chainId,
    blockNumber: opts.blockNumber ?? 1000n,
    blockHash: `0x${'b'.repeat(64)}`,
    blockTime: opts.blockTime ?? new Date('2025-10-10T21:15:03Z'),
    txHash: opts.txHash ?? `0x${'a'.repeat(64)}`,
    txIndex: 0,
    logIndex: i,
    address: log.address.toLowerCase() as Address,
    topics: log.topics.map((t) => t.toLowerCase() as Hex),
    data: log.data,
  }));
}

export function sourceInfo(protocol: string, chainId: number, options: Record<string, unknown> = {}): SourceInfo {
  return { id: `test-${protocol}`, protocol, venue: protocol, chainId, addresses: [], options };
}

class Rollback extends Error {
  constructor(readonly rows: DecodedRows, readonly pending: unknown[]) {
    super('rollback');
  }
}

/**
 * Runs a decoder in a transaction of `db` (joins use it), the way the indexer does, and rolls the
 * transaction back so tests sharing a database never see each other's pending joins. Returns the rows
 * and what `pending_joins` held at the end of the transaction.
 */
export async function decodeWith(
  db: Kysely<Database>,
  decoder: EvmDecoder,
  logs: RawLog[],
  source: SourceInfo,
): Promise<DecodedRows & { pendingJoins: unknown[] }> {
  try {
    await db.transaction().execute(async (trx) => {
      const rows = await decoder.decode(logs, { source, trx });
      throw new Rollback(rows, await trx.selectFrom('pending_joins').selectAll().execute());
    });
  } catch (error) {
    if (error instanceof Rollback) return { ...error.rows, pendingJoins: error.pending };
    throw error;
  }
  throw new Error('unreachable');
}

export function parseExtra(extra: unknown): Record<string, unknown> {
  return typeof extra === 'string' ? (JSON.parse(extra) as Record<string, unknown>) : (extra as Record<string, unknown>);
}


/** A config for one local chain (anvil with the real chain id) and the given sources. */
export function localConfig(
  rpcUrl: string,
  chainId: number,
  sources: { name: string; protocol: string; addresses: string[]; startBlock: number; endBlock?: number; options?: Record<string, unknown> }[],
  opts: { maxBlockRange?: number } = {},
): LiqscopeConfig {
  return configSchema.parse({
    chains: { local: { chainId, rpc: [rpcUrl], finality: 0, maxBlockRange: opts.maxBlockRange ?? 10_000, requestsPerSecond: 1000, pollInterval: 0.2 } },
    sources: sources.map((s) => ({ ...s, chain: 'local' })),
  });
}

/** NUMERIC as read back (Postgres keeps the scale, e.g. "3460.22000000"): the canonical decimal string. */
export function norm(value: string | null): string | null {
  if (value === null || !value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}
