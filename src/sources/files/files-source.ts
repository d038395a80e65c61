import { stat } from 'node:fs/promises';
import type { Decoder } from '../../pipeline/decode.ts';
import type { JsonLine } from '../../pipeline/records.ts';
import type { MarketInfo, TokenInfo } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import type { CursorRow, Progress, PullEnd, PullOptions, Source, SourceItem, SourceLag, SourceStats } from '../../pipeline/source.ts';
import { DecodePool } from './decode-pool.ts';
import { decodedBatches } from './decoded-batches.ts';
import { formatFilePosition, parseFilePosition, START, type FilePosition } from './file-position.ts';
import { listFiles, type FileEntry } from './list-files.ts';
import { compareNatural } from '../../util/natural-compare.ts';
import { readFileBatches, readLineBatches } from './read-file-batches.ts';
import type { BatchLimits } from './read-file-batches.ts';

export interface FilesSourceOptions {
  info: SourceInfo;
  /** Files or directories (walked recursively; names starting with a dot are skipped). */
  paths: readonly string[];
  /** Orders file keys by time (the protocol's `files.compareFiles`); default: numeric-aware order. */
  compareFiles?: (a: string, b: string) => number;
  /** Most lines per batch (default 20,000). */
  batchLines?: number;
  /** Bytes of line text after which a batch closes (default 2 MiB); one long line may exceed it. */
  batchBytes?: number;
  /**
   * Parse and decode large files in worker threads (decode-pool.ts): this thread reads, decompresses
   * and splits the lines, a worker JSON.parses and decodes them, and only rows come back, for this
   * thread to write. For a decoder that names its module (`workerModule`) and joins nothing across
   * batches (`usesPending: false`); the batches then carry their output (`SourceBatch.decoded`).
   */
  decodeInWorker?: DecodeInWorker;
}

export interface DecodeInWorker {
  /** The run's decoder (the one the runner holds): the worker imports the same object by its `workerModule`. */
  decoder: Decoder<JsonLine>;
  /** The registry the runner's decoder reads, as lists (Registry.lists()). */
  registry: { markets: MarketInfo[]; tokens: TokenInfo[] };
  /** Files with fewer unread bytes on disk are read in this thread (default WORKER_MIN_BYTES). */
  minBytes?: number;
  /** Decode workers (default DECODE_WORKERS). */
  workers?: number;
}

/**
 * Below 16 MiB unread on disk a file is parsed and decoded in this thread. Starting a worker costs
 * about 0.5 s of CPU (a thread, tsx, the decoder's modules: 0.45–0.56 s measured), what parsing and
 * decoding 4.5 MB of LZ4 node fills or 33 MB of plain ones costs (Oct-10 hour: 16.5 s for 147 MB of
 * LZ4, 1,116 MB of JSON): below that the thread's start outweighs the work it takes off this one. A
 * simulator's or a test's files are far below it, an archive hour (50–150 MB of LZ4) far above; the
 * node's current hour, appended to and read again at each poll, is read here once caught up.
 */
const WORKER_MIN_BYTES = 16 << 20;

/**
 * One decode worker. On 2 cores the main thread and a local Postgres take the other core (Oct-10 hour:
 * about 6 s and 8.5 s of CPU beside the worker's 15 s); with two workers the hour took 18.3–20.4 s against
 * 19.9–20.0 s with one, the serialized writes, squeezed off the cores, becoming the longer part. With
 * cores to spare, `workers` lets batches be parsed side by side.
 */
const DECODE_WORKERS = 1;

/**
 * 20,000 lines or 2 MiB of text, whichever comes first: about 5,500 Oct-10 fills (node_fills_by_block
 * lines hold about 90 fills in 30 KB; node_fills lines one fill in 400 bytes). A batch's parsed JSON
 * lives until the batch is decoded, and what outlives V8's young generation is promoted and collected
 * by the far costlier major GC. Source + Hyperliquid decoder over an Oct-10 hour (3.2M fills), CPU
 * seconds in three runs each: 4 MiB 17.1–21.9, 2 MiB 15.4–16.1, 1 MiB 13.8–18.1 (16 MiB was 25–35 %
 * above 2–4 MiB). 2 MiB keeps the write side at about 35 transactions a second at 200k fills/s.
 */
const DEFAULT_LIMITS: BatchLimits = { lines: 20_000, bytes: 2 << 20 };

/**
 * A source of JSON lines read from files: one cursor stream per file (stream = the file's key,
 * position = `file-position.ts`), files in `compareFiles` order, each streamed (LZ4 or plain) and
 * never held whole. Every pull enumerates the paths again, so files that appeared since (the node's
 * next hour) are picked up, and files whose cursor says they are done are skipped without being read.
 *
 * Progress is in bytes on disk: the target (the sum of the files' sizes) is known as soon as the
 * paths are listed, unlike a line count, and it advances smoothly through one large compressed hour.
 */
export class FilesSource implements Source<JsonLine> {
  readonly reorgable = false;
  private readonly compare: (a: string, b: string) => number;
  private readonly limits: BatchLimits;
  private filesOpened = 0;

  constructor(private readonly options: FilesSourceOptions) {
    const decoder = options.decodeInWorker?.decoder;
    if (decoder && (!decoder.workerModule || decoder.usesPending !== false)) {
      throw new Error(`source ${options.info.id}: its decoder cannot run in a worker (it needs workerModule and usesPending: false)`);
    }
    this.compare = options.compareFiles ?? compareNatural;
    this.limits = {
      lines: options.batchLines ?? DEFAULT_LIMITS.lines,
      bytes: options.batchBytes ?? DEFAULT_LIMITS.bytes,
    };
    if (!(this.limits.lines >= 1) || !(this.limits.bytes >= 1)) {
      throw new Error(`source ${options.info.id}: batchLines and batchBytes must be positive`);
    }
  }

  get info(): SourceInfo {
    return this.options.info;
  }

  async *pull({ cursors, signal }: PullOptions): AsyncGenerator<SourceItem<JsonLine>, PullEnd, undefined> {
    const files = await listFiles(this.options.paths, this.compare);
    const target = files.reduce((sum, f) => sum + f.size, 0);
    let before = 0;
    const progress = (position: number): Progress => ({
      unit: 'bytes',
      start: 0n,
      position: BigInt(position),
      target: BigInt(Math.max(target, position)),
    });
    let pool: DecodePool | null = null;
    try {
      for (const file of files) {
        if (signal.aborted) return { state: 'caught-up', progress: progress(before) };
        const stored = cursors.get(file.key);
        const from = stored ? parseFilePosition(file.key, stored.position) : START;
        this.filesOpened += 1;
        const batches = this.inWorkers(file, from)
          ? decodedBatches(readLineBatches(file, from, this.limits), (pool ??= this.startPool()))
          : readFileBatches(file, from, this.limits);
        for await (const batch of batches) {
          const count = 'count' in batch ? batch.count : batch.records.length;
          const lines = count > 0 ? `lines ${batch.firstLine}–${batch.lastLine}` : `to line ${batch.lastLine} (no new lines)`;
          yield {
            type: 'batch',
            records: 'count' in batch ? [] : batch.records,
            ...('count' in batch && batch.decoded ? { decoded: batch.decoded } : {}),
            cursors: [{ stream: file.key, position: formatFilePosition(batch.position) }],
            label: `${file.key} ${lines}`,
            progress: progress(before + Math.min(batch.diskBytes, file.size)),
          };
          if (signal.aborted) return { state: 'caught-up', progress: progress(before + Math.min(batch.diskBytes, file.size)) };
          // a batch that failed to decode fails its transaction: nothing after it is written in this run
          if ('count' in batch && batch.failed) return { state: 'caught-up', progress: progress(before) };
        }
        before += file.size;
      }
      return { state: 'caught-up', progress: progress(before) };
    } finally {
      await pool?.close();
    }
  }

  /** Whether a file's lines are decoded in the workers: decoding there is configured and enough of it is unread. */
  private inWorkers(file: FileEntry, from: FilePosition): boolean {
    const setup = this.options.decodeInWorker;
    if (!setup) return false;
    // An LZ4 file is read from its start (its cursor counts decompressed bytes) unless it was read to its
    // end. One without the .lz4 suffix is taken for plain here: only the thread that parses it differs.
    const unread = from.size === file.size ? 0 : /\.lz4$/i.test(file.path) ? file.size : file.size - (from.bytes ?? 0);
    return unread >= (setup.minBytes ?? WORKER_MIN_BYTES);
  }

  private startPool(): DecodePool {
    const setup = this.options.decodeInWorker!;
    return new DecodePool({ decoder: { ...setup.decoder.workerModule! }, info: this.options.info, registry: setup.registry }, setup.workers ?? DECODE_WORKERS);
  }

  /** Bytes on disk of what the cursors say is read: complete LZ4 files by their size, plain files to their offset. */
  position(cursors: ReadonlyMap<string, CursorRow>): Progress {
    let done = 0;
    for (const row of cursors.values()) {
      const p = parseFilePosition(row.stream, row.position);
      done += p.size ?? p.bytes ?? 0;
    }
    return { unit: 'bytes', start: 0n, position: BigInt(done), target: BigInt(done) };
  }

  stats(): SourceStats {
    return { requests: this.filesOpened, retries: 0, rewinds: 0 };
  }

  /**
   * Bytes on disk not yet read, and how long the first file holding them has been waiting (now minus
   * its modification time: a floor, since a file being appended to is touched at every line). A plain
   * file is behind by its size past the cursor's offset; an LZ4 file until it was read to its end (its
   * cursor's offset counts decompressed bytes). A plain file's last line without a newline stays unread
   * until the writer ends it, so a writer that stopped mid-line shows as lag that grows.
   */
  async lag(cursors: ReadonlyMap<string, CursorRow>): Promise<SourceLag> {
    const files = await listFiles(this.options.paths, this.compare);
    let behind = 0;
    let oldest: number | null = null;
    for (const file of files) {
      const stored = cursors.get(file.key);
      const p = stored ? parseFilePosition(file.key, stored.position) : START;
      const plain = !/\.lz4$/i.test(file.path) && p.size === null && p.bytes !== null && p.bytes <= file.size;
      const unread = p.size === file.size ? 0 : plain ? file.size - p.bytes! : file.size;
      if (unread <= 0) continue;
      behind += unread;
      const modified = (await stat(file.path)).mtimeMs;
      if (oldest === null || modified < oldest) oldest = modified;
    }
    return { unit: 'bytes', behind: BigInt(behind), seconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000) };
  }
}
