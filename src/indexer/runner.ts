import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { FACT_TABLES } from '../db/fact-tables.ts';
import { storeKind } from '../db/store-kind.ts';
import { logger } from '../logger.ts';
import type { Decoder, PendingReader } from '../pipeline/decode.ts';
import type { RegistryView } from '../pipeline/registry.ts';
import { RestartFromCursor, type EndpointErrors, type Progress, type PullEnd, type SourceBatch, type Source, type SourceRewind } from '../pipeline/source.ts';
import { sleep } from '../util/backoff.ts';
import { applyDecodeOutput, prepareDecodeOutput } from './apply-output.ts';
import { BatchWriteError, describeBatchFailure } from './batch-write-error.ts';
import { readCursors, writeCursors } from './cursors.ts';
import { pendingReader } from './pending-joins.ts';
import { RestartBudget, type RestartWaits } from './restart-budget.ts';
import { SourceLockLostError } from './source-lock.ts';

/** What a progress callback receives after every written batch and when a pull ends. */
export interface SourceProgress extends Progress {
  sourceId: string;
  /** Records written by this run. */
  records: number;
  /** Seconds since this run started. */
  elapsedSeconds: number;
  phase: 'catching-up' | 'following' | 'done';
}

export interface SourceSummary {
  sourceId: string;
  unit: string;
  /** Position when the run started and when it ended (in the source's unit). */
  from: string;
  to: string;
  records: number;
  rows: number;
  batches: number;
  rewinds: number;
  requests: number;
  retries: number;
  seconds: number;
  /** Failed requests by endpoint label and kind (the source's stats), for `liqscope run`'s metrics and job log. */
  errors: EndpointErrors[];
}

export interface RunSourceOptions<R> {
  db: Kysely<Database>;
  source: Source<R>;
  decoder: Decoder<R>;
  registry: RegistryView;
  /** Keep pulling after catching up, every `pollIntervalMs`, until the signal aborts. */
  follow: boolean;
  pollIntervalMs: number;
  /** Overrides of the restart waits (tests shorten them). */
  waits?: RestartWaits;
  signal?: AbortSignal;
  onProgress?: (progress: SourceProgress) => void;
  /**
   * Called once when the run ends, whether it succeeded or failed: `liqscope run` counts a failed run's
   * requests and errors by kind in its metrics too (a failure throws, so its summary is not returned).
   */
  onSummary?: (summary: SourceSummary) => void;
}

/**
 * Batches written at once per source (each its own transaction and connection): two lets the server
 * store one batch's raw material while the previous batch is decoded and committed.
 */
const WRITES_IN_FLIGHT = 2;


/**
 * Runs one source, of any kind: pulls batches after its committed cursor and writes each in ONE
 * transaction — raw material, decoded rows, amendments, join halves and cursor — so a crash at any
 * point leaves all of a batch or none of it, and writing it twice changes nothing. Writing is
 * pipelined: while batches are written (mostly the database's work) the source fetches the next
 * (mostly its own), and up to two batches are written at once; a batch decodes and moves its cursor
 * only after the previous one committed, because decoders join across batches through pending_joins.
 * A rewind (a reorganised chain) is applied once every batch before it is written.
 */
export async function runSource<R>(opts: RunSourceOptions<R>): Promise<SourceSummary> {
  const { db, source, signal } = opts;
  const info = source.info;
  const asyncCommit = storeKind(db) === 'postgres';
  const started = Date.now();
  const summary: SourceSummary = {
    sourceId: info.id,
    unit: '',
    from: '',
    to: '',
    records: 0,
    rows: 0,
    batches: 0,
    rewinds: 0,
    requests: 0,
    retries: 0,
    seconds: 0,
    errors: [],
  };
  // "from" is the first position this run writes (the committed cursor + 1); "to" the last one written.
  const initial = source.position(await readCursors(db, info.id));
  summary.unit = initial.unit;
  summary.from = (initial.position + 1n).toString();
  summary.to = initial.position.toString();
  let last: Progress | null = initial;
  const report = (progress: Progress | null, phase: SourceProgress['phase']) => {
    if (!progress) return;
    last = progress;
    summary.to = progress.position.toString();
    opts.onProgress?.({ ...progress, sourceId: info.id, records: summary.records, elapsedSeconds: (Date.now() - started) / 1000, phase });
  };

  const waits = opts.waits ?? {};
  const restarts = new RestartBudget({
    sourceId: info.id,
    ...(waits.maxRestarts !== undefined ? { maxRestarts: waits.maxRestarts } : {}),
    ...(waits.restartBaseMs !== undefined ? { baseMs: waits.restartBaseMs } : {}),
    ...(waits.restartMaxMs !== undefined ? { maxMs: waits.restartMaxMs } : {}),
    ...(signal ? { signal } : {}),
  });
  try {
    for (;;) {
      if (signal?.aborted) break;
      let end: PullEnd | 'aborted' | 'rewound';
      try {
        end = await pullOnce();
        restarts.reset();
      } catch (error) {
        if (!(error instanceof RestartFromCursor) || signal?.aborted) throw error;
        if (!error.waited) await restarts.onMoved(error, error.where);
        continue;
      }
      if (end === 'aborted') break;
      if (end === 'rewound') continue; // pull again at once, from the rewound cursor
      report(end.progress ?? last, opts.follow && end.state !== 'finished' ? 'following' : 'done');
      if (!opts.follow || end.state === 'finished') break;
      await sleep(opts.pollIntervalMs, signal);
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
    // Aborted: nothing half-written (batches are transactions); return what was done.
  } finally {
    const stats = source.stats();
    summary.requests = stats.requests;
    summary.retries = stats.retries;
    summary.errors = stats.errors ?? [];
    summary.seconds = (Date.now() - started) / 1000;
    opts.onSummary?.(summary);
  }
  return summary;

  /** One pull from the committed cursor until the source is caught up (or a rewind, or an abort). */
  async function pullOnce(): Promise<PullEnd | 'aborted' | 'rewound'> {
    const cursors = await readCursors(db, info.id);
    const pull = source.pull({ cursors, signal: signal ?? new AbortController().signal });
    const inFlight: Promise<void>[] = [];
    const drain = async () => {
      while (inFlight.length > 0) await inFlight.shift();
    };
    try {
      for (;;) {
        const next = await pull.next();
        if (next.done) {
          await drain();
          return next.value;
        }
        const item = next.value;
        if (item.type === 'rewind') {
          await drain();
          await applyRewind(item);
          summary.rewinds++;
          // A rewind ends the pull: the next pull starts from the rewound cursor.
          await pull.return(undefined as never);
          return 'rewound';
        }
        while (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
        const previous = inFlight[inFlight.length - 1] ?? Promise.resolve();
        const writing = writeBatch(item, previous);
        writing.catch(() => {}); // awaited by a later drain; avoid an unhandled rejection meanwhile
        inFlight.push(writing);
        if (signal?.aborted) {
          await drain();
          await pull.return(undefined as never);
          return 'aborted';
        }
      }
    } catch (error) {
      // Never leave a write running behind a failure (it would move the cursor after we gave up), and
      // never hide a failed write behind a restart.
      const outcomes = await Promise.allSettled(inFlight.splice(0));
      // Nor leave the pull suspended: returning it closes what it holds (an open file, a reading worker).
      await pull.return(undefined as never).catch(() => {});
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
      throw error;
    }
  }

  /**
   * Writes one batch in one transaction. Its raw material goes in at once, but decoding waits for
   * `after` (the previous batch's commit) so that joins see what it left; a failure of `after` rolls
   * this one back too. With PGlite (one connection) the transactions simply queue.
   */
  async function writeBatch(batch: SourceBatch<R>, after: Promise<unknown>): Promise<void> {
    const decode = (pending: PendingReader) =>
      batch.records.length === 0 ? Promise.resolve(null) : opts.decoder.decode(batch.records, { source: info, registry: opts.registry, pending });
    // A decoder with no join across batches need not wait for the previous commit: decoding this batch
    // while the database writes the previous one took the Hyperliquid hour from 78k to 100k fills/s.
    // A source that decoded the batch itself (files: in its reading worker) hands the output over.
    const early = batch.decoded ? batch.decoded.output : opts.decoder.usesPending === false ? decode(NO_PENDING) : null;
    early?.catch(() => {}); // awaited inside the transaction below
    try {
      const rows = await db.transaction().execute(async (trx) => {
        // On a Postgres server the commit does not wait for the WAL to reach the disk (a 4–5 ms fsync, in a
        // chain of commits that must go one after another); its WAL writer flushes within a fraction of a
        // second. A server crash may lose those last batches, rows and cursor together, never one without
        // the other: the next run writes them again. Not on PGlite: it has no WAL writer, and a killed
        // process would lose every batch since the last flush.
        if (asyncCommit) await sql`set local synchronous_commit = off`.execute(trx);
        // Raw inserts are mostly the server's work and decoding mostly ours: run both at once on the
        // transaction's connection (queries queue in order). allSettled, so that no query of either is
        // still running when a failure rolls the transaction back.
        const [raw, decoded] = await Promise.allSettled([
          batch.writeRaw ? batch.writeRaw(trx) : Promise.resolve(),
          // The rows' insert statements are built before the previous batch commits: only the server's
          // part of a write waits for its turn (Oct-10 Hyperliquid hour: the serialized writes 3.4 s shorter).
          early
            ? early.then(async (output) => {
                const prepared = output ? prepareDecodeOutput(info, output) : output;
                await after;
                return prepared;
              })
            : after.then(() => decode(pendingReader(trx, info.id))),
        ]);
        if (raw.status === 'rejected') throw raw.reason;
        if (decoded.status === 'rejected') throw decoded.reason;
        const written = decoded.value ? await applyDecodeOutput(trx, info, decoded.value) : 0;
        await writeCursors(trx, info.id, batch.cursors);
        return written;
      });
      const records = batch.decoded?.records ?? batch.records.length;
      summary.records += records;
      summary.rows += rows;
      summary.batches++;
      logger.debug({ source: info.id, batch: batch.label, records }, 'batch written');
      report(batch.progress, 'catching-up');
    } catch (error) {
      // The previous batch's failure (through `after`), or the run's lost lock: not about this batch.
      if (error instanceof BatchWriteError || error instanceof SourceLockLostError) throw error;
      throw describeBatchFailure(error, info.id, batch.label, batch.explainFailure?.bind(batch));
    }
  }

  async function applyRewind(rewind: SourceRewind): Promise<void> {
    logger.warn({ source: info.id, fromBlock: rewind.fromBlock.toString() }, `${info.id}: ${rewind.reason}`);
    await db.transaction().execute(async (trx) => {
      await deleteFrom(trx, info.id, rewind.fromBlock);
      await rewind.deleteRaw(trx);
      await writeCursors(trx, info.id, rewind.cursors);
    });
  }
}

/** What a decoder that declared `usesPending: false` gets: reading from it is a bug in that decoder. */
const NO_PENDING: PendingReader = {
  find: () => Promise.reject(new Error('this decoder declared usesPending: false but read pending joins')),
};

/** Deletes a source's rows at and above `fromBlock` (a rewind) or all of them (`fromBlock` null: a redecode). */
export async function deleteFrom(trx: Transaction<Database>, sourceId: string, fromBlock: bigint | null): Promise<void> {
  const from = fromBlock?.toString();
  for (const table of [...FACT_TABLES, 'decode_errors', 'pending_joins', 'fact_provenance'] as const) {
    if (table === 'trade_bars') {
      // Bars have no block: only sources that cannot be reorganised (files, finalized pages) write them.
      if (from === undefined) await trx.deleteFrom(table).where('source_id', '=', sourceId).execute();
      continue;
    }
    let query = trx.deleteFrom(table).where('source_id', '=', sourceId);
    if (from !== undefined) query = query.where('block_number', '>=', from);
    await query.execute();
  }
}
