import { configSchema, type LiqscopeConfig } from '../../src/config/schema.ts';
import type { Address, Hex } from 'viem';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { builtinRegistry } from '../../src/indexer/index-config.ts';
import { pendingReader } from '../../src/indexer/pending-joins.ts';
import { loadRegistry, syncRegistry } from '../../src/indexer/registry-store.ts';
import { evmChainName } from '../../src/pipeline/assets.ts';
import type { Decoder, DecodeOutput, JoinOp } from '../../src/pipeline/decode.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import type { SourceInfo } from '../../src/pipeline/source-info.ts';

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
  return { id: `test-${protocol}`, kind: 'evm', protocol, venue: protocol, chain: evmChainName(chainId), chainId, addresses: [], options };
}

/** Syncs every protocol's built-in markets and tokens (what `liqscope index` does before decoding). */
export async function syncBuiltins(db: Kysely<Database>, config: Parameters<typeof syncRegistry>[2] = {}): Promise<void> {
  await syncRegistry(db, builtinRegistry(PROTOCOLS), config);
}

/**
 * Runs a decoder the way the runner does: the registry as stored (sync it first) and the join halves
 * earlier batches committed, read through a transaction. Decoders are pure, so nothing is written;
 * `pendingJoins` are the halves this batch would leave waiting.
 */
export async function decodeWith(
  db: Kysely<Database>,
  decoder: Decoder<RawLog>,
  logs: RawLog[],
  source: SourceInfo,
): Promise<DecodeOutput & { pendingJoins: Extract<JoinOp, { op: 'put' }>[] }> {
  const registry = await loadRegistry(db, source.venue, source.chainId);
  const output = await db.transaction().execute((trx) => decoder.decode(logs, { source, registry, pending: pendingReader(trx, source.id) }));
  return { ...output, pendingJoins: output.joins.filter((j): j is Extract<JoinOp, { op: 'put' }> => j.op === 'put') };
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
