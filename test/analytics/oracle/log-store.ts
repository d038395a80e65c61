import type { Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { Database } from '../../../src/db/schema.ts';
import { builtinRegistry, upsertSource } from '../../../src/indexer/index-config.ts';
import { planSources } from '../../../src/indexer/plan-sources.ts';
import { loadRegistry, syncRegistry } from '../../../src/indexer/registry-store.ts';
import { runSource } from '../../../src/indexer/runner.ts';
import type { RawLog } from '../../../src/pipeline/records.ts';
import type { CursorRow, PullEnd, Source, SourceItem } from '../../../src/pipeline/source.ts';
import type { SourceInfo } from '../../../src/pipeline/source-info.ts';

/**
 * Hand-built chain logs (encoded in the real formats by the protocols' encoders) through the real runner
 * and decoders into the store, without a chain: one block per entry, at its time, on Arbitrum. The rows
 * are what `liqscope index` stores from the same logs on a chain (the protocols' e2e tests on anvil).
 */
export interface LogBlock {
  time: Date;
  logs: { address: Address; topics: Hex[]; data: Hex }[];
}

const ARBITRUM = 42161;

export async function storeLogs(db: Kysely<Database>, sources: { name: string; protocol: string; addresses: Address[] }[], blocks: readonly LogBlock[]): Promise<void> {
  const config = configSchema.parse({
    chains: { arbitrum: { chainId: ARBITRUM, rpc: ['http://127.0.0.1:9/unused'], finality: 0 } },
    sources: sources.map((s) => ({ ...s, chain: 'arbitrum', startBlock: 0 })),
  });
  await syncRegistry(db, builtinRegistry(PROTOCOLS), config);
  for (const plan of planSources(config, PROTOCOLS)) {
    await upsertSource(db, plan);
    const registry = await loadRegistry(db, plan.info.venue, plan.info.chainId);
    await runSource({ db, source: new BlocksSource(plan.info, blocks), decoder: plan.decoder, registry, follow: false, pollIntervalMs: 0 });
  }
}

const hex32 = (n: number, tag: string): Hex => `0x${tag}${n.toString(16).padStart(64 - tag.length, '0')}` as Hex;

/** The blocks as one batch of RawLogs of the source's addresses. */
class BlocksSource implements Source<RawLog> {
  readonly reorgable = false;
  constructor(
    readonly info: SourceInfo,
    private readonly blocks: readonly LogBlock[],
  ) {}

  async *pull(options: { cursors: ReadonlyMap<string, CursorRow> }): AsyncGenerator<SourceItem<RawLog>, PullEnd, undefined> {
    const target = BigInt(this.blocks.length);
    const progress = { unit: 'blocks', start: 0n, position: target, target };
    if (options.cursors.get('logs')) return { state: 'finished', progress };
    const addresses = new Set(this.info.addresses.map((a) => a.toLowerCase()));
    const records: RawLog[] = [];
    this.blocks.forEach((block, b) => {
      block.logs.forEach((log, i) => {
        if (!addresses.has(log.address.toLowerCase())) return;
        records.push({
          chainId: ARBITRUM,
          blockNumber: BigInt(b + 1),
          blockHash: hex32(b + 1, 'b'),
          blockTime: block.time,
          txHash: hex32(b + 1, 'a'),
          txIndex: 0,
          logIndex: i,
          address: log.address.toLowerCase() as Address,
          topics: log.topics.map((t) => t.toLowerCase() as Hex),
          data: log.data.toLowerCase() as Hex,
        });
      });
    });
    yield { type: 'batch', records, cursors: [{ stream: 'logs', position: String(this.blocks.length), blockNumber: target }], label: 'hand-built blocks', progress };
    return { state: 'finished', progress };
  }

  position() {
    const target = BigInt(this.blocks.length);
    return { unit: 'blocks', start: 0n, position: target, target };
  }

  stats() {
    return { requests: 0, retries: 0, rewinds: 0 };
  }
}
