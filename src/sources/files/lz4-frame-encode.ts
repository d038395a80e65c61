import { createXXHash32 } from 'hash-wasm';
import { compressSync } from 'lz4-napi';

/**
 * Streaming LZ4 frame encoder writing what `lz4` writes by default (FLG 0x64, BD 0x70: independent
 * 4 MiB blocks, a content checksum): one frame for the whole input, however long, in constant
 * memory. For the benchmark and tests, which need archive-like `.lz4` files larger than memory
 * should hold; lz4-napi's own frame encoder takes the whole input at once.
 */
const FRAME_MAGIC = 0x184d2204;
const BLOCK_SIZE = 4 << 20;
const FLG = 0x64; // version 01, independent blocks, content checksum
const BD = 0x70; // 4 MiB blocks

export async function* encodeLz4Frame(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer, void, undefined> {
  const header = await createXXHash32(0);
  header.init();
  header.update(Uint8Array.of(FLG, BD));
  const hc = (Buffer.from(header.digest('binary')).readUInt32BE(0) >>> 8) & 0xff;
  const start = Buffer.alloc(7);
  start.writeUInt32LE(FRAME_MAGIC, 0);
  start[4] = FLG;
  start[5] = BD;
  start[6] = hc;
  yield start;

  const content = await createXXHash32(0);
  content.init();
  let pending: Buffer[] = [];
  let pendingLength = 0;
  const emit = (block: Buffer): Buffer => {
    content.update(block);
    // compressSync writes lz4_flex's "size-prepended" block: a 4-byte length, then the raw block.
    const compressed = compressSync(block).subarray(4);
    const stored = compressed.length >= block.length;
    const body = stored ? block : compressed;
    const size = Buffer.alloc(4);
    size.writeUInt32LE((body.length | (stored ? 0x80000000 : 0)) >>> 0, 0);
    return Buffer.concat([size, body]);
  };
  for await (const chunk of input) {
    let offset = 0;
    while (offset < chunk.length) {
      const count = Math.min(BLOCK_SIZE - pendingLength, chunk.length - offset);
      pending.push(Buffer.from(chunk.subarray(offset, offset + count)));
      pendingLength += count;
      offset += count;
      if (pendingLength === BLOCK_SIZE) {
        yield emit(Buffer.concat(pending, pendingLength));
        pending = [];
        pendingLength = 0;
      }
    }
  }
  if (pendingLength > 0) yield emit(Buffer.concat(pending, pendingLength));
  const end = Buffer.alloc(8);
  end.writeUInt32LE(0, 0);
  end.writeUInt32LE(Buffer.from(content.digest('binary')).readUInt32BE(0), 4);
  yield end;
}
