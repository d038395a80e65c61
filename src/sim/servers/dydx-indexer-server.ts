import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IndexerTables, type IndexerAnswer, type TieOrder, type Ties } from './dydx-indexer-queries.ts';
import { loadDydxSimRows, type DydxIndexerRows } from './dydx-indexer-rows.ts';

/**
 * A local dYdX v4 indexer (the REST API of comlink, formats.md §7) over the simulator's output or
 * hand-built rows, for tests and `liqscope demo`: it answers by the query, as the indexer computes
 * answers (dydx-indexer-queries.ts), not by replaying files, and it can misbehave on demand:
 * rate limits as comlink sends them, server errors, slow answers, malformed and truncated pages, and
 * ties within a height in a different order on every request.
 *
 * The API is found under any path prefix (`http://127.0.0.1:port/<key>/v4/…`, as behind a gateway
 * that takes a key in the path), and unknown query parameters (`apikey`) are ignored. An unknown path
 * gets Express's 404 page, which echoes the path (and so the key: the client must not repeat it).
 */
export interface DydxIndexerServerOptions {
  /** A simulator output directory (its `dydx/` pages), or … */
  outDir?: string;
  /** … the tables themselves. */
  rows?: DydxIndexerRows;
  faults?: DydxFault[];
  /**
   * comlink's rate limiter (rate-limiter-flexible, a fixed window per client): `points` requests per
   * `durationMs` (the indexer's GET default: 100 per 10 s). Off by default.
   */
  rateLimit?: { points: number; durationMs: number };
  /** Order of items within one height in answers without `page` (default: newest event first). */
  tieOrder?: TieOrder;
  port?: number;
}

export interface FaultRequest {
  /** 1-based number of the request among all the server answered. */
  n: number;
  /**
   * 1-based number of the request among those the rate limiter let through. `every` counts these: on a loaded
   * machine the requests numbered n = 5, 10, … could all fall in full windows, and a planned fault never happen.
   */
  admitted: number;
  endpoint: 'trades' | 'fills' | 'candles' | 'historicalFunding' | 'other';
  path: string;
  query: URLSearchParams;
}

/** One way to misbehave, on the requests it selects (`every` n-th admitted, `when`, or all), at most `times` times. */
export interface DydxFault {
  kind: 'rate-limit' | 'server-error' | 'slow' | 'malformed' | 'truncated' | 'dropped';
  every?: number;
  when?: (request: FaultRequest) => boolean;
  times?: number;
  /** rate-limit: how long the window has left, sent as comlink sends it (ms in Retry-After, an epoch-ms RateLimit-Reset). */
  retryAfterMs?: number;
  /** slow: the delay before the (correct) answer. */
  delayMs?: number;
  /** malformed: how the answer is spoiled (default: the first item's `size` becomes the number 12). */
  mutate?: (body: Record<string, unknown>) => unknown;
}

export interface DydxIndexerServerStats {
  requests: number;
  /** Requests by endpoint. */
  byEndpoint: Record<string, number>;
  /** Faults served, by kind (429s of the rate limiter count as `rate-limit`). */
  faults: Record<string, number>;
  /** Every request's path and query, in order. */
  log: string[];
}

export interface DydxIndexerServer {
  url: string;
  stats: DydxIndexerServerStats;
  /** Replaces the fault plan (e.g. a rerun without the fault). */
  setFaults(faults: DydxFault[]): void;
  close(): Promise<void>;
}

export async function startDydxIndexerServer(options: DydxIndexerServerOptions): Promise<DydxIndexerServer> {
  const rows = options.rows ?? (options.outDir !== undefined ? loadDydxSimRows(options.outDir) : null);
  if (!rows) throw new Error('startDydxIndexerServer: give `outDir` (a simulator output) or `rows`');
  const tables = new IndexerTables(rows);
  const stats: DydxIndexerServerStats = { requests: 0, byEndpoint: {}, faults: {}, log: [] };
  let faults = (options.faults ?? []).map((fault) => ({ fault, used: 0 }));
  let window = { start: 0, used: 0 };
  let admitted = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: [{ msg: `local indexer: ${(error as Error).message}` }] });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++stats.requests;
    const url = new URL(req.url ?? '/', 'http://local');
    const at = url.pathname.indexOf('/v4/');
    const path = at < 0 ? url.pathname : url.pathname.slice(at);
    stats.log.push(`${path}${url.search}`);
    const endpoint = endpointOf(path);
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;

    if (options.rateLimit) {
      const now = Date.now();
      if (now - window.start >= options.rateLimit.durationMs) window = { start: now, used: 0 };
      window.used++;
      const left = window.start + options.rateLimit.durationMs - now;
      if (window.used > options.rateLimit.points) {
        stats.faults['rate-limit'] = (stats.faults['rate-limit'] ?? 0) + 1;
        return rateLimited(res, left, options.rateLimit.points);
      }
      res.setHeader('RateLimit-Remaining', String(options.rateLimit.points - window.used));
      res.setHeader('RateLimit-Reset', String(window.start + options.rateLimit.durationMs));
      res.setHeader('RateLimit-Limit', String(options.rateLimit.points));
    }

    const request: FaultRequest = { n, admitted: ++admitted, endpoint, path, query: url.searchParams };
    const fault = pickFault(request);
    if (fault?.kind === 'rate-limit') return rateLimited(res, fault.retryAfterMs ?? 1000, options.rateLimit?.points ?? 100);
    if (fault?.kind === 'server-error') return send(res, 500, { errors: [{ msg: 'Internal Server Error' }] });
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));

    const answer = route(path, url.searchParams, n);
    if (!answer) {
      // Express's default 404 page echoes the path it did not find.
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET ${url.pathname}</pre>\n</body>\n</html>\n`);
      return;
    }
    if (fault?.kind === 'malformed' && answer.status === 200) return send(res, 200, (fault.mutate ?? spoilFirstSize)(structuredClone(answer.body) as Record<string, unknown>));
    if ((fault?.kind === 'truncated' || fault?.kind === 'dropped') && answer.status === 200) {
      const text = JSON.stringify(answer.body);
      const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      if (fault.kind === 'truncated') {
        // A complete HTTP answer whose JSON stops half-way (a proxy cut it).
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(cut) });
        res.end(cut);
      } else {
        // The connection drops half-way through the announced body.
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.write(cut);
        setTimeout(() => res.destroy(), 10);
      }
      return;
    }
    send(res, answer.status, answer.body);
  }

  function pickFault(request: FaultRequest): DydxFault | null {
    for (const entry of faults) {
      const { fault } = entry;
      if (fault.times !== undefined && entry.used >= fault.times) continue;
      if (fault.every !== undefined && request.admitted % fault.every !== 0) continue;
      if (fault.when && !fault.when(request)) continue;
      entry.used++;
      stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
      return fault;
    }
    return null;
  }

  function rateLimited(res: ServerResponse, msBeforeNext: number, points: number): void {
    // As comlink's rateLimiterMiddleware: Retry-After in milliseconds, RateLimit-Reset an epoch-ms time.
    res.setHeader('RateLimit-Remaining', '0');
    res.setHeader('RateLimit-Reset', String(Date.now() + msBeforeNext));
    res.setHeader('Retry-After', String(msBeforeNext));
    res.setHeader('RateLimit-Limit', String(points));
    send(res, 429, { errors: [{ msg: 'Too many requests' }] });
  }

  function route(path: string, query: URLSearchParams, n: number): IndexerAnswer | null {
    const ties: Ties = options.tieOrder === 'shuffled' ? (group) => shuffled(group, n) : (group) => [...group].reverse();
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/v4\/trades\/perpetualMarket\/([^/]+)$/))) return tables.trades(decodeURIComponent(m[1]!), query, ties);
    if (path === '/v4/fills' || path === '/v4/fills/') return tables.fills(query, ties);
    if ((m = path.match(/^\/v4\/candles\/perpetualMarkets\/([^/]+)$/))) return tables.candlesOf(decodeURIComponent(m[1]!), query);
    if ((m = path.match(/^\/v4\/historicalFunding\/([^/]+)$/))) return tables.historicalFunding(decodeURIComponent(m[1]!), query);
    return null;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFaults(next) {
      faults = next.map((fault) => ({ fault, used: 0 }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function endpointOf(path: string): FaultRequest['endpoint'] {
  if (path.startsWith('/v4/trades/')) return 'trades';
  if (path.startsWith('/v4/fills')) return 'fills';
  if (path.startsWith('/v4/candles/')) return 'candles';
  if (path.startsWith('/v4/historicalFunding/')) return 'historicalFunding';
  return 'other';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The default malformed page: the first item's `size` (or `price` of a funding tick) as a number. */
function spoilFirstSize(body: Record<string, unknown>): unknown {
  for (const value of Object.values(body)) {
    if (Array.isArray(value) && value.length > 0) {
      const item = value[0] as Record<string, unknown>;
      if ('size' in item) item.size = 12;
      else if ('price' in item) item.price = 12;
      else item.baseTokenVolume = 12;
      return body;
    }
  }
  return { unexpected: true };
}

/** A fixed but request-dependent order of one height's rows: the same query twice may list them differently. */
function shuffled<T extends { id: string }>(group: readonly T[], n: number): T[] {
  const rank = (row: T) => createHash('sha1').update(`${n}:${row.id}`).digest().readUInt32BE(0);
  return [...group].sort((a, b) => rank(a) - rank(b));
}
