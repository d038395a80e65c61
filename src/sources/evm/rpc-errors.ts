import { redactText } from '../../logger.ts';
import { HttpStatusError, NetworkError, RequestTimeoutError } from './http-transport.ts';
import { isRateLimitText, parseRangeRefusal, type RangeRefusal } from './range-refusal.ts';

/** A response that arrived but cannot be what the method returns (truncated, wrong shape, bad hex). */
export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

/** The provider refused an eth_getLogs range; the fetcher splits the range instead of retrying it. */
export class RangeRefusalError extends Error {
  override name = 'RangeRefusalError';
  constructor(
    readonly refusal: RangeRefusal,
    readonly fromBlock: bigint,
    readonly toBlock: bigint,
    message: string,
  ) {
    super(`provider refused eth_getLogs [${fromBlock}, ${toBlock}] (${refusal.reason}): ${redactText(message)}`);
  }
}

/** A JSON-RPC error object returned with HTTP 200. */
export class JsonRpcError extends Error {
  override name = 'JsonRpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/**
 * `unauthorized`: the endpoint refuses our credentials (HTTP 401/403). No retry can help: the client
 * fails over to another endpoint, or fails at once.
 */
export type ErrorKind = 'refusal' | 'rate-limited' | 'transient' | 'unauthorized' | 'fatal';

export interface ClassifiedError {
  kind: ErrorKind;
  refusal?: RangeRefusal;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  retryAfterSeconds?: number;
  message: string;
}

/** Text of the whole error chain, so that a provider's message nested in `details`/`cause` is seen. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      const details = (current as { details?: unknown }).details;
      if (typeof details === 'string') parts.push(details);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' | ');
}

/** The JSON-RPC error code in a non-2xx body, when the body is a JSON-RPC error (some providers send 4xx with one). */
function jsonRpcCodeOf(body: string): number | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Decides what to do about a failed JSON-RPC call. `isGetLogs` enables reading range refusals (other
 * methods never get split). Anything that may succeed on a retry (timeouts, resets, 5xx, garbled
 * bodies, internal errors) is transient; a refused key is `unauthorized`; invalid requests are fatal.
 */
export function classifyRpcError(error: unknown, isGetLogs: boolean): ClassifiedError {
  const text = errorText(error);
  const message = redactText(text);
  if (error instanceof MalformedResponseError) return { kind: 'transient', message };
  if (error instanceof RequestTimeoutError) return { kind: 'transient', message };

  let status: number | undefined;
  let headers: Headers | undefined;
  let rpcCode: number | undefined;
  if (error instanceof HttpStatusError) {
    status = error.status;
    headers = error.headers;
    rpcCode = jsonRpcCodeOf(error.body);
  } else if (error instanceof JsonRpcError) {
    rpcCode = error.code;
  }

  if (isGetLogs) {
    const refusal = parseRangeRefusal(text);
    if (refusal) return { kind: 'refusal', refusal, message };
  }
  // Before the JSON-RPC code: providers answer a bad key with 401 and a JSON-RPC body (code -32000 or
  // similar), which would otherwise read as a transient server error and be retried for minutes.
  if (status === 401 || status === 403) return { kind: 'unauthorized', message };
  const after = retryAfter(headers);
  if (status === 429 || isRateLimitText(text) || rpcCode === 429) {
    return { kind: 'rate-limited', message, ...(after !== undefined ? { retryAfterSeconds: after } : {}) };
  }
  if (status !== undefined && status >= 500) return { kind: 'transient', message };
  // No response at all (reset, refused connection, closed mid-body): another try may get one.
  if (error instanceof NetworkError) return { kind: 'transient', message };
  if (status === 408 || status === 425) return { kind: 'transient', message };
  if (rpcCode !== undefined) {
    // Invalid request/params/method are our bug or an unsupported method: retrying cannot help.
    if (rpcCode === -32600 || rpcCode === -32601 || rpcCode === -32602) return { kind: 'fatal', message };
    // -32603 internal, -32000 "header not found"/server busy, -32002 resource unavailable, etc.
    return { kind: 'transient', message };
  }
  if (status !== undefined && status >= 400) return { kind: 'fatal', message };
  // Unknown failure (e.g. a socket error surfaced as a plain Error): worth a retry.
  return { kind: 'transient', message };
}
