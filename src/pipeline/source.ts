import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { DecodeOutput } from './decode.ts';
import type { SourceInfo } from './source-info.ts';

/**
 * What every kind of source (EVM logs, files, HTTP pages, subgraph entities) gives the runner. A source
 * streams batches of records after its cursor; the runner, the same for all kinds, decodes each batch
 * and writes its rows, its raw material and its cursor in one transaction. Only the source knows how
 * records are fetched and what its cursor means.
 */

/** A stored cursor row (`cursors` table). A source may keep several streams (a files source: one per file). */
export interface CursorRow {
  stream: string;
  /** Opaque to everyone but the source: a block number, a file's line count, a page token. */
  position: string;
  blockNumber: bigint | null;
  blockHash: string | null;
}

/** A cursor row a batch moves; committed in the batch's transaction. */
export interface CursorUpdate {
  stream: string;
  position: string;
  blockNumber?: bigint | null;
  blockHash?: string | null;
}

/** How far a source is, in its own unit, for progress lines and the run summary. */
export interface Progress {
  unit: string;
  /** Where this source started (its configured start). */
  start: bigint;
  /** Last position fully written. */
  position: bigint;
  /** Where this pull is going (the chain's safe head, the files' total lines). */
  target: bigint;
}

export interface SourceBatch<R> {
  type: 'batch';
  records: R[];
  cursors: CursorUpdate[];
  /** Where the batch is, for logs and errors: `blocks 1000–1999`, `hourly/20251010/21 lines 1–5000`. */
  label: string;
  /** Writes the batch's raw material (EVM: raw logs and block headers) inside the batch's transaction. */
  writeRaw?(trx: Transaction<Database>): Promise<void>;
  /**
   * The batch decoded already, by the source, with the run's decoder (its `workerModule`): a files
   * source decodes in its reading worker, so the lines' parsed objects never reach the main thread. The
   * runner writes this output instead of decoding `records`, which the source leaves empty; `records`
   * here counts what was decoded. A decode failure rejects `output` and fails this batch, as it would
   * have failed when the runner decoded it.
   */
  decoded?: { output: Promise<DecodeOutput>; records: number };
  /** What the source can tell about which record a database error of this batch concerned. */
  explainFailure?(error: unknown): string[];
  progress: Progress;
}

/**
 * A reorganisation: everything of the source from `fromBlock` on is gone from the chain. The runner
 * finishes the batches in flight, then in one transaction deletes the source's rows at and above
 * `fromBlock`, calls `deleteRaw`, and writes `cursors`. Only sources that declare `reorgable` yield it.
 */
export interface SourceRewind {
  type: 'rewind';
  fromBlock: bigint;
  cursors: CursorUpdate[];
  reason: string;
  deleteRaw(trx: Transaction<Database>): Promise<void>;
}

export type SourceItem<R> = SourceBatch<R> | SourceRewind;

/** How a pull ended: `finished` (the configured end is reached: stop even when following) or `caught-up`. */
export interface PullEnd {
  state: 'finished' | 'caught-up';
  progress: Progress | null;
}

export interface PullOptions {
  /** The source's cursor rows as committed, by stream. */
  cursors: ReadonlyMap<string, CursorRow>;
  signal: AbortSignal;
}

export interface Source<R> {
  readonly info: SourceInfo;
  /** Whether its data can be reorganised after it was read (EVM near the tip); files and finalized pages cannot. */
  readonly reorgable: boolean;
  /**
   * Streams what is new after `cursors`, in order, until caught up. Batches must be written in the
   * order yielded; the next item may be requested while earlier batches are still being written, so a
   * source must not depend on their commit (rewinds are applied after the runner drained).
   */
  pull(options: PullOptions): AsyncGenerator<SourceItem<R>, PullEnd, undefined>;
  /** Where the committed cursor rows put the source, in its unit (for the run summary's "from"). */
  position(cursors: ReadonlyMap<string, CursorRow>): Progress;
  /** Counters for the run summary and metrics (requests, retries, …). */
  stats(): SourceStats;
  /**
   * How far the committed cursors are behind the data's head now, read without writing anything: the
   * lag gauges and readiness of `liqscope run` (src/ops), which probe it between runs, so that a stuck
   * or failing indexer shows as lag while the chain moves on. A kind that cannot tell cheaply leaves
   * it out (its lag is then the time since its last successful run).
   */
  lag?(cursors: ReadonlyMap<string, CursorRow>, signal: AbortSignal): Promise<SourceLag>;
}

export interface SourceStats {
  requests: number;
  retries: number;
  rewinds: number;
  /**
   * Failed requests by endpoint and kind (`rate-limited`, `transient`, `unauthorized`, `refusal`,
   * `fatal`…), retried or not, for the metrics. `endpoint` is a label from the config (`arbitrum#0`, a
   * source name), never a URL: it becomes a metric label.
   */
  errors?: EndpointErrors[];
}

export interface EndpointErrors {
  endpoint: string;
  kind: string;
  count: number;
}

/** A source's lag behind its data's head (see Source.lag). */
export interface SourceLag {
  /** The unit of `behind`: `blocks` (EVM: the safe head), `bytes` (files: on disk, not yet read). */
  unit: string;
  behind: bigint;
  /**
   * How old the oldest data not yet indexed is, in seconds (0 when caught up). EVM: the safe head's
   * block time minus the cursor block's; files: now minus the modification time of the first file not
   * read to its end.
   */
  seconds: number;
}

/**
 * Thrown by a pull when what it read is no longer consistent (the chain moved while a range was
 * fetched): what it yielded before is consistent and is written; the runner then pulls again from the
 * committed cursor, after a backoff — unless the source `waited` already (a lagging node it waited
 * for), in which case it pulls again at once and the restart does not count against the budget.
 */
export class RestartFromCursor extends Error {
  override name = 'RestartFromCursor';
  constructor(
    message: string,
    /** What was being fetched (`blocks [100, 200]`), for the give-up message. */
    readonly where: string,
    readonly waited = false,
  ) {
    super(message);
  }
}
