import { setMaxListeners } from 'node:events';
import type { Kysely } from 'kysely';
import type { LiqscopeConfig, SourceConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { storeKind } from '../db/store-kind.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import { buildSource, preflight, type SourceTuning } from './build-source.ts';
import { planSources, type SourcePlan } from './plan-sources.ts';
import { loadRegistry, syncRegistry } from './registry-store.ts';
import { runSource, type SourceProgress, type SourceSummary } from './runner.ts';
import { acquireSourceLock, type SourceLock } from './source-lock.ts';

export type { SourceProgress, SourceSummary } from './runner.ts';
export { SourceLockedError } from './source-lock.ts';
export { UnknownSourceError } from './plan-sources.ts';

export interface IndexSummary {
  sources: SourceSummary[];
}

export interface IndexConfigOptions extends SourceTuning {
  /** The protocols the configuration's sources may name (the composition root's list). */
  protocols: readonly Protocol[];
  /** Only these sources (by name); all configured sources by default. */
  sources?: string[];
  /** Where the config came from (its file), for error messages. */
  origin?: string;
  /** Keep polling after catching up until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SourceProgress) => void;
  /** Each source's summary when its run ends, successfully or not (runner.ts). */
  onSummary?: (summary: SourceSummary) => void;
  /** Which database kind `db` is, for the per-source advisory lock (default: detected). */
  dbKind?: 'postgres' | 'pglite';
}

/**
 * Indexes the configured sources, of every kind: resolves and checks them against the protocols (a bad
 * source is an error naming its field, before anything is written), runs each kind's preflight (EVM:
 * every endpoint serves the configured chain), syncs the registry, upserts each into `sources`, takes
 * its lock (SourceLockedError if another process holds it), then runs them all until each is caught
 * up — or, with `follow`, until the signal aborts, finishing the batches in flight. One source failing
 * stops the others.
 *
 * @example
 * const summary = await indexConfig(db, config, { protocols: PROTOCOLS });
 */
export async function indexConfig(db: Kysely<Database>, config: LiqscopeConfig, opts: IndexConfigOptions): Promise<IndexSummary> {
  const plans = planSources(config, opts.protocols, { ...(opts.origin ? { origin: opts.origin } : {}), ...(opts.sources ? { sources: opts.sources } : {}) });
  const kind = opts.dbKind ?? storeKind(db);
  await preflight(plans, config, opts);
  // Markets and tokens (built-in and from the config) must be in the store before decoders read them,
  // or a market the config adds would still be flagged unknown.
  await syncRegistry(db, builtinRegistry(opts.protocols), config);
  const controller = new AbortController();
  // Every request, retry wait and sleep of every source listens to this one signal: 2 sources × 4
  // requests in flight passed Node's default of 10 listeners and printed a false leak warning.
  setMaxListeners(Math.max(10, plans.length * 32), controller.signal);
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) controller.abort(opts.signal.reason);
  const locks: SourceLock[] = [];
  try {
    for (const plan of plans) {
      await upsertSource(db, plan);
      locks.push(await acquireSourceLock(db, kind, plan.info.id));
    }
    const runs = plans.map(async (plan, i) => {
      // Through the lock's guard: once the lock's session is lost, the run's next query fails.
      const guarded = locks[i]!.guard(db);
      const registry = await loadRegistry(guarded, plan.info.venue, plan.info.chainId);
      return runSource({
        db: guarded,
        source: buildSource(plan, config, { db: guarded, signal: controller.signal, registry, ...opts }),
        decoder: plan.decoder,
        registry,
        follow: opts.follow ?? false,
        pollIntervalMs: pollIntervalMs(plan, config),
        signal: controller.signal,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.onSummary ? { onSummary: opts.onSummary } : {}),
        ...(opts.waits ? { waits: opts.waits } : {}),
      });
    });
    // One source failing stops the others (their batches in flight finish) rather than leaving them running.
    runs.forEach((run) => run.catch((error: unknown) => controller.abort(error)));
    const outcomes = await Promise.allSettled(runs);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    return { sources: outcomes.map((o) => (o as PromiseFulfilledResult<SourceSummary>).value) };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    for (const lock of locks) await lock.release();
  }
}

/** Every protocol's built-in markets and tokens. */
export function builtinRegistry(protocols: readonly Protocol[]) {
  return { markets: protocols.flatMap((p) => p.markets ?? []), tokens: protocols.flatMap((p) => p.tokens ?? []) };
}

function pollIntervalMs(plan: SourcePlan, config: LiqscopeConfig): number {
  const source = plan.config;
  if (source.kind === 'evm') return config.chains[source.chain]!.pollInterval * 1000;
  return source.pollInterval * 1000;
}

/** Creates or refreshes the `sources` row (other tables reference it). */
export async function upsertSource(db: Kysely<Database>, plan: Pick<SourcePlan, 'info' | 'config'>): Promise<void> {
  const { info } = plan;
  const source: SourceConfig = plan.config;
  const config = JSON.stringify(
    source.kind === 'evm'
      ? { chain: source.chain, endBlock: source.endBlock ?? null, options: info.options }
      : source.kind === 'files'
        ? { paths: source.paths, options: info.options }
        : // the URL's host only: the URL may hold a key, and this row is read by analysts
          { host: new URL(source.url).host, options: info.options },
  );
  const values = {
    kind: info.kind,
    protocol: info.protocol,
    venue: info.venue,
    chain_id: info.chainId,
    addresses: info.addresses,
    start_block: source.kind === 'evm' ? source.startBlock : null,
    config,
  };
  await db
    .insertInto('sources')
    .values({ id: info.id, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
}
