import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { JsonLine } from '../../pipeline/records.ts';
import { FileLineError, FilesSourceError } from './errors.ts';
import type { FilePosition } from './file-position.ts';
import type { FileEntry } from './list-files.ts';
import { Lz4FormatError, Lz4FrameDecoder } from './lz4-frame.ts';

/** Batch limits: whichever is reached first closes a batch. */
export interface BatchLimits {
  lines: number;
  /** Bytes of line text (decompressed). */
  bytes: number;
}

/** Where a batch of one file's lines stands: the lines it holds, and the file after it. */
export interface BatchPlace {
  /** Line numbers of the first and last line; both equal `position.lines` when there is none. */
  firstLine: number;
  lastLine: number;
  /** Where the file stands after this batch. */
  position: FilePosition;
  /** Bytes of the file on disk read so far (progress). */
  diskBytes: number;
}

/** Lines of one file read after a position, parsed. */
export interface FileBatch extends BatchPlace {
  records: JsonLine[];
}

/**
 * Lines of one file read after a position, not yet parsed: their bytes end to end in one buffer of its
 * own, so that the batch can be handed to a worker thread by transfer (decode-worker.ts), not by copy.
 */
export interface LineBatch extends BatchPlace {
  /** The file's key, which errors name. */
  file: string;
  /** The lines' bytes (UTF-8, without their line ends), one after another. */
  text: Uint8Array;
  /** Where each line ends in `text`; it starts where the previous one ended. */
  ends: Uint32Array;
  /** Each line's 1-based number in its file (empty lines are counted, not held). */
  numbers: Float64Array;
}

const LZ4_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Read size: 1 MiB chunks instead of the default 64 KiB cut per-chunk overhead on multi-GB hours. */
const CHUNK = 1 << 20;
const NEWLINE = 10;
const CR = 13;

/**
 * Streams the complete lines of one file after `from`, parsed as JSON, in batches of at most
 * `limits` (readLineBatches, then parseLines). A line that is not JSON throws a FileLineError naming
 * file:line and the parser's reason, before anything of its batch is yielded.
 */
export async function* readFileBatches(
  entry: FileEntry,
  from: FilePosition,
  limits: BatchLimits,
): AsyncGenerator<FileBatch, void, undefined> {
  for await (const batch of readLineBatches(entry, from, limits)) {
    const { firstLine, lastLine, position, diskBytes } = batch;
    yield { records: parseLines(batch), firstLine, lastLine, position, diskBytes };
  }
}

/**
 * A batch's lines parsed as JSON, or a FileLineError naming file:line and the parser's reason for
 * the first that is not JSON.
 */
export function parseLines(batch: Pick<LineBatch, 'file' | 'text' | 'ends' | 'numbers'>): JsonLine[] {
  const text = Buffer.from(batch.text.buffer, batch.text.byteOffset, batch.text.byteLength);
  const records: JsonLine[] = new Array(batch.ends.length);
  let start = 0;
  for (let i = 0; i < batch.ends.length; i++) {
    const end = batch.ends[i]!;
    let value: unknown;
    try {
      value = JSON.parse(text.toString('utf8', start, end));
    } catch (error) {
      throw new FileLineError(batch.file, batch.numbers[i]!, `not JSON: ${(error as Error).message}`);
    }
    records[i] = { file: batch.file, line: batch.numbers[i]!, value };
    start = end;
  }
  return records;
}

/**
 * Streams the complete lines of one file after `from`, unparsed, in batches of at most `limits`. LZ4
 * files (named `.lz4`, or starting with the LZ4 frame magic) are decompressed on the fly; anything
 * else is read as plain text.
 *
 * Lines: split on `\n` (a trailing `\r` is JSON whitespace); an empty line is counted and skipped. A
 * plain file's last line without a newline may still be being written by the node: it is left for a
 * later run. In an LZ4 file, which is complete once it decompresses to its end mark, it is a line.
 *
 * Memory holds one batch and a couple of read chunks, whatever the file size.
 */
export async function* readLineBatches(
  entry: FileEntry,
  from: FilePosition,
  limits: BatchLimits,
): AsyncGenerator<LineBatch, void, undefined> {
  const handle = await open(entry.path, 'r');
  let handed = false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    const magic = head.subarray(0, bytesRead);
    const compressed = entry.key.endsWith('.lz4') || magic.equals(LZ4_MAGIC);
    if (!compressed && bytesRead >= 2 && magic.subarray(0, 2).equals(GZIP_MAGIC)) {
      throw new FilesSourceError(entry.key, 'is gzip-compressed, which is not supported (decompress it, or recompress it with lz4)');
    }
    if (!compressed && magic.equals(ZSTD_MAGIC)) {
      throw new FilesSourceError(entry.key, 'is zstd-compressed, which is not supported (decompress it, or recompress it with lz4)');
    }
    const size = (await handle.stat()).size;
    let startOffset = 0;
    let skipThrough = from.lines;
    if (compressed) {
      if (from.size !== null && from.size === size) return; // an archive file already read to its end
    } else if (from.bytes !== null) {
      if (size === from.bytes) return; // nothing appended since
      if (size < from.bytes) {
        throw new FilesSourceError(
          entry.key,
          `is ${size} bytes long, shorter than the ${from.bytes} bytes already imported: it was truncated or replaced`,
        );
      }
      if (from.bytes > 0) {
        const before = Buffer.alloc(1);
        await handle.read(before, 0, 1, from.bytes - 1);
        if (before[0] !== NEWLINE) {
          throw new FilesSourceError(entry.key, `byte ${from.bytes} (where line ${from.lines} ended when imported) is not a line end: the file was replaced`);
        }
      }
      startOffset = from.bytes;
      skipThrough = from.lines;
    }
    handed = true;
    const stream = handle.createReadStream({ start: startOffset, highWaterMark: CHUNK });
    const decoder = compressed ? new Lz4FrameDecoder() : null;
    const chunks: AsyncIterable<Buffer> = decoder ? namingFile(entry.key, decoder.decode(stream)) : stream;
    const diskBytes = (offset: number): number => (decoder ? decoder.bytesIn : offset);
    yield* splitBatches(entry, from, chunks, { startOffset, skipThrough, complete: compressed, limits, diskBytes, diskSize: () => decoder?.bytesIn ?? size });
  } finally {
    if (!handed) await handle.close();
  }
}

/** The decompressed content, with a corrupt or truncated LZ4 file's error naming the file. */
async function* namingFile(key: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  try {
    yield* chunks;
  } catch (error) {
    if (error instanceof Lz4FormatError) throw new FilesSourceError(key, `is not a valid LZ4 file: ${error.message}`);
    throw error;
  }
}

interface SplitOptions {
  /** Offset in the content of the first byte `chunks` yields. */
  startOffset: number;
  /** Lines at or below this number are counted, not parsed (already imported). */
  skipThrough: number;
  /** The content is complete: a last line without a newline is a line. */
  complete: boolean;
  limits: BatchLimits;
  diskBytes(offset: number): number;
  /** Size on disk once the content ended (recorded for complete files). */
  diskSize(): number;
}

async function* splitBatches(
  entry: FileEntry,
  from: FilePosition,
  chunks: AsyncIterable<Buffer>,
  opts: SplitOptions,
): AsyncGenerator<LineBatch, void, undefined> {
  const key = entry.key;
  const startLine = opts.startOffset > 0 ? from.lines : 0;
  let lineNo = startLine;
  /** Offset just after the last complete line seen. */
  let offset = opts.startOffset;
  /** The current batch's lines, as views of the chunks they came in (copied out when it closes). */
  let pieces: Buffer[] = [];
  let numbers: number[] = [];
  let textBytes = 0;
  let firstLine = 0;
  let endLine = opts.startOffset > 0 ? from.lines : 0;
  let endOffset = opts.startOffset;
  /** Pieces of a line that continues into the next chunk. */
  let parts: Buffer[] = [];
  let partsLength = 0;

  /** Counts a line imported before; the last of them must end where the cursor says. */
  const skipped = (): void => {
    if (lineNo === opts.skipThrough && from.bytes !== null && offset !== from.bytes) {
      throw new FilesSourceError(key, `line ${lineNo} now ends at byte ${offset}, not at byte ${from.bytes} as when imported: the file changed`);
    }
    endLine = lineNo;
    endOffset = offset;
  };
  /** The batch so far, its lines copied into a buffer of their own; the next batch starts empty. */
  const batch = (): LineBatch => {
    // allocUnsafeSlow: not a slice of Node's shared pool, so the batch's buffer can be transferred
    const text = Buffer.allocUnsafeSlow(textBytes);
    const ends = new Uint32Array(pieces.length);
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      at += pieces[i]!.copy(text, at);
      ends[i] = at;
    }
    const out: LineBatch = {
      file: key,
      text,
      ends,
      numbers: Float64Array.from(numbers),
      firstLine: numbers.length > 0 ? firstLine : endLine,
      lastLine: endLine,
      position: { lines: endLine, bytes: endOffset, size: null },
      diskBytes: opts.diskBytes(endOffset),
    };
    pieces = [];
    numbers = [];
    textBytes = 0;
    return out;
  };
  const full = (): boolean => numbers.length >= opts.limits.lines || textBytes >= opts.limits.bytes;
  /** Takes a line that is due (after the skipped ones) into the current batch. */
  const take = (buf: Buffer, start: number, end: number): void => {
    const length = end - start;
    if (length > 0 && !(length === 1 && buf[start] === CR)) {
      if (numbers.length === 0) firstLine = lineNo;
      pieces.push(buf.subarray(start, end));
      numbers.push(lineNo);
      textBytes += length;
    }
    endLine = lineNo;
    endOffset = offset;
  };

  // A full batch is yielded only when the next line arrives, so that the last batch of a file is
  // always yielded after its end was seen (and can say so), and a malformed line never holds back
  // the complete batch before it.
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      let buf = chunk;
      let s = start;
      let e = nl;
      if (partsLength > 0) {
        parts.push(chunk.subarray(start, nl));
        buf = Buffer.concat(parts, partsLength + nl - start);
        parts = [];
        partsLength = 0;
        s = 0;
        e = buf.length;
      }
      start = nl + 1;
      lineNo += 1;
      offset += e - s + 1;
      if (lineNo <= opts.skipThrough) {
        skipped();
        continue;
      }
      if (full()) yield batch();
      take(buf, s, e);
    }
    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      partsLength += chunk.length - start;
    }
  }
  if (partsLength > 0 && opts.complete) {
    // the complete content's last line, without a newline
    const buf = Buffer.concat(parts, partsLength);
    lineNo += 1;
    offset += buf.length;
    if (lineNo <= opts.skipThrough) {
      skipped();
    } else {
      if (full()) yield batch();
      take(buf, 0, buf.length);
    }
  }
  if (lineNo < opts.skipThrough) {
    throw new FilesSourceError(key, `has ${lineNo} complete lines, fewer than the ${opts.skipThrough} already imported: it was truncated or replaced`);
  }
  const last = batch();
  if (opts.complete) last.position.size = opts.diskSize();
  const unchanged =
    last.numbers.length === 0 &&
    last.position.lines === from.lines &&
    last.position.bytes === from.bytes &&
    last.position.size === from.size;
  if (!unchanged) yield last;
}
