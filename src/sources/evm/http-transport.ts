import http from 'node:http';
import https from 'node:https';

/**
 * POSTs a JSON-RPC body and returns the response body as raw bytes. The RPC client parses them itself:
 * an eth_getLogs page is mostly hex that it reads without JSON.parse (logs-body.ts), which a JSON-level
 * client (viem's HTTP client) cannot offer. node:http rather than fetch: fetch delivers a 100 MB page
 * through web streams, which cost more CPU than everything else done with its bytes. Failures are
 * typed for classifyRpcError.
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

/** Connections are reused across requests (a catch-up makes thousands). */
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/** Worded so that an eth_getLogs page over the limit reads as a refusal: the fetcher then splits the range. */
function tooLarge(bytes: number, limit: number): string {
  return `response too large: ${bytes} bytes, over the ${limit}-byte limit`;
}

function headersOf(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

export function postJson(url: string, body: string, options: PostOptions): Promise<Buffer> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
  if (!transport) return Promise.reject(new Error(`unsupported RPC URL scheme ${target.protocol} (use http: or https:)`));
  const payload = Buffer.from(body);
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, bytes?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else {
        resolve(bytes!);
      }
    };
    const onAbort = () => finish((options.signal?.reason as Error | undefined) ?? new Error('aborted'));
    const timer = setTimeout(() => finish(new RequestTimeoutError(`no response within ${options.timeoutMs} ms`)), options.timeoutMs);
    const request = transport.request(
      target,
      {
        method: 'POST',
        agent: agents[target.protocol as 'http:' | 'https:'],
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > options.maxBodyBytes) {
          finish(new NetworkError(tooLarge(declared, options.maxBodyBytes)));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBodyBytes) finish(new NetworkError(tooLarge(size, options.maxBodyBytes)));
          else chunks.push(chunk);
        });
        response.on('aborted', () => finish(new NetworkError('connection closed before the response body ended')));
        response.on('error', (error) => finish(new NetworkError(`reading the response failed: ${error.message}`, { cause: error })));
        response.on('end', () => {
          if (!response.complete) {
            finish(new NetworkError('connection closed before the response body ended'));
            return;
          }
          const bytes = Buffer.concat(chunks, size);
          if (status < 200 || status > 299) {
            finish(new HttpStatusError(status, headersOf(response.headers), bytes.toString('utf8', 0, ERROR_BODY_CHARS)));
          } else {
            finish(null, bytes);
          }
        });
      },
    );
    request.on('error', (error) => finish(new NetworkError(error.message, { cause: error })));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload);
  });
}
