import type { Kysely, Transaction } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import type { Registry } from '../pipeline/registry.ts';
import { readRawLogs } from '../sources/evm/raw-log-store.ts';
import { applyDecodeOutput } from './apply-output.ts';
import { builtinRegistry, upsertSource } from './index-config.ts';
import { pendingReader } from './pending-joins.ts';
import { planSources, type SourcePlan } from './plan-sources.ts';
import { loadRegistry, syncRegistry } from './registry-store.ts';
import { deleteFrom } from './runner.ts';
import { ConfigError } from '../config/load.ts';

export interface RedecodeSummary {
  sourceId: string;
  logs: number;
  rows: number;
}

/** Raw logs read per decoder call. */
const CHUNK = 5_000;

/**
 * Re-derives sources' rows from their stored raw material with no RPC (after a decoder fix), one
 * transaction per source. Only chain sources keep raw material.
 */
export async function redecode(
  db: Kysely<Database>,
  config: LiqscopeConfig,
  opts: { protocols: readonly Protocol[]; origin?: string; sources?: string[]; onChunk?: (sourceId: string, logs: number) => void },
): Promise<RedecodeSummary[]> {
  const plans = planSources(config, opts.protocols, { ...(opts.origin ? { origin: opts.origin } : {}), ...(opts.sources ? { sources: opts.sources } : {}) });
  for (const plan of plans) {
    if (plan.info.kind !== 'evm') throw new ConfigError(`source ${plan.info.id}: ${plan.info.kind} sources keep no raw material to redecode; import them again instead`);
  }
  await syncRegistry(db, builtinRegistry(opts.protocols), config);
  const summaries: RedecodeSummary[] = [];
  for (const plan of plans) {
    await upsertSource(db, plan);
    const registry = await loadRegistry(db, plan.info.venue, plan.info.chainId);
    summaries.push(await db.transaction().execute((trx) => redecodeSource(trx, plan, registry, opts.onChunk)));
  }
  return summaries;
}

/**
 * Re-derives one source's rows from its raw_logs inside `trx` (the caller's transaction): deletes its
 * rows, decode errors and pending joins, then decodes every raw log in (block_number, log_index) order,
 * chunk by chunk (keyset pagination keeps memory flat), writing through the same path as indexing.
 * `liqscope verify --repair` runs it in the transaction that fixed the raw logs, so that the facts never
 * disagree with them.
 */
export async function redecodeSource(
  trx: Transaction<Database>,
  plan: Pick<SourcePlan, 'info' | 'decoder'>,
  registry: Registry,
  onChunk?: (sourceId: string, logs: number) => void,
): Promise<RedecodeSummary> {
  const { info, decoder } = plan;
  await deleteFrom(trx, info.id, null);
  let after: { block: string; index: number } | null = null;
  let logs = 0;
  let rows = 0;
  for (;;) {
    const page = await readRawLogs(trx, info.id, { after, limit: CHUNK });
    if (page.length === 0) break;
    const output = await decoder.decode(page, { source: info, registry, pending: pendingReader(trx, info.id) });
    rows += await applyDecodeOutput(trx, info, output);
    logs += page.length;
    onChunk?.(info.id, logs);
    const last = page[page.length - 1]!;
    after = { block: last.blockNumber.toString(), index: last.logIndex };
  }
  return { sourceId: info.id, logs, rows };
}
