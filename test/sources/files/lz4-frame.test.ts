import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createXXHash32 } from 'hash-wasm';
import { compressFrameSync } from 'lz4-napi';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLz4Frames, Lz4FormatError } from '../../../src/sources/files/lz4-frame.ts';
import { encodeLz4Frame } from '../../../src/sources/files/lz4-frame-encode.ts';

/** The reference `lz4` command line (Debian package `lz4`), when installed. */
const lz4Cli = spawnSync('lz4', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_CLI = 'skipped: the lz4 command is not installed (apt-get install -y lz4)';
const dir = mkdtempSync(join(tmpdir(), 'liqscope-lz4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** JSON lines that compress like node fills, plus some random bytes so blocks are not trivial. */
function sampleText(lines: number, seed = 7): Buffer {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const noise = next().toString(36) + next().toString(36);
    out.push(JSON.stringify({ coin: ['BTC', 'ETH', 'SOL'][i % 3], px: (100 + (next() % 10000) / 100).toFixed(2), sz: String(next() % 997), tid: i, noise }));
  }
  return Buffer.from(`${out.join('\n')}\n`);
}

async function decodeAll(input: Buffer, chunkSize = 1 << 16): Promise<Buffer> {
  async function* chunks() {
    for (let i = 0; i < input.length; i += chunkSize) yield input.subarray(i, i + chunkSize);
  }
  const parts: Buffer[] = [];
  for await (const part of decodeLz4Frames(chunks())) parts.push(part);
  return Buffer.concat(parts);
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of gen) parts.push(part);
  return Buffer.concat(parts);
}

function cli(args: string[], input?: Buffer): Buffer {
  const run = spawnSync('lz4', args, { input, maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`lz4 ${args.join(' ')} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

describe('LZ4 frame decoder', () => {
  const text = sampleText(60_000); // about 5 MB: more than one 4 MiB block

  it('decodes frames written by lz4-napi (its own frame encoder), fed in chunks of any size', async () => {
    const frame = compressFrameSync(text);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect((await decodeAll(frame)).equals(text)).toBe(true);
    // one byte at a time: every header, size word and checksum straddles chunk boundaries
    const small = sampleText(300);
    expect((await decodeAll(compressFrameSync(small), 1)).equals(small)).toBe(true);
    expect((await decodeAll(compressFrameSync(small), 7)).equals(small)).toBe(true);
  });

  it('round-trips through the streaming encoder (independent 4 MiB blocks, content checksum)', async () => {
    const frame = await collect(encodeLz4Frame([text.subarray(0, 1000), text.subarray(1000)]));
    // the header the lz4 command writes by default: FLG 0x64, BD 0x70
    expect([...frame.subarray(0, 6)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x64, 0x70]);
    expect((await decodeAll(frame)).equals(text)).toBe(true);
    // incompressible input is stored (high bit of the block size)
    const random = Buffer.concat(Array.from({ length: 2200 }, (_, i) => createHash('sha256').update(String(i)).digest()));
    const stored = await collect(encodeLz4Frame([random]));
    expect(stored.readUInt32LE(7) >>> 31).toBe(1);
    expect((await decodeAll(stored)).equals(random)).toBe(true);
    // empty content is one frame with no block
    expect((await decodeAll(await collect(encodeLz4Frame([])))).length).toBe(0);
  });

  it.skipIf(!lz4Cli)(`decodes what the lz4 command writes: default, linked blocks, 64 KiB blocks with checksums and size (${lz4Cli ? 'lz4 found' : NO_CLI})`, async () => {
    const path = join(dir, 'text');
    writeFileSync(path, text);
    for (const flags of [[], ['-BD'], ['-B4', '-BX', '--content-size'], ['-B5', '-BD', '--no-frame-crc'], ['-9']]) {
      const frame = cli([...flags, '-c', path]);
      const out = await decodeAll(frame, 100_003);
      expect(out.equals(text), `lz4 ${flags.join(' ')}`).toBe(true);
    }
    // concatenated frames (cat a.lz4 b.lz4) decode to the concatenated content
    const first = sampleText(100, 1);
    const second = sampleText(100, 2);
    const both = Buffer.concat([cli(['-c'], first), cli(['-BD', '-c'], second)]);
    expect((await decodeAll(both)).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it.skipIf(!lz4Cli)(`writes frames the lz4 command reads back (${lz4Cli ? 'lz4 found' : NO_CLI})`, async () => {
    const path = join(dir, 'ours.lz4');
    writeFileSync(path, await collect(encodeLz4Frame([text])));
    expect(cli(['-d', '-c', path]).equals(text)).toBe(true);
  });

  it('skips skippable frames', async () => {
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a53, 0);
    skippable.writeUInt32LE(5, 4);
    const small = sampleText(10);
    const input = Buffer.concat([skippable, compressFrameSync(small)]);
    expect((await decodeAll(input, 3)).equals(small)).toBe(true);
  });

  it('refuses corrupt, truncated and foreign input with a reason', async () => {
    const frame = await collect(encodeLz4Frame([text]));
    const refuse = async (input: Buffer, message: RegExp) => {
      const error = await decodeAll(input).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Lz4FormatError);
      expect((error as Error).message).toMatch(message);
    };
    await refuse(frame.subarray(0, frame.length - 100), /truncated LZ4 frame .*block 2/);
    await refuse(frame.subarray(0, frame.length - 2), /truncated LZ4 frame .*content checksum/);
    const flipped = Buffer.from(frame);
    flipped[frame.length - 1]! ^= 0xff; // the content checksum itself
    await refuse(flipped, /content checksum 0x[0-9a-f]{8} does not match/);
    const header = Buffer.from(frame);
    header[6]! ^= 0x01;
    await refuse(header, /header checksum/);
    await refuse(Buffer.from('{"not":"lz4"}\n'), /not an LZ4 frame at byte 0: magic number 0x/);
    await refuse(Buffer.alloc(0), /empty input/);
    const legacy = Buffer.alloc(8);
    legacy.writeUInt32LE(0x184c2102, 0);
    await refuse(legacy, /legacy LZ4 format/);
    // a corrupt block: one literal 'A', then a match 65,535 bytes back, before the start of the output
    const hasher = await createXXHash32(0);
    hasher.init();
    hasher.update(Uint8Array.of(0x60, 0x40));
    const hc = (Buffer.from(hasher.digest('binary')).readUInt32BE(0) >>> 8) & 0xff;
    const block = Buffer.from([0x10, 0x41, 0xff, 0xff, 0x00]);
    const bad = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, hc]), Buffer.from([block.length, 0, 0, 0]), block, Buffer.alloc(4)]);
    await refuse(bad, /LZ4 block 1 at byte 7 is corrupt: /);
  });

  it.skipIf(!lz4Cli)(`verifies block checksums (frames with them come from the lz4 command; ${lz4Cli ? 'lz4 found' : NO_CLI})`, async () => {
    const frame = cli(['-B4', '-BX', '-c'], sampleText(200));
    const corrupt = Buffer.from(frame);
    // header is 7 bytes; the first block's checksum is the 4 bytes after its data
    const size = corrupt.readUInt32LE(7) & 0x7fffffff;
    corrupt[7 + 4 + size]! ^= 0x01;
    await expect(decodeAll(corrupt)).rejects.toThrow(/LZ4 block 1 at byte 7: checksum/);
  });
});
