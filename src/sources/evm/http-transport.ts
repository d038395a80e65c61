/**
 * POSTs a JSON-RPC body and returns the response body as raw bytes. The RPC client parses them itself:
 * an eth_getLogs page is mostly hex that it reads without JSON.parse (logs-body.ts), which a JSON-level
 * client (viem's HTTP client) cannot offer. Failures are typed for classifyRpcError.
 */

/** The server answered with a non-2xx status. `body` is the start of what it said (for refusal texts). */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body}` : ''}`);
  }
}

/** No answer within the request timeout. */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

/** The request failed below HTTP (connection refused or reset, DNS, socket closed mid-body). */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

export interface PostOptions {
  timeoutMs: number;
  /** Largest body accepted; a bigger one is an error rather than an out-of-memory crash. */
  maxBodyBytes: number;
  signal?: AbortSignal;
}

/** Error bodies are kept up to this size: enough for any provider's message. */
const ERROR_BODY_CHARS = 2_000;

/** Worded so that an eth_getLogs page over the limit reads as a refusal: the fetcher then splits the range. */
function tooLarge(bytes: number, limit: number): string {
  return `response too large: ${bytes} bytes, over the ${limit}-byte limit`;
}

export async function postJson(url: string, body: string, options: PostOptions): Promise<Buffer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > options.maxBodyBytes) {
      await response.body?.cancel();
      throw new NetworkError(tooLarge(declared, options.maxBodyBytes));
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw new HttpStatusError(response.status, response.headers, bytes.toString('utf8', 0, ERROR_BODY_CHARS));
    if (bytes.length > options.maxBodyBytes) throw new NetworkError(tooLarge(bytes.length, options.maxBodyBytes));
    return bytes;
  } catch (error) {
    if (error instanceof HttpStatusError || error instanceof NetworkError) throw error;
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (timeout.aborted) throw new RequestTimeoutError(`no response within ${options.timeoutMs} ms`);
    // undici reports resets and refusals as TypeError("fetch failed") with the socket error as cause.
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `${(error as Error).message}: ${cause.message}` : (error as Error).message;
    throw new NetworkError(detail, { cause: error });
  }
}
