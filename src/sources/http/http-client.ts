import { logger } from '../../logger.ts';
import type { HttpRequest } from '../../pipeline/protocol.ts';
import { describeEndpoint, redactSecrets, registerUrlSecrets } from '../../secrets.ts';
import { backoffDelay, sleep } from '../../util/backoff.ts';
import { requestDeadline } from '../request-deadline.ts';
import { retryDelayMs } from './retry-after.ts';

/** A venue's API kept failing (or refused the request) for longer than the budget; the message names the request, never the key. */
export class HttpSourceError extends Error {
  override name = 'HttpSourceError';
}

export interface HttpClientOptions {
  /** The API's base URL (may hold a key: it is registered as a secret and printed as its host). */
  baseUrl: string;
  /** A stable label for messages (`dydx#0`). */
  label: string;
  /** Rate limit: request weight per minute (Hyperliquid: 1200); the client never sends faster. */
  weightPerMinute: number;
  /** Seconds one attempt may take, and a request with its retries. */
  timeoutMs: number;
  budgetMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  signal?: AbortSignal;
}

/**
 * JSON over HTTP for venue APIs: weight-based pacing (no 60 seconds hold more than `weightPerMinute`,
 * the way Hyperliquid and dYdX meter clients), retries with backoff and jitter on 429 (honouring Retry-After),
 * 5xx, timeouts, dropped connections and bodies that are not JSON, within a time budget; any other 4xx
 * fails at once. Messages name the endpoint by label and host only.
 */
export class HttpClient {
  /** `errors`: failed attempts by kind (rate-limited, transient, malformed, fatal), for the metrics. */
  readonly stats = { requests: 0, retries: 0, errors: {} as Record<string, number> };
  private readonly endpoint: string;
  /** Weight sent in the last minute, oldest first: (time, weight). */
  private readonly spent: { at: number; weight: number }[] = [];

  constructor(private readonly options: HttpClientOptions) {
    registerUrlSecrets(options.baseUrl);
    this.endpoint = describeEndpoint(options.label, options.baseUrl);
  }

  get description(): string {
    return this.endpoint;
  }

  async send(request: HttpRequest): Promise<unknown> {
    const started = Date.now();
    const { signal } = this.options;
    for (let attempt = 0; ; attempt++) {
      await this.take(request.weight ?? 1);
      this.stats.requests++;
      let failure: { transient: boolean; message: string; retryAfterMs?: number; kind: string };
      const deadline = requestDeadline(this.options.timeoutMs, signal);
      try {
        const response = await deadline.race(
          fetch(this.url(request.path), {
            method: request.method,
            headers: request.method === 'POST' ? { 'content-type': 'application/json' } : {},
            ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
            signal: deadline.signal,
          }),
        );
        const text = await deadline.race(response.text());
        if (response.ok) {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            failure = { transient: true, kind: 'malformed', message: `the answer is not JSON (${text.length} bytes: ${JSON.stringify(serverText(text, 80))})` };
          }
        } else if (response.status === 429) {
          // Retry-After in seconds or a date, or dYdX's milliseconds beside an absolute RateLimit-Reset (retry-after.ts).
          const wait = retryDelayMs(response.headers, Date.now());
          failure = { transient: true, kind: 'rate-limited', message: 'HTTP 429 (rate limited)', ...(wait !== null ? { retryAfterMs: wait } : {}) };
        } else {
          const transient = response.status >= 500 || response.status === 408;
          failure = { transient, kind: transient ? 'transient' : 'fatal', message: `HTTP ${response.status}: ${serverText(text, 200)}` };
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        const e = error as Error & { cause?: { code?: string } };
        const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
        failure = { transient: true, kind: 'transient', message: timedOut ? `no answer within ${this.options.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}` };
      } finally {
        deadline.clear();
      }
      this.stats.errors[failure.kind] = (this.stats.errors[failure.kind] ?? 0) + 1;
      const elapsed = Date.now() - started;
      if (!failure.transient) throw new HttpSourceError(`${request.label} on ${this.endpoint}: ${failure.message}`);
      const delay = Math.max(failure.retryAfterMs ?? 0, backoffDelay(attempt, this.options.backoffBaseMs ?? 250, this.options.backoffMaxMs ?? 15_000));
      if (elapsed + delay > this.options.budgetMs) {
        const asked = failure.retryAfterMs !== undefined && elapsed + failure.retryAfterMs > this.options.budgetMs ? ` (asked to wait ${(failure.retryAfterMs / 1000).toFixed(1)} s, beyond the request budget of ${this.options.budgetMs / 1000} s)` : '';
        throw new HttpSourceError(`${request.label} on ${this.endpoint}: failed after ${attempt + 1} attempts in ${(elapsed / 1000).toFixed(1)} s; last error: ${failure.message}${asked}`);
      }
      this.stats.retries++;
      logger.debug({ endpoint: this.endpoint, request: request.label, attempt: attempt + 1, delayMs: delay }, `retrying ${request.label}: ${failure.message}`);
      if (attempt === 2) logger.warn({ endpoint: this.endpoint, request: request.label }, `${request.label} on ${this.endpoint} still failing: ${failure.message}`);
      await sleep(delay, signal);
    }
  }

  /**
   * The request's URL: its path under the base URL's path, with the base URL's query parameters (a key
   * given as `?apikey=…`) before the request's own. (Appending the path to the whole base URL put it
   * after the key's query string: `…?apikey=K/v4/trades…`.)
   */
  private url(path: string): string {
    const url = new URL(this.options.baseUrl);
    const mark = path.indexOf('?');
    const own = mark < 0 ? path : path.slice(0, mark);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${own.replace(/^\/+/, '')}`;
    if (mark >= 0) for (const [key, value] of new URLSearchParams(path.slice(mark + 1))) url.searchParams.append(key, value);
    return url.toString();
  }

  /**
   * Waits until `weight` fits in what was sent over the last 60 seconds: no minute, the first included,
   * ever holds more than `weightPerMinute`. (A bucket that starts full and refills continuously lets
   * twice the figure through in the first minute — 1,320 weight in 7 s against a 1,200 limit,
   * test/protocols/hyperliquid/api-rate.test.ts — which a venue metering a sliding minute refuses.)
   * A request heavier than the whole budget waits for an empty minute.
   */
  private async take(weight: number): Promise<void> {
    const limit = this.options.weightPerMinute;
    const wanted = Math.min(weight, limit);
    for (;;) {
      const now = Date.now();
      while (this.spent.length > 0 && this.spent[0]!.at <= now - 60_000) this.spent.shift();
      let used = this.spent.reduce((sum, s) => sum + s.weight, 0);
      if (used + wanted <= limit) {
        this.spent.push({ at: now, weight });
        return;
      }
      // the earliest time enough of the minute's spend has expired
      let until = now;
      for (const s of this.spent) {
        used -= s.weight;
        until = s.at + 60_000;
        if (used + wanted <= limit) break;
      }
      await sleep(Math.max(1, until - now), this.options.signal);
    }
  }
}

/**
 * Text from the server, for a message: cut, and with every registered secret removed (a gateway's error
 * page may echo the request's URL, key and all).
 */
function serverText(text: string, max: number): string {
  return redactSecrets(text.slice(0, max + 200)).slice(0, max);
}
