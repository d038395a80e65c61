import { logger } from '../../logger.ts';
import { describeEndpoint, registerUrlSecrets } from '../../secrets.ts';
import { backoffDelay, sleep } from '../../util/backoff.ts';
import { postJson, type PostOptions } from './http-transport.ts';
import { fetchLogsPage } from './logs-worker-client.ts';
import { parseJson, unwrap } from './json-rpc.ts';
import { AdaptiveRateLimiter } from './rate-limiter.ts';
import { classifyRpcError, MalformedResponseError, RangeRefusalError } from './rpc-errors.ts';
import type { LogsPage } from './rpc-types.ts';

export interface RpcClientOptions {
  /** Endpoints in order of preference; the client fails over to the next one on errors. */
  urls: string[];
  /**
   * Stable name of the endpoints in logs and errors (the chain's key in the config): endpoint i is
   * `<name>#i (<host>)`, never its path, query or userinfo, which carry keys.
   */
  name?: string;
  requestsPerSecond: number;
  /** Timeout of one attempt (clipped to what is left of `budgetMs`). */
  timeoutMs?: number;
  /** Time one request may take in all, retries and backoff included, before it fails with its last error. */
  budgetMs?: number;
  /** A request still failing after this long is logged at warn level, and again each time the time doubles. */
  slowWarnMs?: number;
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
  /** `arbitrum#0 (arb-mainnet.g.alchemy.com)`: safe to print. */
  label: string;
  /** `arbitrum#0`: the metrics' endpoint label (no host: a label value must never carry any part of a URL). */
  name: string;
  limiter: AdaptiveRateLimiter;
  /** Why the endpoint is out of use for the rest of the run (it refused our key), if it is. */
  disabled?: string;
}

/** A request failed for good: retries exhausted, budget spent, or an error no retry can fix. */
export class RpcRequestError extends Error {
  override name = 'RpcRequestError';
  constructor(
    message: string,
    readonly kind: 'exhausted' | 'unauthorized' | 'fatal',
  ) {
    super(message);
  }
}

/** Below this much budget left, another attempt could not get an answer: the request fails instead. */
const MIN_ATTEMPT_MS = 100;

/** Large getLogs pages are legitimate (the range sizer keeps them bounded); this only stops a runaway. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

/** Counts kept for the progress display, the benchmark and the tests. */
export interface RpcStats {
  /** HTTP requests sent per JSON-RPC method (a batch counts once per call inside it). */
  calls: Record<string, number>;
  retries: number;
  failovers: number;
  /** Failed attempts by endpoint name (`arbitrum#0`) and error kind (rpc-errors.ts), for the metrics. */
  errors: Record<string, Record<string, number>>;
}

/**
 * JSON-RPC over HTTP with per-endpoint adaptive pacing, retries with exponential
 * backoff and jitter, and failover across endpoints. It never retries a range refusal: the log fetcher
 * must split the range instead.
 */
export class EvmRpcClient {
  readonly stats: RpcStats = { calls: {}, retries: 0, failovers: 0, errors: {} };
  private readonly endpoints: Endpoint[];
  private preferred = 0;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxRateLimitedAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly budgetMs: number;
  private readonly slowWarnMs: number;

  constructor(private readonly options: RpcClientOptions) {
    if (options.urls.length === 0) throw new Error('EvmRpcClient: at least one RPC URL is required');
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.budgetMs = options.budgetMs ?? 120_000;
    // A few seconds of failure is worth a line at warn level; a short budget gets it sooner.
    this.slowWarnMs = options.slowWarnMs ?? Math.min(5_000, this.budgetMs / 4);
    this.maxAttempts = options.maxAttempts ?? 10;
    this.maxRateLimitedAttempts = options.maxRateLimitedAttempts ?? 60;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.backoffMaxMs = options.backoffMaxMs ?? 15_000;
    this.endpoints = options.urls.map((url, i) => {
      // However the URLs reached us (a config file, a test, the demo), their keys are never printed.
      registerUrlSecrets(url);
      const name = `${options.name ?? 'rpc'}#${i}`;
      return { url, label: describeEndpoint(name, url), name, limiter: new AdaptiveRateLimiter(options.requestsPerSecond) };
    });
  }

  /** Number of configured endpoints. */
  get endpointCount(): number {
    return this.endpoints.length;
  }

  /** The endpoint requests go to now, as it may be printed. */
  get currentEndpoint(): string {
    return this.endpoints[this.preferred]!.label;
  }

  /**
   * Makes the next usable endpoint the preferred one (e.g. this one is behind the chain). Returns false
   * when there is no other usable endpoint.
   */
  failover(reason: string): boolean {
    const from = this.endpoints[this.preferred]!;
    const next = this.nextUsable(this.preferred);
    if (next === undefined) return false;
    this.preferred = next;
    this.stats.failovers++;
    logger.warn({ from: from.label, to: this.endpoints[next]!.label }, `failing over from ${from.label} to ${this.endpoints[next]!.label}: ${reason}`);
    return true;
  }

  /** The first usable endpoint after `index` (wrapping around), other than `index` itself. */
  private nextUsable(index: number): number | undefined {
    for (let step = 1; step < this.endpoints.length; step++) {
      const candidate = (index + step) % this.endpoints.length;
      if (!this.endpoints[candidate]!.disabled) return candidate;
    }
    return undefined;
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
    const method = calls.length === 1 ? calls[0]!.method : `${calls[0]!.method} (batch of ${calls.length})`;
    const started = Date.now();
    let warnAfter = this.slowWarnMs;
    let transientAttempts = 0;
    let rateLimitedAttempts = 0;
    let attempts = 0;
    for (;;) {
      const signal = this.options.signal;
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const endpoint = this.endpoints[this.preferred]!;
      await endpoint.limiter.acquire(signal);
      for (const call of calls) this.stats.calls[call.method] = (this.stats.calls[call.method] ?? 0) + 1;
      attempts++;
      // The budget bounds the whole request: an attempt never runs past it.
      const left = this.budgetMs - (Date.now() - started);
      try {
        const body = await transport(endpoint.url, requestBody(calls, asBatch), {
          timeoutMs: Math.max(1, Math.min(this.timeoutMs, left)),
          maxBodyBytes: MAX_BODY_BYTES,
          ...(signal ? { signal } : {}),
        });
        const parsed = parse(body);
        endpoint.limiter.onSuccess();
        return parsed;
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        const verdict = classifyRpcError(error, isGetLogs);
        const counts = (this.stats.errors[endpoint.name] ??= {});
        counts[verdict.kind] = (counts[verdict.kind] ?? 0) + 1;
        if (verdict.kind === 'refusal') {
          endpoint.limiter.onSuccess();
          const params = calls[0]!.params[0] as { fromBlock: string; toBlock: string };
          throw new RangeRefusalError(verdict.refusal!, BigInt(params.fromBlock), BigInt(params.toBlock), verdict.message);
        }
        if (verdict.kind === 'unauthorized') {
          endpoint.disabled = verdict.message;
          if (this.failover(`unauthorized (${verdict.message.slice(0, 100)}): check its key`)) continue;
          throw new RpcRequestError(`${method} on ${endpoint.label}: unauthorized (${verdict.message.slice(0, 200)}): check the key`, 'unauthorized');
        }
        if (verdict.kind === 'fatal') {
          throw new RpcRequestError(`${calls.map((c) => c.method).join(',')} on ${endpoint.label} failed: ${verdict.message}`, 'fatal');
        }
        const elapsed = Date.now() - started;
        const spent = () => `${attempts} attempt${attempts === 1 ? '' : 's'} in ${(elapsed / 1000).toFixed(1)} s`;
        let attempt: number;
        if (verdict.kind === 'rate-limited') {
          endpoint.limiter.onRateLimited(verdict.retryAfterSeconds);
          attempt = ++rateLimitedAttempts;
          if (attempt > this.maxRateLimitedAttempts) {
            throw new RpcRequestError(`${method} on ${endpoint.label}: still rate-limited after ${spent()}: ${verdict.message}`, 'exhausted');
          }
        } else {
          attempt = ++transientAttempts;
          if (attempt > this.maxAttempts) {
            throw new RpcRequestError(`${method} on ${endpoint.label}: failed after ${spent()}; last error: ${verdict.message}`, 'exhausted');
          }
        }
        // The budget is spent in full: the last wait is shortened to leave the last attempt time to run.
        const remaining = this.budgetMs - elapsed;
        const delay = Math.min(backoffDelay(attempt - 1, this.backoffBaseMs, this.backoffMaxMs), remaining / 2);
        if (remaining < MIN_ATTEMPT_MS) {
          throw new RpcRequestError(
            `${method} on ${endpoint.label}: failed after ${spent()} (request budget ${this.budgetMs / 1000} s, chains.<name>.requestBudget); last error: ${verdict.message}`,
            'exhausted',
          );
        }
        this.stats.retries++;
        // Fail over quietly: the next usable endpoint becomes preferred until it fails in turn.
        const next = this.nextUsable(this.preferred);
        if (next !== undefined) {
          this.preferred = next;
          this.stats.failovers++;
        }
        const detail = { endpoint: endpoint.label, method, kind: verdict.kind, attempt: attempts, elapsedMs: elapsed, delayMs: delay };
        const text = `${method} on ${endpoint.label} still failing after ${spent()} (${verdict.kind}), retrying in ${(delay / 1000).toFixed(1)} s: ${verdict.message.slice(0, 200)}`;
        // A request that keeps failing must show in the logs before it gives up, not only at debug level.
        if (elapsed >= warnAfter) {
          logger.warn(detail, text);
          while (warnAfter <= elapsed) warnAfter *= 2;
        } else {
          logger.debug(detail, text);
        }
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
