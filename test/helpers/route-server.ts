import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** What a route does with a request, given the request body. */
export type Route = (res: ServerResponse, body: string) => void;

/**
 * A local HTTP server for the file's tests, answering each request by the route its path names (an
 * unknown path gets no answer). Started before the file's tests and closed after them; `base()` is its
 * http://127.0.0.1:port.
 */
export function useRouteServer(routes: Record<string, Route>): { base: () => string } {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => routes[req.url ?? '']?.(res, body));
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { base: () => base };
}
