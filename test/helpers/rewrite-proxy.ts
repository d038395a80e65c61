import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JsonRpcCall {
  id: unknown;
  method: string;
  params?: unknown[];
}

/**
 * What the proxy answers for one call: `{ result }` or `{ error }` in place of the upstream's answer, or
 * undefined to forward the call. `forward` asks the upstream (e.g. to answer with another block).
 */
export type Rewrite = (call: JsonRpcCall, forward: (call: Omit<JsonRpcCall, 'id'>) => Promise<unknown>) => Promise<{ result: unknown } | { error: { code: number; message: string } } | undefined>;

/** Answers a whole HTTP request itself (status, body) instead of forwarding, or undefined to go on. */
export type HttpFault = (req: IncomingMessage, calls: JsonRpcCall[]) => { status: number; body: string } | undefined;

export interface RewriteProxy {
  url: string;
  /** JSON-RPC calls seen, by method (a batch counts each call). */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy in front of anvil whose answers a test rewrites call by call: a node that is behind,
 * one that lies about a block, one that refuses the key. It accepts any path (keys live in paths).
 */
export async function startRewriteProxy(upstream: string, rewrite: Rewrite, httpFault?: HttpFault): Promise<RewriteProxy> {
  const calls: Record<string, number> = {};
  const forward = async (call: Omit<JsonRpcCall, 'id'>): Promise<unknown> => {
    const response = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...call }) });
    const answer = (await response.json()) as { result?: unknown; error?: unknown };
    if (answer.error) throw new Error(`upstream error: ${JSON.stringify(answer.error)}`);
    return answer.result;
  };
  const answer = async (call: JsonRpcCall) => {
    const rewritten = await rewrite(call, forward);
    if (rewritten) return { jsonrpc: '2.0', id: call.id, ...rewritten };
    const response = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) });
    return response.json();
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        try {
          const parsed = JSON.parse(raw) as JsonRpcCall | JsonRpcCall[];
          const list = Array.isArray(parsed) ? parsed : [parsed];
          for (const call of list) calls[call.method] = (calls[call.method] ?? 0) + 1;
          const fault = httpFault?.(req, list);
          if (fault) {
            res.writeHead(fault.status, { 'content-type': 'application/json' });
            res.end(fault.body);
            return;
          }
          const answers = await Promise.all(list.map(answer));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
        } catch (error) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`proxy error: ${(error as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const TAGS = new Set(['latest', 'safe', 'finalized', 'pending']);

/**
 * A node that has synced only up to block `head`: no header above it, and every head tag (and
 * eth_blockNumber) answers `head`. With `tagsTruthful`, the tags answer the real chain's head while the
 * blocks above `head` are still missing (an endpoint behind a load balancer whose members disagree).
 */
export function behindAt(head: () => bigint, opts: { tagsTruthful?: boolean } = {}): Rewrite {
  return async (call, forward) => {
    if (call.method === 'eth_blockNumber' && !opts.tagsTruthful) return { result: `0x${head().toString(16)}` };
    if (call.method !== 'eth_getBlockByNumber') return undefined;
    const [which, full] = call.params as [string, boolean];
    if (TAGS.has(which)) {
      if (opts.tagsTruthful) return undefined;
      return { result: await forward({ method: 'eth_getBlockByNumber', params: [`0x${head().toString(16)}`, full] }) };
    }
    return BigInt(which) > head() ? { result: null } : undefined;
  };
}
