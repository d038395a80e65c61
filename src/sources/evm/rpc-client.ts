import { getHttpRpcClient, type HttpRpcClient } from 'viem/utils';
import { logger, redactUrl } from '../../logger.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { AdaptiveRateLimiter } from './rate-limiter.ts';
import { classifyRpcError, JsonRpcError, MalformedResponseError, RangeRefusalError } from './rpc-errors.ts';

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
  http: HttpRpcClient;
  limiter: AdaptiveRateLimiter;
}

/** Counts kept for the progress display, the benchmark and the tests. */
export interface RpcStats {
  /** HTTP requests sent per JSON-RPC method (a batch counts once per call inside it). */
  calls: Record<string, number>;
  retries: number;
  failovers: number;
}

/**
 * JSON-RPC over HTTP (viem's HTTP client) with per-endpoint adaptive pacing, retries with exponential
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
      // Large getLogs pages are legitimate; the range sizer keeps them bounded.
      http: getHttpRpcClient(url, { timeout: this.timeoutMs, maxResponseBodySize: 512 * 1024 * 1024 }),
      limiter: new AdaptiveRateLimiter(options.requestsPerSecond),
    }));
  }

  /** One call; resolves with `parse(result)`. A `parse` that throws MalformedResponseError triggers a retry. */
  request<T>(call: RpcCall, parse: (result: unknown) => T): Promise<T> {
    return this.send([call], (results) => [parse(results[0])], false).then((r) => r[0] as T);
  }

  /** Several calls in one HTTP request (JSON-RPC batch); all are retried together on a failure. */
  batch<T>(calls: RpcCall[], parse: (result: unknown, index: number) => T): Promise<T[]> {
    if (calls.length === 0) return Promise.resolve([]);
    return this.send(calls, (results) => results.map((r, i) => parse(r, i)), true);
  }

  private async send<T>(calls: RpcCall[], parse: (results: unknown[]) => T[], asBatch: boolean): Promise<T[]> {
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
        const results = await this.sendOnce(endpoint, calls, asBatch);
        const parsed = parse(results);
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

  private async sendOnce(endpoint: Endpoint, calls: RpcCall[], asBatch: boolean): Promise<unknown[]> {
    const signal = this.options.signal;
    const fetchOptions = signal ? { signal } : undefined;
    if (!asBatch) {
      const response = (await endpoint.http.request({ body: calls[0]!, ...(fetchOptions ? { fetchOptions } : {}) })) as unknown;
      return [unwrap(response)];
    }
    const body = calls.map((call, id) => ({ ...call, id }));
    const responses = (await endpoint.http.request({ body, ...(fetchOptions ? { fetchOptions } : {}) })) as unknown;
    if (!Array.isArray(responses)) throw new MalformedResponseError('batch response is not a list');
    const byId = new Map<number, unknown>();
    for (const response of responses) {
      if (typeof response !== 'object' || response === null) throw new MalformedResponseError('batch response entry is not an object');
      byId.set(Number((response as { id?: unknown }).id), response);
    }
    return body.map((call) => {
      const response = byId.get(call.id);
      if (response === undefined) throw new MalformedResponseError(`batch response lacks id ${call.id}`);
      return unwrap(response);
    });
  }
}

/** Returns `result` or throws the JSON-RPC error carried with HTTP 200. */
function unwrap(response: unknown): unknown {
  if (typeof response !== 'object' || response === null) throw new MalformedResponseError('JSON-RPC response is not an object');
  const r = response as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
  if (r.error !== undefined && r.error !== null) {
    const code = typeof r.error.code === 'number' ? r.error.code : -32603;
    const base = typeof r.error.message === 'string' ? r.error.message : JSON.stringify(r.error);
    // Some providers put the useful part (a suggested range) in `data`; keep it in the message.
    const message = r.error.data === undefined ? base : `${base} ${JSON.stringify(r.error.data)}`;
    throw new JsonRpcError(code, message, r.error.data);
  }
  if (!('result' in r)) throw new MalformedResponseError('JSON-RPC response has neither result nor error');
  return r.result;
}
