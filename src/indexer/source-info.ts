import type { Address } from 'viem';
import type { Kysely } from 'kysely';
import type { EvmSourceConfig, LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { SourceInfo } from './decoder.ts';

/** The decoder's view of a configured source. `venue` defaults to the protocol name unless options say. */
export function sourceInfo(source: EvmSourceConfig, config: LiqscopeConfig): SourceInfo {
  const chain = config.chains[source.chain];
  if (!chain) throw new Error(`source "${source.name}": chain "${source.chain}" is not in the config's chains`);
  const venue = typeof source.options.venue === 'string' ? source.options.venue : source.protocol;
  return {
    id: source.name,
    protocol: source.protocol,
    venue,
    chainId: chain.chainId,
    addresses: source.addresses.map((a) => a.toLowerCase() as Address),
    options: source.options,
  };
}

/** Creates or refreshes the `sources` row (other tables reference it). */
export async function upsertSource(db: Kysely<Database>, source: EvmSourceConfig, info: SourceInfo): Promise<void> {
  const config = JSON.stringify({ chain: source.chain, endBlock: source.endBlock ?? null, options: source.options });
  await db
    .insertInto('sources')
    .values({
      id: info.id,
      kind: 'evm',
      protocol: info.protocol,
      venue: info.venue,
      chain_id: info.chainId,
      addresses: info.addresses,
      start_block: source.startBlock,
      config,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        protocol: info.protocol,
        venue: info.venue,
        chain_id: info.chainId,
        addresses: info.addresses,
        start_block: source.startBlock,
        config,
        updated_at: new Date(),
      }),
    )
    .execute();
}
