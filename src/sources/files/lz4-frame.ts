import { createXXHash32 } from 'hash-wasm';
import type { IHasher } from 'hash-wasm';
import { uncompressSync } from 'lz4-napi';

/**
 * Streaming decoder of the LZ4 frame format (lz4/lz4 doc/lz4_Frame_format.md, version 01): what the
 * `lz4` command line writes, and what Hyperliquid's public archive holds. lz4-napi decodes each
 * block natively, but it only offers whole-buffer frame decoding (an hour of Oct-10 fills is
 * about 1.3 GB decompressed), so the frame around the blocks is read here, one block at a time:
 * memory stays at a few blocks (at most 4 MiB each) whatever the file size.
 *
 * Handled: independent and linked blocks (a linked block refers to the previous 64 KiB of output,
 * passed to the block decoder as a dictionary), uncompressed blocks, block and content checksums
 * (xxHash32, verified), the content size, concatenated frames and skippable frames. Refused with a
 * reason: the legacy format (`lz4 -l`), frames needing an external dictionary, reserved bits set,
 * a truncated frame.
 */

const FRAME_MAGIC = 0x184d2204;
const LEGACY_MAGIC = 0x184c2102;
/** Skippable frames: magic 0x184D2A50 to 0x184D2A5F, then a 4-byte size, then that many bytes. */
const SKIPPABLE_MAGIC = 0x184d2a50;
const SKIPPABLE_MASK = 0xfffffff0;
/** Block maximum sizes by the BD byte's 3-bit code. */
const BLOCK_MAX_SIZES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** How far back a linked block may refer. */
const WINDOW = 64 << 10;

export class Lz4FormatError extends Error {
  override name = 'Lz4FormatError';
}

/** Bytes pulled from an async source of chunks, consumed from the front. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Bytes buffered and not yet consumed. */
  length = 0;
  /** Bytes consumed since the start. */
  consumed = 0;
  private done = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Buffers at least `n` bytes; false when the input ends before. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n) {
      if (this.done) return false;
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      const chunk = next.value;
      if (chunk.length === 0) continue;
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.length += chunk.length;
    }
    return true;
  }

  byteAt(i: number): number {
    let offset = this.head + i;
    for (const chunk of this.chunks) {
      if (offset < chunk.length) return chunk[offset]!;
      offset -= chunk.length;
    }
    throw new RangeError('ByteQueue.byteAt past the buffered bytes');
  }

  u32At(i: number): number {
    return (this.byteAt(i) | (this.byteAt(i + 1) << 8) | (this.byteAt(i + 2) << 16) | (this.byteAt(i + 3) << 24)) >>> 0;
  }

  /**
   * Removes `n` buffered bytes and returns them, preceded by `headroom` spare bytes when asked (the
   * block decoder wants a 4-byte size in front: reserving it here saves copying each block again).
   */
  take(n: number, headroom = 0): Buffer {
    const first = this.chunks[0]!;
    if (headroom === 0 && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(headroom + n);
    let written = headroom;
    let rest = n;
    let index = 0;
    let offset = this.head;
    while (rest > 0) {
      const chunk = this.chunks[index]!;
      const count = Math.min(rest, chunk.length - offset);
      chunk.copy(out, written, offset, offset + count);
      written += count;
      rest -= count;
      index += 1;
      offset = 0;
    }
    this.advance(n);
    return out;
  }

  skip(n: number): void {
    this.advance(n);
  }

  private advance(n: number): void {
    this.length -= n;
    this.consumed += n;
    let rest = n;
    while (rest > 0) {
      const first = this.chunks[0]!;
      const available = first.length - this.head;
      if (rest < available) {
        this.head += rest;
        return;
      }
      rest -= available;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.chunks.length > 0 && this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

interface FrameHeader {
  independent: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  contentSize: number | null;
  blockMax: number;
  /** Header length in bytes, from the magic number to the header checksum. */
  length: number;
}

/**
 * Decodes LZ4 frames from `input` and yields the decompressed content, one block per chunk.
 * `bytesIn` says how much of the input has been consumed (for progress).
 */
export class Lz4FrameDecoder {
  private queue: ByteQueue | null = null;
  private blockHasher: IHasher | null = null;
  private contentHasher: IHasher | null = null;

  /** Compressed bytes consumed so far. */
  get bytesIn(): number {
    return this.queue?.consumed ?? 0;
  }

  async *decode(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
    const source = input[Symbol.asyncIterator]();
    try {
      yield* this.frames(source);
    } finally {
      // stopped early or failed: close the input (a file stream) now, not when it is collected
      await source.return?.();
    }
  }

  private async *frames(source: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
    const queue = new ByteQueue(source);
    this.queue = queue;
    let frames = 0;
    for (;;) {
      const start = queue.consumed;
      if (!(await queue.fill(4))) {
        if (queue.length === 0 && frames > 0) return;
        if (queue.length === 0) throw new Lz4FormatError('empty input: no LZ4 frame');
        throw new Lz4FormatError(`truncated input: ${queue.length} stray bytes at byte ${start}`);
      }
      const magic = queue.u32At(0);
      if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
        await this.need(queue, 8, start, 'skippable frame header');
        const size = queue.u32At(4);
        queue.skip(8);
        await this.need(queue, size, start, 'skippable frame');
        queue.skip(size);
        frames += 1;
        continue;
      }
      if (magic === LEGACY_MAGIC) throw new Lz4FormatError(`legacy LZ4 format (lz4 -l) at byte ${start} is not supported`);
      if (magic !== FRAME_MAGIC) {
        throw new Lz4FormatError(`not an LZ4 frame at byte ${start}: magic number 0x${magic.toString(16).padStart(8, '0')}`);
      }
      const header = await this.readHeader(queue, start);
      yield* this.readBlocks(queue, header, start);
      frames += 1;
    }
  }

  private async need(queue: ByteQueue, n: number, frameStart: number, what: string): Promise<void> {
    if (!(await queue.fill(n))) {
      throw new Lz4FormatError(`truncated LZ4 frame (starting at byte ${frameStart}): the input ends inside its ${what}`);
    }
  }

  private async readHeader(queue: ByteQueue, start: number): Promise<FrameHeader> {
    await this.need(queue, 7, start, 'header');
    const flg = queue.byteAt(4);
    const bd = queue.byteAt(5);
    if (flg >> 6 !== 1) throw new Lz4FormatError(`LZ4 frame at byte ${start}: version ${flg >> 6} is not supported (only 1)`);
    if (flg & 0x02 || bd & 0x8f) throw new Lz4FormatError(`LZ4 frame at byte ${start}: reserved header bits are set`);
    if (flg & 0x01) throw new Lz4FormatError(`LZ4 frame at byte ${start} needs an external dictionary, which is not supported`);
    const blockMax = BLOCK_MAX_SIZES[(bd >> 4) & 0x07];
    if (blockMax === undefined) throw new Lz4FormatError(`LZ4 frame at byte ${start}: invalid block maximum size code ${(bd >> 4) & 0x07}`);
    const hasContentSize = (flg & 0x08) !== 0;
    const length = 7 + (hasContentSize ? 8 : 0);
    await this.need(queue, length, start, 'header');
    let contentSize: number | null = null;
    if (hasContentSize) {
      const low = queue.u32At(6);
      const high = queue.u32At(10);
      contentSize = high * 2 ** 32 + low;
    }
    const descriptor = queue.take(length - 1).subarray(4);
    const checksum = queue.byteAt(0);
    queue.skip(1);
    const expected = (xxh32(await this.blockHash(), descriptor) >>> 8) & 0xff;
    if (checksum !== expected) {
      throw new Lz4FormatError(`LZ4 frame at byte ${start}: header checksum 0x${checksum.toString(16)} does not match 0x${expected.toString(16)}`);
    }
    return {
      independent: (flg & 0x20) !== 0,
      blockChecksum: (flg & 0x10) !== 0,
      contentChecksum: (flg & 0x04) !== 0,
      contentSize,
      blockMax,
      length,
    };
  }

  private async *readBlocks(queue: ByteQueue, header: FrameHeader, start: number): AsyncGenerator<Buffer, void, undefined> {
    const content = header.contentChecksum ? await this.contentHash() : null;
    content?.init();
    const blockHasher = header.blockChecksum ? await this.blockHash() : null;
    /** The last 64 KiB of output, which a linked block may refer to. */
    let history: Buffer | null = null;
    let total = 0;
    for (let block = 1; ; block++) {
      const at = queue.consumed;
      await this.need(queue, 4, start, `block ${block} size`);
      const word = queue.u32At(0);
      queue.skip(4);
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > header.blockMax) {
        throw new Lz4FormatError(`LZ4 block ${block} at byte ${at}: size ${size} exceeds the frame's block maximum ${header.blockMax}`);
      }
      await this.need(queue, size + (header.blockChecksum ? 4 : 0), start, `block ${block}`);
      let data: Buffer;
      let raw: Buffer;
      if (stored) {
        raw = queue.take(size);
        data = raw;
      } else {
        // lz4-napi's block decoder reads the decompressed size from a 4-byte prefix; any upper bound works.
        const input = queue.take(size, 4);
        input.writeUInt32LE(header.blockMax, 0);
        raw = input.subarray(4);
        try {
          data = header.independent || history === null ? uncompressSync(input) : uncompressSync(input, history);
        } catch (error) {
          throw new Lz4FormatError(`LZ4 block ${block} at byte ${at} is corrupt: ${(error as Error).message}`);
        }
      }
      if (blockHasher) {
        const expected = queue.u32At(0);
        queue.skip(4);
        const actual = xxh32(blockHasher, raw);
        if (actual !== expected) {
          throw new Lz4FormatError(`LZ4 block ${block} at byte ${at}: checksum 0x${hex(actual)} does not match 0x${hex(expected)}`);
        }
      }
      if (!header.independent) history = keepWindow(history, data);
      content?.update(data);
      total += data.length;
      yield data;
    }
    if (content) {
      await this.need(queue, 4, start, 'content checksum');
      const expected = queue.u32At(0);
      queue.skip(4);
      const actual = Buffer.from(content.digest('binary')).readUInt32BE(0);
      if (actual !== expected) {
        throw new Lz4FormatError(`LZ4 frame at byte ${start}: content checksum 0x${hex(actual)} does not match 0x${hex(expected)}`);
      }
    }
    if (header.contentSize !== null && header.contentSize !== total) {
      throw new Lz4FormatError(`LZ4 frame at byte ${start}: ${total} bytes decompressed, the header says ${header.contentSize}`);
    }
  }

  private async blockHash(): Promise<IHasher> {
    this.blockHasher ??= await createXXHash32(0);
    return this.blockHasher;
  }

  private async contentHash(): Promise<IHasher> {
    this.contentHasher ??= await createXXHash32(0);
    return this.contentHasher;
  }
}

function xxh32(hasher: IHasher, data: Uint8Array): number {
  hasher.init();
  hasher.update(data);
  return Buffer.from(hasher.digest('binary')).readUInt32BE(0);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** The last WINDOW bytes of `history` followed by `data`, copied so a large block is not retained. */
function keepWindow(history: Buffer | null, data: Buffer): Buffer {
  if (data.length >= WINDOW) return Buffer.from(data.subarray(data.length - WINDOW));
  const joined = history ? Buffer.concat([history, data]) : Buffer.from(data);
  return joined.length > WINDOW ? Buffer.from(joined.subarray(joined.length - WINDOW)) : joined;
}

/** Decompressed content of LZ4-framed `input`, block by block. */
export function decodeLz4Frames(input: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  return new Lz4FrameDecoder().decode(input);
}
