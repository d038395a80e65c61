import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A JSON-RPC proxy in front of anvil that misbehaves the way real providers do, for the indexer's
 * fault tests. Everything it does is counted in `stats` so tests can check the client's behaviour
 * from the outside.
 */
export type Fault = '429' | '500' | 'timeout' | 'drop' | 'malformed-json' | 'wrong-shape';

export interface ProxyOptions {
  upstream: string;
  /** Refuse eth_getLogs spanning more blocks than this. */
  maxBlockRange?: number;
  /** The refusal text style: with a suggested range (Infura/QuickNode/Alchemy wording) or without. */
  refusal?: 'infura' | 'quicknode' | 'alchemy' | 'plain-range' | 'plain-results';
  /** Refuse eth_getLogs whose result has more logs than this ("query returned more than N results"). */
  maxResults?: number;
  /** Probability that a request (any method) gets one of `faults` instead of an answer. */
  faultRate?: number;
  faults?: Fault[];
  /** Every `period` requests, answer the next `length` with HTTP 429 (a storm). */
  storm429?: { period: number; length: number };
  /** How long a 'timeout' fault holds the request before dropping it (longer than the client's timeout). */
  hangMs?: number;
  /** Seed of the fault schedule, so a failing run can be replayed. */
  seed?: number;
}

export interface ProxyStats {
  requests: number;
  /** eth_getLogs calls that reached the range/result check (i.e. not sabotaged by a transport fault). */
  getLogsAnswered: number;
  getLogsRefused: number;
  /** eth_getLogs calls that got a transport fault (429, timeout, drop, garbage). */
  getLogsSabotaged: number;
  faults: Record<string, number>;
}

export interface RpcProxy {
  url: string;
  stats: ProxyStats;
  /** Change faults on the fly (e.g. stop a storm). */
  options: ProxyOptions;
  close(): Promise<void>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number) => `0x${n.toString(16)}`;

interface JsonRpcRequest {
  id: unknown;
  method: string;
  params?: unknown[];
}

/** Real refusal texts (see test/indexer/range-refusal.test.ts for their sources). */
function refusalError(style: NonNullable<ProxyOptions['refusal']>, from: number, limit: number): { code: number; message: string } {
  const to = from + limit - 1;
  switch (style) {
    case 'infura':
      return { code: -32005, message: `query returned more than 10000 results. Try with this block range [${hex(from).toUpperCase().replace('0X', '0x')}, ${hex(to).toUpperCase().replace('0X', '0x')}].` };
    case 'alchemy':
      return {
        code: -32602,
        message: `Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(to)}]`,
      };
    case 'quicknode':
      return { code: -32614, message: `eth_getLogs is limited to a ${limit.toLocaleString('en-US')} range` };
    case 'plain-range':
      return { code: -32600, message: 'block range is too wide' };
    case 'plain-results':
      return { code: -32005, message: 'query returned more than 10000 results' };
  }
}

export async function startRpcProxy(options: ProxyOptions): Promise<RpcProxy> {
  const random = mulberry32(options.seed ?? 1);
  const stats: ProxyStats = { requests: 0, getLogsAnswered: 0, getLogsRefused: 0, getLogsSabotaged: 0, faults: {} };
  const proxy: RpcProxy = { url: '', stats, options, close: async () => {} };
  const hanging = new Set<ServerResponse>();

  const forward = async (body: unknown): Promise<unknown> => {
    const response = await fetch(options.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  };

  const pickFault = (): Fault | '429-storm' | null => {
    const o = proxy.options;
    if (o.storm429 && stats.requests % o.storm429.period < o.storm429.length && stats.requests > o.storm429.length) return '429-storm';
    if (o.faultRate && o.faults?.length && random() < o.faultRate) return o.faults[Math.floor(random() * o.faults.length)]!;
    return null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    stats.requests++;
    const parsed = JSON.parse(raw) as JsonRpcRequest | JsonRpcRequest[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const isGetLogs = calls.some((c) => c.method === 'eth_getLogs');
    const fault = pickFault();
    if (fault) {
      stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      if (isGetLogs) stats.getLogsSabotaged++;
      switch (fault) {
        case '429':
        case '429-storm':
          res.writeHead(429, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: calls[0]!.id, error: { code: 429, message: 'Too Many Requests' } }));
          return;
        case '500':
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html><body>502 Bad Gateway</body></html>');
          return;
        case 'timeout':
          hanging.add(res);
          setTimeout(() => {
            hanging.delete(res);
            req.socket.destroy();
          }, proxy.options.hangMs ?? 3000);
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'malformed-json': {
          // The real answer, cut off mid-body: what a proxy that drops a connection mid-stream returns.
          const text = JSON.stringify(await forward(parsed));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
          return;
        }
        case 'wrong-shape':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(Array.isArray(parsed) ? calls.map((c) => ({ jsonrpc: '2.0', id: c.id, result: '0xdeadbeef' })) : { jsonrpc: '2.0', id: calls[0]!.id, result: '0xdeadbeef' }));
          return;
      }
    }
    if (!Array.isArray(parsed) && parsed.method === 'eth_getLogs') {
      stats.getLogsAnswered++;
      const filter = (parsed.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      const from = Number(BigInt(filter.fromBlock ?? '0x0'));
      const to = Number(BigInt(filter.toBlock ?? '0x0'));
      const limit = proxy.options.maxBlockRange;
      if (limit !== undefined && to - from + 1 > limit) {
        stats.getLogsRefused++;
        const error = refusalError(proxy.options.refusal ?? 'infura', from, limit);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, error }));
        return;
      }
      const answer = (await forward(parsed)) as { result?: unknown[] };
      if (proxy.options.maxResults !== undefined && Array.isArray(answer.result) && answer.result.length > proxy.options.maxResults) {
        stats.getLogsRefused++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, error: { code: -32005, message: `query returned more than ${proxy.options.maxResults} results` } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
      return;
    }
    const answer = await forward(parsed);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      handle(req, res, raw).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${error.message}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
