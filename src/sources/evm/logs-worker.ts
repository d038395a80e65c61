import { parentPort } from 'node:worker_threads';
import { HttpStatusError, NetworkError, postJson, RequestTimeoutError } from './http-transport.ts';
import { splitLogsBody } from './logs-body.ts';
import type { FetchFailure, FetchReply, FetchRequest, WorkerRequest } from './logs-worker-protocol.ts';
import { MalformedResponseError } from './rpc-errors.ts';

/**
 * The eth_getLogs fetch worker: POSTs a request and splits the response (logs-body.ts) off the main
 * thread. Receiving a page, assembling its body and turning its hex into bytes is pure byte work of
 * about 1.5 s of CPU per 200,000 GMX-sized logs, and it left the main thread's garbage collector a
 * few hundred MB of buffers to account for. Here it runs beside the main thread, which only parses the
 * small JSON that remains and gets the data bytes by transfer, not copy. Retries, pacing and error
 * classification stay in the RPC client: failures travel back as the error kinds it knows.
 */
if (!parentPort) throw new Error('logs-worker.ts runs as a worker thread (logs-worker-client.ts starts it)');
const port = parentPort;
const inFlight = new Map<number, AbortController>();

port.on('message', (message: WorkerRequest) => {
  if ('cancel' in message) inFlight.get(message.cancel)?.abort();
  else void fetchPage(message);
});

async function fetchPage(request: FetchRequest): Promise<void> {
  const controller = new AbortController();
  inFlight.set(request.id, controller);
  try {
    const body = await postJson(request.url, request.body, {
      timeoutMs: request.timeoutMs,
      maxBodyBytes: request.maxBodyBytes,
      signal: controller.signal,
    });
    const split = splitLogsBody(body);
    // Only an error response names "error" outside a string: a page of logs has hex strings and keys.
    const keepBody = split.json.includes('"error"');
    const reply: FetchReply = {
      id: request.id,
      ok: true,
      json: split.json,
      payload: split.payload.buffer as ArrayBuffer,
      ends: split.ends,
      ...(keepBody ? { body: new Uint8Array(body) } : {}),
    };
    port.postMessage(reply, [reply.payload, split.ends.buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, failure: failureOf(error) } satisfies FetchReply);
  } finally {
    inFlight.delete(request.id);
  }
}

function failureOf(error: unknown): FetchFailure {
  if (error instanceof HttpStatusError) return { kind: 'status', status: error.status, headers: [...error.headers], body: error.body };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RequestTimeoutError) return { kind: 'timeout', message };
  if (error instanceof NetworkError) return { kind: 'network', message };
  if (error instanceof MalformedResponseError) return { kind: 'malformed', message };
  return { kind: 'other', message };
}
