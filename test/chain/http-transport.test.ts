import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useRouteServer, type Route } from '../helpers/route-server.ts';
import { HttpStatusError, NetworkError, postJson, RequestTimeoutError } from '../../src/sources/evm/http-transport.ts';
import { classifyRpcError } from '../../src/sources/evm/rpc-errors.ts';

/** A server whose behaviour is chosen by the request path. */
const routes: Record<string, Route> = {
  '/echo': (res, body) => res.end(body),
  '/429': (res) => {
    res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
    res.end('{"jsonrpc":"2.0","id":0,"error":{"code":429,"message":"Too Many Requests"}}');
  },
  '/range': (res) => {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"block range is too wide"}}');
  },
  '/hang': () => {},
  '/truncated': (res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('{"jsonrpc":"2.0","result":[');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  '/big': (res) => res.end('x'.repeat(5_000)),
};

const server = useRouteServer(routes);

// Well above a local answer on a loaded machine; the hanging routes wait it out.
const options = { timeoutMs: 1_000, maxBodyBytes: 1_000_000 };

async function failure(path: string, opts = options): Promise<unknown> {
  try {
    await postJson(`${server.base()}${path}`, '{"jsonrpc":"2.0","id":0,"method":"eth_getLogs","params":[]}', opts);
  } catch (error) {
    return error;
  }
  throw new Error(`${path} did not fail`);
}

describe('JSON-RPC HTTP transport', () => {
  it('returns the response body byte for byte, over a reused connection', async () => {
    const sent = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_chainId', params: ['ünïcødé'] });
    for (let i = 0; i < 3; i++) expect((await postJson(`${server.base()}/echo`, sent, options)).toString('utf8')).toBe(sent);
  });

  it('reports a status with its headers and body: 429 is rate limiting with Retry-After', async () => {
    const error = await failure('/429');
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(429);
    const verdict = classifyRpcError(error, true);
    expect(verdict.kind).toBe('rate-limited');
    expect(verdict.retryAfterSeconds).toBe(3);
  });

  it('reads a range refusal sent with a 4xx status as a refusal, not a fatal error', async () => {
    expect(classifyRpcError(await failure('/range'), true).kind).toBe('refusal');
  });

  it('times out, and a body cut short is a network error; both are retried', async () => {
    const timeout = await failure('/hang');
    expect(timeout).toBeInstanceOf(RequestTimeoutError);
    expect(classifyRpcError(timeout, true).kind).toBe('transient');
    const cut = await failure('/truncated');
    expect(cut).toBeInstanceOf(NetworkError);
    expect(classifyRpcError(cut, false).kind).toBe('transient');
  });

  it('refuses a body over the size limit, worded so that eth_getLogs splits the range', async () => {
    const error = await failure('/big', { ...options, maxBodyBytes: 1_000 });
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/response too large: 5000 bytes/);
    expect(classifyRpcError(error, true).kind).toBe('refusal');
  });

  it('stops at once when the caller aborts, with the caller\'s reason', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 30);
    const error = await failure('/hang', { ...options, timeoutMs: 10_000, signal: controller.signal } as typeof options);
    expect((error as Error).message).toBe('shutting down');
  });

  it('fails with a network error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(postJson(`http://127.0.0.1:${port}/`, '{}', options)).rejects.toBeInstanceOf(NetworkError);
  });
});
