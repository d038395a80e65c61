import { JsonRpcError, MalformedResponseError } from './rpc-errors.ts';

/** Reading JSON-RPC response envelopes. */

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MalformedResponseError(`response is not JSON (${body.length} bytes): ${(error as Error).message}`);
  }
}

/** Returns `result` or throws the JSON-RPC error carried with HTTP 200. */
export function unwrap(response: unknown): unknown {
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
