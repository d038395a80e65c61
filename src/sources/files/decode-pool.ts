import { Worker } from 'node:worker_threads';
import type { DecodeOutput } from '../../pipeline/decode.ts';
import type { DecodeReply, DecodeRequest, DecodeWorkerSetup } from './decode-worker-protocol.ts';
import type { LineBatch } from './read-file-batches.ts';
import { fromThrownError } from './thrown-error.ts';

/** How a batch came back: its output, or the error of the stage that failed (never a rejection). */
export type DecodeResult = { output: DecodeOutput } | { stage: 'parse' | 'decode' | 'worker'; error: Error };

/**
 * Worker threads that parse and decode a files source's line batches (decode-worker.ts), started on
 * first use. Batches go to the workers in turn, so that with two workers two batches are parsed at
 * once; each result is a promise the caller awaits in the batches' order. `close()` ends them.
 */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { worker: Worker; resolve(result: DecodeResult): void }>();
  private nextId = 0;
  private turn = 0;
  private closed = false;
  /** Why a worker stopped, once one did: every later batch fails with it. */
  private stopped: Error | null = null;

  constructor(
    private readonly setup: DecodeWorkerSetup,
    /** Workers at most (each started when a batch finds the others busy). */
    readonly size: number,
  ) {}

  /** Parses and decodes `batch` in a worker; its buffers are transferred (unusable here afterwards). */
  decode(batch: LineBatch): Promise<DecodeResult> {
    if (this.closed) return Promise.resolve({ stage: 'worker', error: this.stopped ?? new Error('the files decode pool was closed') });
    const worker = this.worker();
    const id = this.nextId++;
    const request: DecodeRequest = { id, file: batch.file, text: batch.text, ends: batch.ends, numbers: batch.numbers };
    return new Promise<DecodeResult>((resolve) => {
      this.pending.set(id, { worker, resolve });
      worker.ref(); // a batch in flight keeps the process alive; an idle pool does not
      worker.postMessage(request, [batch.text.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer, batch.numbers.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.resolve({ stage: 'worker', error: new Error('the files decode pool was closed') });
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private worker(): Worker {
    if (this.workers.length < this.size) this.workers.push(this.start());
    const worker = this.workers[this.turn % this.workers.length]!;
    this.turn++;
    return worker;
  }

  private start(): Worker {
    // No inherited node flags: the worker needs none, and some (`--input-type` with `-e`) stop it starting.
    const worker = new Worker(new URL('./decode-worker-entry.mjs', import.meta.url), { workerData: this.setup, execArgv: [] });
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
      entry.resolve('output' in reply ? { output: reply.output } : { stage: reply.stage, error: fromThrownError(reply.error) });
    });
    // A worker that fails (it should not) fails the batches it held; the pool starts no other.
    const stopped = (why: string) => {
      const index = this.workers.indexOf(worker);
      if (index === -1) return; // closed on purpose
      this.workers.splice(index, 1);
      this.closed = true;
      this.stopped = new Error(`a files decode worker stopped: ${why}`);
      for (const [id, entry] of this.pending) {
        if (entry.worker !== worker) continue;
        this.pending.delete(id);
        entry.resolve({ stage: 'worker', error: this.stopped });
      }
    };
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return worker;
  }
}
