import { logger, redactUrl } from '../../logger.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { postJson, type PostOptions } from './http-transport.ts';
import { fetchLogsPage } from './logs-worker-client.ts';
import { parseJson, unwrap } from './json-rpc.ts';
import { AdaptiveRateLimiter } from './rate-limiter.ts';
import { classifyRpcError, MalformedResponseError, RangeRefusalError } from './rpc-errors.ts';
import type { LogsPage } from './rpc-types.ts';

export interface RpcClientOptions {
  /** Endpoints in order of preference; the client fails over to the next one on errors. */
  urls: string[];
  requestsPerSecond: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for transient failures (timeouts, resets, 5xx, garbled bodies) before giving up. */
  maxAttempts?: number;
  /** Attempts while rate-limited (429): a storm is waited out rather than failed. */
  maxRateLimitedAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  signal?: AbortSignal;
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

interface Endpoint {
  url: string;
  label: string;
  limiter: AdaptiveRateLimiter;
}

/** Large getLogs pages are legitimate (the range sizer keeps them bounded); this only stops a runaway. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

/** Counts kept for the progress display, the benchmark and the tests. */
export interface RpcStats {
  /** HTTP requests sent per JSON-RPC method (a batch counts once per call inside it). */
  calls: Record<string, number>;
  retries: number;
  failovers: number;
}

/**
 * JSON-RPC over HTTP with per-endpoint adaptive pacing, retries with exponential
 * backoff and jitter, and failover across endpoints. It never retries a range refusal: the log fetcher
 * must split the range instead.
 */
export class EvmRpcClient {
  readonly stats: RpcStats = { calls: {}, retries: 0, failovers: 0 };
  private readonly endpoints: Endpoint[];
  private preferred = 0;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRateLimitedAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(private readonly options: RpcClientOptions) {
    if (options.urls.length === 0) throw new Error('EvmRpcClient: at least one RPC URL is required');
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.maxRateLimitedAttempts = options.maxRateLimitedAttempts ?? 60;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.backoffMaxMs = options.backoffMaxMs ?? 15_000;
    this.endpoints = options.urls.map((url) => ({
      url,
      label: redactUrl(url),
      limiter: new AdaptiveRateLimiter(options.requestsPerSecond),
    }));
  }

  /** One call; resolves with `parse(result)`. A `parse` that throws MalformedResponseError triggers a retry. */
  request<T>(call: RpcCall, parse: (result: unknown) => T): Promise<T> {
    return this.send([call], false, (body) => parse(unwrap(parseJson(body))), postJson);
  }

  /**
   * One eth_getLogs call, fetched and split off the main thread (logs-worker.ts); `parsePage` validates
   * the page. It must throw the JSON-RPC error of an error response (`unwrap` does) and
   * MalformedResponseError for garbage.
   */
  requestLogsPage<T>(call: RpcCall, parsePage: (page: LogsPage) => T): Promise<T> {
    return this.send([call], false, parsePage, fetchLogsPage);
  }

  /** Several calls in one HTTP request (JSON-RPC batch); all are retried together on a failure. */
  batch<T>(calls: RpcCall[], parse: (result: unknown, index: number) => T): Promise<T[]> {
    if (calls.length === 0) return Promise.resolve([]);
    return this.send(calls, true, (body) => batchResults(calls, parseJson(body)).map((r, i) => parse(r, i)), postJson);
  }

  private async send<T, Body>(
    calls: RpcCall[],
    asBatch: boolean,
    parse: (body: Body) => T,
    transport: (url: string, body: string, options: PostOptions) => Promise<Body>,
  ): Promise<T> {
    const isGetLogs = calls.length === 1 && calls[0]!.method === 'eth_getLogs';
    let transientAttempts = 0;
    let rateLimitedAttempts = 0;
    for (;;) {
      const signal = this.options.signal;
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const endpoint = this.endpoints[this.preferred % this.endpoints.length]!;
      await endpoint.limiter.acquire(signal);
      for (const call of calls) this.stats.calls[call.method] = (this.stats.calls[call.method] ?? 0) + 1;
      try {
        const body = await transport(endpoint.url, requestBody(calls, asBatch), {
          timeoutMs: this.timeoutMs,
          maxBodyBytes: MAX_BODY_BYTES,
          ...(signal ? { signal } : {}),
        });
        const parsed = parse(body);
        endpoint.limiter.onSuccess();
        return parsed;
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        const verdict = classifyRpcError(error, isGetLogs);
        if (verdict.kind === 'refusal') {
          endpoint.limiter.onSuccess();
          const params = calls[0]!.params[0] as { fromBlock: string; toBlock: string };
          throw new RangeRefusalError(verdict.refusal!, BigInt(params.fromBlock), BigInt(params.toBlock), verdict.message);
        }
        if (verdict.kind === 'fatal') {
          throw new Error(`${calls.map((c) => c.method).join(',')} on ${endpoint.label} failed: ${verdict.message}`);
        }
        let attempt: number;
        if (verdict.kind === 'rate-limited') {
          endpoint.limiter.onRateLimited(verdict.retryAfterSeconds);
          attempt = ++rateLimitedAttempts;
          if (attempt > this.maxRateLimitedAttempts) {
            throw new Error(`${calls[0]!.method}: still rate-limited after ${attempt - 1} attempts: ${verdict.message}`);
          }
        } else {
          attempt = ++transientAttempts;
          if (attempt > this.maxAttempts) {
            throw new Error(`${calls[0]!.method}: failed after ${attempt - 1} attempts; last error: ${verdict.message}`);
          }
        }
        this.stats.retries++;
        if (this.endpoints.length > 1) {
          // Fail over: the next endpoint becomes preferred until it fails in turn.
          this.preferred = (this.preferred + 1) % this.endpoints.length;
          this.stats.failovers++;
        }
        const delay = backoffDelay(attempt - 1, this.backoffBaseMs, this.backoffMaxMs);
        logger.debug({ endpoint: endpoint.label, kind: verdict.kind, attempt, delay }, `retrying ${calls[0]!.method}: ${verdict.message.slice(0, 200)}`);
        await sleep(delay, signal);
      }
    }
  }
}

function requestBody(calls: RpcCall[], asBatch: boolean): string {
  if (!asBatch) return JSON.stringify({ jsonrpc: '2.0', id: 0, ...calls[0]! });
  return JSON.stringify(calls.map((call, id) => ({ jsonrpc: '2.0', id, ...call })));
}

/** A batch's results in call order (servers may answer in any order; ids say which is which). */
function batchResults(calls: RpcCall[], responses: unknown): unknown[] {
  if (!Array.isArray(responses)) {
    // A server that rejects the whole batch answers with one error object.
    if (typeof responses === 'object' && responses !== null && 'error' in responses) unwrap(responses);
    throw new MalformedResponseError('batch response is not a list');
  }
  const byId = new Map<number, unknown>();
  for (const response of responses) {
    if (typeof response !== 'object' || response === null) throw new MalformedResponseError('batch response entry is not an object');
    byId.set(Number((response as { id?: unknown }).id), response);
  }
  return calls.map((_, id) => {
    const response = byId.get(id);
    if (response === undefined) throw new MalformedResponseError(`batch response lacks id ${id}`);
    return unwrap(response);
  });
}
