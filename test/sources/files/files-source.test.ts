import { appendFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonLine } from '../../../src/pipeline/records.ts';
import type { SourceInfo } from '../../../src/pipeline/source-info.ts';
import type { CursorRow, PullEnd, SourceBatch, SourceItem } from '../../../src/pipeline/source.ts';
import { FileLineError, FilesSourceError } from '../../../src/sources/files/errors.ts';
import { FilesSource } from '../../../src/sources/files/files-source.ts';
import { compareNatural } from '../../../src/util/natural-compare.ts';

const info: SourceInfo = {
  id: 'files-test',
  kind: 'files',
  protocol: 'test',
  venue: 'test',
  chain: 'test',
  chainId: null,
  addresses: [],
  options: {},
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'liqscope-files-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, content: string | Buffer): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** `n` JSON lines `{"f":tag,"i":k}` for k = from…from+n−1, each ending with a newline. */
function lines(tag: string, n: number, from = 1): string {
  let out = '';
  for (let k = from; k < from + n; k++) out += `${JSON.stringify({ f: tag, i: k })}\n`;
  return out;
}

/** The committed cursor table of a run: what a runner would hold after writing `batches`. */
class Cursors {
  rows = new Map<string, CursorRow>();
  apply(batch: SourceBatch<JsonLine>): void {
    for (const c of batch.cursors) this.rows.set(c.stream, { stream: c.stream, position: c.position, blockNumber: null, blockHash: null });
  }
}

/** Pulls to the end (or `maxBatches`), committing each batch's cursors; returns the batches and how it ended. */
async function pull(source: FilesSource, cursors: Cursors, maxBatches = Infinity): Promise<{ batches: SourceBatch<JsonLine>[]; end: PullEnd | null }> {
  const batches: SourceBatch<JsonLine>[] = [];
  const gen = source.pull({ cursors: cursors.rows, signal: new AbortController().signal });
  for (;;) {
    if (batches.length >= maxBatches) {
      await gen.return({ state: 'caught-up', progress: null });
      return { batches, end: null };
    }
    const next = await gen.next();
    if (next.done) return { batches, end: next.value };
    const item: SourceItem<JsonLine> = next.value;
    if (item.type !== 'batch') throw new Error('files sources never rewind');
    batches.push(item);
    cursors.apply(item);
  }
}

const records = (batches: SourceBatch<JsonLine>[]) => batches.flatMap((b) => b.records);
const ids = (batches: SourceBatch<JsonLine>[]) => records(batches).map((r) => `${(r.value as { f: string }).f}:${(r.value as { i: number }).i}`);

describe('FilesSource', () => {
  it('walks directories in numeric-aware key order, skips dotfiles, and keys files relative to their root', async () => {
    put('hourly/20251010/10', lines('10', 2));
    put('hourly/20251010/9', lines('9', 2));
    put('hourly/20251009/23', lines('23', 1));
    put('hourly/20251010/.9.swp', 'not json\n');
    put('.hidden/20251010/1', 'not json\n');
    const source = new FilesSource({ info, paths: [root] });
    const { batches, end } = await pull(source, new Cursors());
    expect(batches.map((b) => b.label)).toEqual(['hourly/20251009/23 lines 1–1', 'hourly/20251010/9 lines 1–2', 'hourly/20251010/10 lines 1–2']);
    expect(ids(batches)).toEqual(['23:1', '9:1', '9:2', '10:1', '10:2']);
    expect(records(batches)[1]).toEqual({ file: 'hourly/20251010/9', line: 1, value: { f: '9', i: 1 } });
    // cursor: lines done and the byte offset after them ({"f":"9","i":1} and its newline are 16 bytes)
    const nine = batches[1]!;
    expect(nine.cursors).toEqual([{ stream: 'hourly/20251010/9', position: `2 bytes=${lines('9', 2).length}` }]);
    const total = [lines('10', 2), lines('9', 2), lines('23', 1)].reduce((s, t) => s + t.length, 0);
    expect(end?.progress).toEqual({ unit: 'bytes', start: 0n, position: BigInt(total), target: BigInt(total) });
    expect(batches.map((b) => b.progress.position)).toEqual([
      BigInt(lines('23', 1).length),
      BigInt(lines('23', 1).length + lines('9', 2).length),
      BigInt(total),
    ]);
  });

  it('uses the protocol order when given, and accepts files given directly (keyed by name)', async () => {
    const a = put('x/b.jsonl', lines('b', 1));
    const b = put('y/a.jsonl', lines('a', 1));
    const reverse = (p: string, q: string) => -compareNatural(p, q);
    const { batches } = await pull(new FilesSource({ info, paths: [b, a], compareFiles: reverse }), new Cursors());
    expect(batches.map((x) => x.cursors[0]!.stream)).toEqual(['b.jsonl', 'a.jsonl']);
    // two files with the same key would share a cursor
    put('z/a.jsonl', lines('a', 1));
    await expect(pull(new FilesSource({ info, paths: [b, join(root, 'z/a.jsonl')] }), new Cursors())).rejects.toThrow(
      /a\.jsonl: two files have this key/,
    );
    await expect(pull(new FilesSource({ info, paths: [join(root, 'nope')] }), new Cursors())).rejects.toThrow(FilesSourceError);
    // A plain and an LZ4 copy of one hour are the same data (one key): an error, never imported twice.
    put('w/hourly/20251010/21', lines('h', 2));
    writeFileSync(join(root, 'w/hourly/20251010/21.lz4'), compressFrameSync(Buffer.from(lines('h', 2))));
    await expect(pull(new FilesSource({ info, paths: [join(root, 'w')] }), new Cursors())).rejects.toThrow(/hourly\/20251010\/21: two files have this key/);
  });

  it('cuts batches by line count and by text size', async () => {
    put('f', lines('f', 10));
    const { batches } = await pull(new FilesSource({ info, paths: [root], batchLines: 4 }), new Cursors());
    expect(batches.map((b) => b.label)).toEqual(['f lines 1–4', 'f lines 5–8', 'f lines 9–10']);
    expect(batches.map((b) => b.cursors[0]!.position.split(' ')[0])).toEqual(['4', '8', '10']);
    // every line of `lines` is 15 bytes without its newline ({"f":"f","i":1} → 15, i ≥ 10 → 16)
    const bySize = await pull(new FilesSource({ info, paths: [root], batchBytes: 40 }), new Cursors());
    expect(bySize.batches.map((b) => b.records.length)).toEqual([3, 3, 3, 1]);
  });

  it('resumes a killed import from its cursors with no gap and no duplicate, and picks up files and lines added later', async () => {
    put('hourly/20251010/1', lines('1', 7));
    put('hourly/20251010/2', lines('2', 5));
    const cursors = new Cursors();
    const all: string[] = [];
    // killed after 2 batches (the runner committed exactly those)
    const first = await pull(new FilesSource({ info, paths: [root], batchLines: 3 }), cursors, 2);
    all.push(...ids(first.batches));
    expect(ids(first.batches)).toEqual(['1:1', '1:2', '1:3', '1:4', '1:5', '1:6']);
    // resumed by a new process with the committed cursors
    const second = await pull(new FilesSource({ info, paths: [root], batchLines: 3 }), cursors);
    all.push(...ids(second.batches));
    expect(second.batches[0]!.label).toBe('hourly/20251010/1 lines 7–7');
    // nothing new: no batch at all
    expect((await pull(new FilesSource({ info, paths: [root], batchLines: 3 }), cursors)).batches).toEqual([]);
    // the node appends to the current hour and starts the next one
    appendFileSync(join(root, 'hourly/20251010/2'), lines('2', 2, 6));
    put('hourly/20251010/3', lines('3', 1));
    const third = await pull(new FilesSource({ info, paths: [root], batchLines: 3 }), cursors);
    all.push(...ids(third.batches));
    expect(third.batches.map((b) => b.label)).toEqual(['hourly/20251010/2 lines 6–7', 'hourly/20251010/3 lines 1–1']);
    const expected = [...Array(7)].map((_, k) => `1:${k + 1}`).concat([...Array(7)].map((_, k) => `2:${k + 1}`), ['3:1']);
    expect(all).toEqual(expected);
  });

  it('leaves a plain file\'s last line without a newline for later (the node may still be writing it)', async () => {
    const path = put('live', `${lines('l', 2)}{"f":"l","i":`);
    const cursors = new Cursors();
    const first = await pull(new FilesSource({ info, paths: [root] }), cursors);
    expect(ids(first.batches)).toEqual(['l:1', 'l:2']);
    expect(cursors.rows.get('live')!.position).toBe(`2 bytes=${lines('l', 2).length}`);
    appendFileSync(path, '3}\n');
    const second = await pull(new FilesSource({ info, paths: [root] }), cursors);
    expect(second.batches.map((b) => b.label)).toEqual(['live lines 3–3']);
    expect(ids(second.batches)).toEqual(['l:3']);
  });

  it('reads .lz4 files (and LZ4 files without the extension) as streams; their last line needs no newline; a complete file is skipped by size', async () => {
    const content = `${lines('z', 5)}{"f":"z","i":6}`;
    put('hourly/20251010/21.lz4', compressFrameSync(Buffer.from(content)));
    put('hourly/20251010/22', compressFrameSync(Buffer.from(lines('y', 2))));
    const cursors = new Cursors();
    const first = await pull(new FilesSource({ info, paths: [root], batchLines: 4 }), cursors);
    expect(ids(first.batches)).toEqual(['z:1', 'z:2', 'z:3', 'z:4', 'z:5', 'z:6', 'y:1', 'y:2']);
    const size = compressFrameSync(Buffer.from(content)).length;
    expect(cursors.rows.get('hourly/20251010/21')!.position).toBe(`6 bytes=${Buffer.byteLength(content)} size=${size}`);
    expect(first.batches[0]!.cursors[0]!.position).toBe(`4 bytes=${lines('z', 4).length}`);
    // complete: nothing is read again
    expect((await pull(new FilesSource({ info, paths: [root] }), cursors)).batches).toEqual([]);
  });

  it('names the file when an LZ4 file is corrupt or truncated, after yielding the complete batches before the damage', async () => {
    const content = Buffer.from(lines('t', 400));
    const frame = compressFrameSync(content);
    put('hourly/20251010/23.lz4', frame.subarray(0, frame.length - 3));
    const yielded: string[] = [];
    const gen = new FilesSource({ info, paths: [root], batchLines: 100 }).pull({ cursors: new Map(), signal: new AbortController().signal });
    const error = await (async () => {
      try {
        for (;;) {
          const next = await gen.next();
          if (next.done) return null;
          yielded.push(...ids([next.value as SourceBatch<JsonLine>]));
        }
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(FilesSourceError);
    expect(error!.message).toMatch(/^hourly\/20251010\/23: is not a valid LZ4 file: truncated LZ4 frame/);
    // the frame's one block decodes fully, but its end mark is cut: lines 1–300 went out in complete
    // batches, lines 301–400 were waiting for the file's end and are not yielded
    expect(yielded).toEqual([...Array(300)].map((_, k) => `t:${k + 1}`));
  });

  it('resumes inside an LZ4 file by counting the lines already imported', async () => {
    put('h.lz4', compressFrameSync(Buffer.from(lines('h', 10))));
    const cursors = new Cursors();
    const first = await pull(new FilesSource({ info, paths: [root], batchLines: 4 }), cursors, 1);
    expect(ids(first.batches)).toEqual(['h:1', 'h:2', 'h:3', 'h:4']);
    const rest = await pull(new FilesSource({ info, paths: [root], batchLines: 4 }), cursors);
    expect(ids(rest.batches)).toEqual(['h:5', 'h:6', 'h:7', 'h:8', 'h:9', 'h:10']);
  });

  it('fails on a line that is not JSON with file:line and the parser\'s reason, and yields nothing of its batch', async () => {
    put('hourly/20251010/5', `${lines('b', 4)}{"f":"b","i":5\n${lines('b', 2, 6)}`);
    const cursors = new Cursors();
    const yielded: string[] = [];
    const source = new FilesSource({ info, paths: [root], batchLines: 3 });
    const gen = source.pull({ cursors: cursors.rows, signal: new AbortController().signal });
    let error: unknown = null;
    try {
      for (;;) {
        const next = await gen.next();
        if (next.done) break;
        const item = next.value as SourceBatch<JsonLine>;
        yielded.push(...ids([item]));
        cursors.apply(item);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileLineError);
    expect((error as Error).message).toMatch(/^hourly\/20251010\/5:5: not JSON: /);
    expect((error as FileLineError).line).toBe(5);
    // the complete batch before it (lines 1–3) was yielded; line 4, in the failing line's batch, was not
    expect(yielded).toEqual(['b:1', 'b:2', 'b:3']);
    expect(cursors.rows.get('hourly/20251010/5')!.position.split(' ')[0]).toBe('3');
    // the next run fails the same way, from the same cursor
    await expect(pull(new FilesSource({ info, paths: [root], batchLines: 3 }), cursors)).rejects.toThrow(/:5: not JSON/);
  });

  it('refuses a file that shrank or was replaced under its cursor', async () => {
    const path = put('f', lines('f', 3));
    const cursors = new Cursors();
    await pull(new FilesSource({ info, paths: [root] }), cursors);
    truncateSync(path, 10);
    await expect(pull(new FilesSource({ info, paths: [root] }), cursors)).rejects.toThrow(/^f: is 10 bytes long, shorter than the 48 bytes already imported/);
    writeFileSync(path, `${'x'.repeat(50)}\n`);
    await expect(pull(new FilesSource({ info, paths: [root] }), cursors)).rejects.toThrow(/f: byte 48 .* is not a line end/);
    put('g', 'whatever');
    cursors.rows.set('g', { stream: 'g', position: 'garbage', blockNumber: null, blockHash: null });
    rmSync(path);
    await expect(pull(new FilesSource({ info, paths: [root] }), cursors)).rejects.toThrow(/g: stored cursor position "garbage"/);
  });

  it('refuses gzip and zstd files by their magic number instead of parsing them as text', async () => {
    put('h.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(20)]));
    await expect(pull(new FilesSource({ info, paths: [root] }), new Cursors())).rejects.toThrow(/^h\.gz: is gzip-compressed, which is not supported/);
    rmSync(join(root, 'h.gz'));
    put('h.zst', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(20)]));
    await expect(pull(new FilesSource({ info, paths: [root] }), new Cursors())).rejects.toThrow(/^h\.zst: is zstd-compressed/);
  });

  it('counts empty lines without yielding them, and accepts a bare line-count cursor', async () => {
    put('f', `${lines('f', 1)}\n\r\n${lines('f', 2, 2)}`);
    const first = await pull(new FilesSource({ info, paths: [root] }), new Cursors());
    expect(records(first.batches).map((r) => r.line)).toEqual([1, 4, 5]);
    const cursors = new Cursors();
    cursors.rows.set('f', { stream: 'f', position: '4', blockNumber: null, blockHash: null });
    const resumed = await pull(new FilesSource({ info, paths: [root] }), cursors);
    expect(records(resumed.batches).map((r) => r.line)).toEqual([5]);
  });

  it('stops between batches when its signal aborts', async () => {
    put('f', lines('f', 10));
    const controller = new AbortController();
    const gen = new FilesSource({ info, paths: [root], batchLines: 2 }).pull({ cursors: new Map(), signal: controller.signal });
    const first = await gen.next();
    expect(first.done).toBe(false);
    controller.abort();
    const next = await gen.next();
    expect(next.done).toBe(true);
  });
});

describe('compareNatural', () => {
  it('orders digit runs by value, then everything else by code unit', () => {
    const keys = ['hourly/20251010/10', 'hourly/20251010/9', 'hourly/20251009/23', 'a', 'hourly/20251010/09', 'B', 'hourly/20251010/9.lz4'];
    expect([...keys].sort(compareNatural)).toEqual([
      'B',
      'a',
      'hourly/20251009/23',
      'hourly/20251010/9',
      'hourly/20251010/9.lz4',
      'hourly/20251010/09',
      'hourly/20251010/10',
    ]);
    expect(compareNatural('x2', 'x2')).toBe(0);
    expect(compareNatural('x', 'x1')).toBeLessThan(0);
  });
});
