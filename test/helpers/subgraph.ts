import type { Kysely } from 'kysely';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema, type LiqscopeConfig } from '../../src/config/schema.ts';
import type { Database } from '../../src/db/schema.ts';
import { indexConfig } from '../../src/indexer/index-config.ts';

/** Short retry waits for local servers. */
export const FAST_TUNING = { rpc: { backoffBaseMs: 5, backoffMaxMs: 20, timeoutMs: 5_000, budgetMs: 20_000 } };

/**
 * One local chain (anvil with the real chain id) read two ways: an EVM source of the protocol's
 * contracts and a subgraph source of the same protocol on the same chain (key `local`).
 */
export function chainAndSubgraphConfig(opts: {
  rpcUrl: string;
  chainId: number;
  protocol: string;
  addresses: string[];
  fromBlock: number;
  toBlock: number;
  subgraphUrl: string;
  subgraphOptions?: Record<string, unknown>;
}): LiqscopeConfig {
  return configSchema.parse({
    chains: { local: { chainId: opts.chainId, rpc: [opts.rpcUrl], finality: 0, requestsPerSecond: 1000, pollInterval: 0.2 } },
    sources: [
      { name: 'chain', protocol: opts.protocol, chain: 'local', addresses: opts.addresses, startBlock: opts.fromBlock, endBlock: opts.toBlock },
      { name: 'subgraph', kind: 'subgraph', protocol: opts.protocol, chain: 'local', url: opts.subgraphUrl, requestsPerMinute: 60_000, options: opts.subgraphOptions ?? {} },
    ],
  });
}

/** Runs the named sources one after the other, as two scheduled runs would. */
export async function indexInOrder(db: Kysely<Database>, config: LiqscopeConfig, names: string[]): Promise<void> {
  for (const name of names) await indexConfig(db, config, { protocols: PROTOCOLS, sources: [name], ...FAST_TUNING });
}

/** Which sources saw each row of `table` (the fact_sources view): the one whose row is stored, then the others. */
export async function seenBy(db: Kysely<Database>, table: string): Promise<Map<string, { stored: string; also: string[] }>> {
  const rows = await db.selectFrom('fact_sources').select(['uid', 'source_id', 'stored']).where('table_name', '=', table).orderBy('source_id').execute();
  const out = new Map<string, { stored: string; also: string[] }>();
  for (const r of rows) {
    const entry = out.get(r.uid) ?? { stored: '', also: [] };
    if (r.stored) entry.stored = r.source_id ?? '';
    else entry.also.push(r.source_id ?? '');
    out.set(r.uid, entry);
  }
  return out;
}
