import { Worker } from 'node:worker_threads';
import { HttpStatusError, NetworkError, RequestTimeoutError, type PostOptions } from './http-transport.ts';
import type { FetchFailure, FetchReply, FetchRequest, WorkerRequest } from './logs-worker-protocol.ts';
import { MalformedResponseError } from './rpc-errors.ts';
import type { LogsPage } from './rpc-types.ts';

/**
 * POSTs an eth_getLogs request through the fetch worker (logs-worker.ts) and resolves with the split
 * page. Fails with the same error classes as postJson and splitLogsBody in this thread, so the RPC
 * client retries, paces and classifies exactly as before.
 *
 * One worker serves the whole process (all sources, all endpoints): its work is I/O and byte copying,
 * one thread beside the main one is what a 2-core machine has room for. It is started on first use,
 * does not keep the process alive when idle, and is started again if it ever dies.
 */
export function fetchLogsPage(url: string, body: string, options: PostOptions): Promise<LogsPage> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  const worker = currentWorker();
  const id = nextId++;
  return new Promise<LogsPage>((resolve, reject) => {
    const onAbort = () => {
      settle(id)?.reject(signal?.reason ?? new Error('aborted'));
      worker.postMessage({ cancel: id } satisfies WorkerRequest);
    };
    pending.set(id, {
      resolve,
      reject,
      done: () => signal?.removeEventListener('abort', onAbort),
    });
    if (pending.size === 1) worker.ref();
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage({ id, url, body, timeoutMs: options.timeoutMs, maxBodyBytes: options.maxBodyBytes } satisfies FetchRequest);
  });
}

interface Pending {
  resolve(page: LogsPage): void;
  reject(error: unknown): void;
  done(): void;
}

const pending = new Map<number, Pending>();
let nextId = 0;
let worker: Worker | undefined;

function currentWorker(): Worker {
  if (worker) return worker;
  // No inherited node flags: the worker needs none, and some (`--input-type` with `-e`) stop it starting.
  const started = new Worker(new URL('./logs-worker-entry.mjs', import.meta.url), { execArgv: [] });
  started.unref();
  started.on('message', (reply: FetchReply) => receive(reply));
  // A worker that fails (it should not) takes its requests with it: they fail as network errors, which
  // the RPC client retries, and the next request starts a new worker.
  const stopped = (why: string) => {
    if (worker === started) worker = undefined;
    for (const id of [...pending.keys()]) settle(id)?.reject(new NetworkError(`the eth_getLogs fetch worker stopped: ${why}`));
  };
  started.on('error', (error) => stopped(error.message));
  started.on('exit', (code) => stopped(`exit code ${code}`));
  worker = started;
  return started;
}

/** Removes a request from the table (once) and lets the worker go idle when none is left. */
function settle(id: number): Pending | undefined {
  const entry = pending.get(id);
  if (!entry) return undefined;
  pending.delete(id);
  entry.done();
  if (pending.size === 0) worker?.unref();
  return entry;
}

function receive(reply: FetchReply): void {
  const entry = settle(reply.id);
  if (!entry) return; // cancelled meanwhile
  if (!reply.ok) {
    entry.reject(errorOf(reply.failure));
    return;
  }
  entry.resolve({
    json: reply.json,
    payload: Buffer.from(reply.payload),
    ends: reply.ends,
    ...(reply.body ? { body: Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength) } : {}),
  });
}

function errorOf(failure: FetchFailure): Error {
  switch (failure.kind) {
    case 'status':
      return new HttpStatusError(failure.status, new Headers(failure.headers), failure.body);
    case 'timeout':
      return new RequestTimeoutError(failure.message);
    case 'network':
      return new NetworkError(failure.message);
    case 'malformed':
      return new MalformedResponseError(failure.message);
    case 'other':
      return new Error(failure.message);
  }
}
