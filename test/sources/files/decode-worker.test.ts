import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonLine } from '../../../src/pipeline/records.ts';
import type { MarketInfo } from '../../../src/pipeline/registry.ts';
import type { SourceInfo } from '../../../src/pipeline/source-info.ts';
import type { CursorRow, SourceBatch } from '../../../src/pipeline/source.ts';
import { FileLineError, FilesSourceError } from '../../../src/sources/files/errors.ts';
import { FilesSource, type FilesSourceOptions } from '../../../src/sources/files/files-source.ts';
import { lineDecoder, moduleLessDecoder } from './line-decoder.ts';

/**
 * Files decoded in the files source's decode workers (decode-pool.ts, decode-worker.ts): this thread
 * reads and splits the lines, a worker parses them and decodes them with the decoder the runner holds,
 * imported by its module, and only the output comes back. The batches (labels, cursors, progress) are
 * what the same files give when read and parsed in this thread, the rows are the decoder's for those
 * lines in that context, in order, and errors arrive as they were thrown.
 */
const info: SourceInfo = {
  id: 'files-worker-test',
  kind: 'files',
  protocol: 'test',
  venue: 'test',
  chain: 'test',
  chainId: null,
  addresses: [],
  options: { tag: 'seen' },
};
const market: MarketInfo = { venue: 'test', chainId: null, market: 'm1', symbol: 'M1-USD', asset: 'M1', quote: 'USD' };
const inWorker = (over: Partial<FilesSourceOptions> = {}, workers = 1) =>
  new FilesSource({ info, paths: [root], decodeInWorker: { decoder: lineDecoder, registry: { markets: [market], tokens: [] }, minBytes: 0, workers }, ...over });
const inThread = (over: Partial<FilesSourceOptions> = {}) => new FilesSource({ info, paths: [root], ...over });

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'liqscope-files-worker-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, content: string | Buffer): void {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function lines(tag: string, n: number, from = 1): string {
  let out = '';
  for (let k = from; k < from + n; k++) out += `${JSON.stringify({ f: tag, i: k })}\n`;
  return out;
}

/** Pulls to the end (or `max` batches), committing each batch's cursors into `cursors`. */
async function pull(source: FilesSource, cursors = new Map<string, CursorRow>(), max = Infinity): Promise<SourceBatch<JsonLine>[]> {
  const out: SourceBatch<JsonLine>[] = [];
  const gen = source.pull({ cursors, signal: new AbortController().signal });
  for (;;) {
    if (out.length >= max) {
      await gen.return({ state: 'caught-up', progress: null });
      return out;
    }
    const next = await gen.next();
    if (next.done) return out;
    if (next.value.type !== 'batch') throw new Error('files sources never rewind');
    out.push(next.value);
    for (const c of next.value.cursors) cursors.set(c.stream, { stream: c.stream, position: c.position, blockNumber: null, blockHash: null });
  }
}

/** The rows of worker-decoded batches as `kind` (`tag:i`) strings. */
async function kinds(batches: SourceBatch<JsonLine>[]): Promise<string[]> {
  const out: string[] = [];
  for (const b of batches) {
    expect(b.records).toEqual([]); // the lines never cross
    if (!b.decoded) continue;
    const output = await b.decoded.output;
    expect(output.venueEvents.length).toBe(b.decoded.records);
    out.push(...output.venueEvents.map((e) => e.kind as string));
  }
  return out;
}

/** What the runner's own view of a batch is, without its records or output. */
const shape = (b: SourceBatch<JsonLine>) => ({ label: b.label, cursors: b.cursors, progress: b.progress });

describe('FilesSource decoding in worker threads', () => {
  it('gives the batches this thread would (labels, cursors, progress) with the decoder\'s rows for their lines', async () => {
    // 23 lines in batches of 2 (12 batches: more than the pool holds ahead), plain and LZ4, two files
    put('hourly/20251010/9', lines('9', 11));
    put('hourly/20251010/10.lz4', compressFrameSync(Buffer.from(lines('10', 12))));
    const worker = await pull(inWorker({ batchLines: 2 }));
    const thread = await pull(inThread({ batchLines: 2 }));
    expect(worker.map(shape)).toEqual(thread.map(shape));
    const labels = (file: string, n: number) => [...Array(Math.ceil(n / 2))].map((_, k) => `${file} lines ${2 * k + 1}–${Math.min(2 * k + 2, n)}`);
    expect(worker.map((b) => b.label)).toEqual([...labels('hourly/20251010/9', 11), ...labels('hourly/20251010/10', 12)]);
    expect(worker.at(-1)!.cursors).toEqual([{ stream: 'hourly/20251010/10', position: `12 bytes=${lines('10', 12).length} size=${compressFrameSync(Buffer.from(lines('10', 12))).length}` }]);
    expect(await kinds(worker)).toEqual([...Array(11)].map((_, k) => `9:${k + 1}`).concat([...Array(12)].map((_, k) => `10:${k + 1}`)));
    // decoded with the runner's context: the source's options and registry, and times cross as Dates
    const first = (await worker[0]!.decoded!.output).venueEvents[0]!;
    expect(first.uid).toBe('hourly/20251010/9:1');
    expect(JSON.parse(first.extra as string)).toEqual({ tag: 'seen', m1: 'M1-USD' });
    expect(first.time).toEqual(new Date('2025-10-10T21:00:01Z'));
  });

  it('keeps the batches\' order with two workers decoding at once, whichever finishes first', async () => {
    // the first batch takes 300 ms in one worker while the other decodes the next batches
    put('a', `${JSON.stringify({ f: 'a', i: 1, waitMs: 300 })}\n${lines('a', 39, 2)}`);
    const batches = await pull(inWorker({ batchLines: 3 }, 2));
    expect(batches.map((b) => b.label).slice(-2)).toEqual(['a lines 37–39', 'a lines 40–40']);
    expect(await kinds(batches)).toEqual([...Array(40)].map((_, k) => `a:${k + 1}`));
  });

  it('resumes from the committed cursors (a plain file by its offset, an LZ4 file by its line count)', async () => {
    put('a', lines('a', 7));
    put('b.lz4', compressFrameSync(Buffer.from(lines('b', 7))));
    const cursors = new Map<string, CursorRow>();
    const first = await pull(inWorker({ batchLines: 3 }), cursors, 2);
    expect(await kinds(first)).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'a:6']);
    cursors.set('b', { stream: 'b', position: '5', blockNumber: null, blockHash: null });
    const rest = await pull(inWorker({ batchLines: 3 }), cursors);
    expect(await kinds(rest)).toEqual(['a:7', 'b:6', 'b:7']);
    expect(await pull(inWorker(), cursors)).toEqual([]);
  });

  it('stops on a line that is not JSON with the same FileLineError, after the complete batches before it', async () => {
    put('hourly/20251010/5', `${lines('b', 4)}{"f":"b","i":5\n${lines('b', 2, 6)}`);
    const cursors = new Map<string, CursorRow>();
    const gen = inWorker({ batchLines: 3 }).pull({ cursors, signal: new AbortController().signal });
    const yielded: SourceBatch<JsonLine>[] = [];
    const error = await (async () => {
      try {
        for (;;) {
          const next = await gen.next();
          if (next.done) return null;
          yielded.push(next.value as SourceBatch<JsonLine>);
        }
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FileLineError);
    expect((error as FileLineError).line).toBe(5);
    expect((error as Error).message).toMatch(/^hourly\/20251010\/5:5: not JSON: /);
    expect(await kinds(yielded)).toEqual(['b:1', 'b:2', 'b:3']);
  });

  it('fails the batch a decoder throws on with its error (name, message, fields), and reads no further', async () => {
    put('f', `${lines('f', 4)}{"bad":true}\n${lines('f', 5, 6)}`);
    const batches = await pull(inWorker({ batchLines: 2 }));
    expect(batches.map((b) => b.label)).toEqual(['f lines 1–2', 'f lines 3–4', 'f lines 5–6']);
    expect(await kinds(batches.slice(0, 2))).toEqual(['f:1', 'f:2', 'f:3', 'f:4']);
    const error = await batches[2]!.decoded!.output.then(
      () => null,
      (e: unknown) => e as Error & { file?: string; line?: number },
    );
    expect([error?.name, error?.message, error?.file, error?.line]).toEqual(['LineDecodeError', 'f:5: the line says it is bad', 'f', 5]);
  });

  it('names the file of a corrupt LZ4 frame with the same FilesSourceError', async () => {
    const frame = compressFrameSync(Buffer.from(lines('t', 50)));
    put('t.lz4', frame.subarray(0, frame.length - 3));
    await expect(pull(inWorker({ batchLines: 100 }))).rejects.toThrow(FilesSourceError);
    await expect(pull(inWorker({ batchLines: 100 }))).rejects.toThrow(/^t: is not a valid LZ4 file: truncated LZ4 frame/);
  });

  it('stops reading when its consumer stops early, and the next pull starts afresh', async () => {
    put('big', lines('x', 200));
    const cursors = new Map<string, CursorRow>();
    const first = await pull(inWorker({ batchLines: 10 }), cursors, 1);
    expect(await kinds(first)).toEqual([...Array(10)].map((_, k) => `x:${k + 1}`));
    const rest = await pull(inWorker({ batchLines: 100 }), cursors);
    expect((await kinds(rest)).length).toBe(190);
  });

  it('reads files with fewer unread bytes than minBytes in this thread', async () => {
    put('small', lines('s', 3));
    put('large', lines('l', 300));
    const source = new FilesSource({ info, paths: [root], decodeInWorker: { decoder: lineDecoder, registry: { markets: [], tokens: [] }, minBytes: 1000 } });
    const batches = await pull(source);
    expect(batches.map((b) => [b.label, b.records.length, b.decoded?.records ?? null])).toEqual([
      ['large lines 1–300', 0, 300],
      ['small lines 1–3', 3, null],
    ]);
  });

  it('refuses a decoder the worker cannot import', () => {
    expect(() => new FilesSource({ info, paths: [root], decodeInWorker: { decoder: moduleLessDecoder, registry: { markets: [], tokens: [] } } })).toThrow(
      /files-worker-test: its decoder cannot run in a worker \(it needs workerModule and usesPending: false\)/,
    );
  });
});
