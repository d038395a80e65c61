import type { DecodeOutput } from '../../pipeline/decode.ts';
import type { DecodePool, DecodeResult } from './decode-pool.ts';
import type { BatchPlace, LineBatch } from './read-file-batches.ts';

/** A batch decoded in the pool: where it is, how many lines it held, and their output. */
export interface DecodedBatch extends BatchPlace {
  count: number;
  /** Absent for a batch without lines (it only moves the cursor). */
  decoded?: { output: Promise<DecodeOutput>; records: number };
  /** The decoder threw on it (`decoded.output` rejects): the pull ends after it. */
  failed: boolean;
}

/**
 * Decoded batches that may wait for the runner. The runner takes a batch only when one of its two writes
 * in flight has committed, and a batch of the Oct-10 cascade (11,000 liquidations and as many ADL fills)
 * takes the server about a second to write, 40 batches of the worker's time. Decoded batches are small
 * (a hundred bars and a few rows; that one batch about 15 MB), so the worker may run far ahead of the
 * writes; what it has not parsed yet, the lines, is held to two batches per worker (below). Oct-10
 * hour, quiet 2-core machine: up to 8 batches ahead the worker waited about a second for work (the
 * cascade's batch) and the import took 18.4–19.1 s; up to 64, it never waited and took 15.0–18.1 s.
 */
const DECODED_AHEAD = 64;

/** Line batches handed to each worker and not yet decoded: one being parsed, one waiting (2 × 2 MiB). */
const LINES_PER_WORKER = 2;

interface Entry {
  place: BatchPlace;
  count: number;
  /** Null for a batch without lines. */
  result: Promise<DecodeResult> | null;
}

/**
 * The file's line batches, read in this thread and parsed and decoded in the pool, in order. Reading
 * goes on in the background whenever a worker has room (LINES_PER_WORKER), while the runner is busy
 * writing, up to DECODED_AHEAD batches ahead of it: memory holds a few line batches and small decoded
 * ones, whatever the file's size. A line that is not JSON, or a read error (a corrupt LZ4 frame),
 * throws once the batches before it were yielded, as in this thread.
 */
export async function* decodedBatches(lines: AsyncGenerator<LineBatch, void, undefined>, pool: DecodePool): AsyncGenerator<DecodedBatch, void, undefined> {
  const queue: Entry[] = [];
  let undecoded = 0;
  let reading: Promise<void> | null = null;
  let readDone = false;
  let readError: unknown = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const wakeConsumer = () => {
    wake?.();
    wake = null;
  };
  /** Reads and hands over the next line batch if a worker has room and the runner is not too far behind. */
  const pump = (): void => {
    if (reading || readDone || readError !== null || stopped) return;
    if (undecoded >= pool.size * LINES_PER_WORKER || queue.length >= DECODED_AHEAD) return;
    reading = (async () => {
      try {
        const next = await lines.next();
        if (next.done) {
          readDone = true;
          return;
        }
        const { firstLine, lastLine, position, diskBytes } = next.value;
        const count = next.value.ends.length;
        let result: Promise<DecodeResult> | null = null;
        if (count > 0 && !stopped) {
          undecoded++;
          result = pool.decode(next.value).then((r) => {
            undecoded--;
            pump();
            return r;
          });
        }
        queue.push({ place: { firstLine, lastLine, position, diskBytes }, count, result });
      } catch (error) {
        readError = error;
      } finally {
        reading = null;
        wakeConsumer();
        pump();
      }
    })();
  };
  try {
    pump();
    for (;;) {
      while (queue.length === 0 && !readDone && readError === null) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const next = queue.shift();
      if (!next) {
        if (readError !== null) throw readError;
        return;
      }
      pump();
      const result = next.result ? await next.result : null;
      if (result && 'error' in result && result.stage !== 'decode') throw result.error;
      if (result === null) {
        yield { ...next.place, count: 0, failed: false };
        continue;
      }
      const output = 'output' in result ? Promise.resolve(result.output) : Promise.reject(result.error);
      output.catch(() => {}); // awaited by the runner in the batch's transaction
      yield { ...next.place, count: next.count, decoded: { output, records: next.count }, failed: 'error' in result };
      if ('error' in result) return;
    }
  } finally {
    stopped = true;
    if (reading) await reading;
    await lines.return();
  }
}
