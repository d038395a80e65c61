import type { Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { storeKind } from '../db/store-kind.ts';
import { syncRegistry } from '../protocols/registry.ts';
import { registryDecoder, type DecoderLookup } from './decoder-registry.ts';
import { runSource, type RunSourceOptions, type SourceProgress, type SourceSummary } from './source-runner.ts';
import { sourceInfo, upsertSource } from './source-info.ts';
import { acquireSourceLock, type SourceLock } from './source-lock.ts';

export type { SourceProgress, SourceSummary } from './source-runner.ts';
export { SourceLockedError } from './source-lock.ts';

export interface IndexSummary {
  sources: SourceSummary[];
}

export interface IndexConfigOptions {
  /** Only these sources (by name); all configured sources by default. */
  sources?: string[];
  /** Keep polling after catching up until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SourceProgress) => void;
  /** Which database kind `db` is, for the per-source advisory lock (default: detected). */
  dbKind?: 'postgres' | 'pglite';
  /** Decoder lookup; defaults to the protocols' registry (src/protocols/index.ts). Tests inject one. */
  decoders?: DecoderLookup;
  /** RPC client overrides (timeouts, backoff) — tests use short ones. */
  rpc?: RunSourceOptions['rpc'];
  /** Logs per write transaction. */
  batchLogs?: number;
}

/**
 * Indexes the configured EVM sources: upserts each into `sources`, takes its advisory lock (throws
 * SourceLockedError if another process holds it), then catches it up to its end — `endBlock`, else the
 * chain's safe head per its `finality` — and returns; with `follow`, keeps polling until the signal
 * aborts, finishing the batch in progress first.
 *
 * @example
 * const summary = await indexConfig(db, configSchema.parse(json), { follow: false });
 */
export async function indexConfig(db: Kysely<Database>, config: LiqscopeConfig, opts: IndexConfigOptions = {}): Promise<IndexSummary> {
  const selected = opts.sources ? config.sources.filter((s) => opts.sources!.includes(s.name)) : config.sources;
  for (const name of opts.sources ?? []) {
    if (!config.sources.some((s) => s.name === name)) throw new Error(`unknown source "${name}" (configured: ${config.sources.map((s) => s.name).join(', ') || 'none'})`);
  }
  // Postgres has pg_try_advisory_lock; PGlite is single-process and needs no lock.
  const kind = opts.dbKind ?? storeKind(db);
  const lookup = opts.decoders ?? registryDecoder;

  // Resolve everything that can fail on bad config before touching the chain.
  const plans = await Promise.all(
    selected.map(async (source) => {
      const info = sourceInfo(source, config);
      const decoder = await lookup(source.protocol);
      return { source, info, decoder, chain: config.chains[source.chain]! };
    }),
  );

  // Markets and tokens (built-in and from the config) must be in the store before decoders read them,
  // or a market the config adds would still be flagged unknown.
  await syncRegistry(db, config);

  const locks: SourceLock[] = [];
  try {
    for (const plan of plans) {
      await upsertSource(db, plan.source, plan.info);
      locks.push(await acquireSourceLock(db, kind, plan.info.id));
    }
    const summaries = await Promise.all(
      plans.map((plan) =>
        runSource({
          db,
          ...plan,
          follow: opts.follow ?? false,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          ...(opts.rpc ? { rpc: opts.rpc } : {}),
          ...(opts.batchLogs ? { batchLogs: opts.batchLogs } : {}),
        }),
      ),
    );
    return { sources: summaries };
  } finally {
    for (const lock of locks) await lock.release();
  }
}
