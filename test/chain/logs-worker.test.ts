import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useRouteServer, type Route } from '../helpers/route-server.ts';
import { HttpStatusError, RequestTimeoutError } from '../../src/sources/evm/http-transport.ts';
import { fetchLogsPage } from '../../src/sources/evm/logs-worker-client.ts';
import { JsonRpcError, MalformedResponseError } from '../../src/sources/evm/rpc-errors.ts';
import { parseLogsPage } from '../../src/sources/evm/rpc-types.ts';
import { rpcLogEntry } from '../helpers/rpc-log.ts';

/** An entry whose data is `bytes` deterministic bytes, with those bytes. */
function entry(i: number, bytes: number) {
  const data = Buffer.from(Array.from({ length: bytes }, (_, k) => (k * 131 + i * 7) % 256));
  return { data, json: rpcLogEntry(i, `0x${data.toString('hex')}`) };
}

const served = Array.from({ length: 300 }, (_, i) => entry(i, i % 3 === 0 ? 0 : 40 + i * 29));
let hangingClosed: Promise<void> = Promise.resolve();

const routes: Record<string, Route> = {
  '/logs': (res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 0, result: served.map((e) => e.json) })),
  '/429': (res) => {
    res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
    res.end('{"jsonrpc":"2.0","id":0,"error":{"code":429,"message":"Too Many Requests"}}');
  },
  // An error whose data nests a "data" string at the depth where logs keep theirs.
  '/error': (res) => res.end('{"jsonrpc":"2.0","id":0,"error":{"code":-32005,"message":"limit exceeded","data":{"data":"0xfeed"}}}'),
  '/bad-hex': (res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 0, result: [{ ...served[1]!.json, data: '0xzz' }] })),
  '/hang': (res) => {
    hangingClosed = new Promise((resolve) => res.on('close', () => resolve()));
  },
};

const server = useRouteServer(routes);

const options = { timeoutMs: 2_000, maxBodyBytes: 10_000_000 };
const request = '{"jsonrpc":"2.0","id":0,"method":"eth_getLogs","params":[]}';

async function failure(path: string, opts: Parameters<typeof fetchLogsPage>[2] = options): Promise<unknown> {
  try {
    parseLogsPage(await fetchLogsPage(`${server.base()}${path}`, request, opts), 1);
  } catch (error) {
    return error;
  }
  throw new Error(`${path} did not fail`);
}

describe('eth_getLogs fetched and split in the worker thread', () => {
  it('delivers every log with its data bytes exactly as served, several pages at once', async () => {
    const pages = await Promise.all([1, 2, 3].map(() => fetchLogsPage(`${server.base()}/logs`, request, options)));
    for (const page of pages) {
      const logs = parseLogsPage(page, 42161);
      expect(logs).toHaveLength(served.length);
      logs.forEach((log, i) => {
        expect(Buffer.from(log.dataBytes!).equals(served[i]!.data)).toBe(true);
        expect(log.data).toBe(served[i]!.json.data);
        expect(log.blockNumber).toBe(BigInt(100 + i));
        expect(log.topics).toEqual(served[i]!.json.topics);
      });
    }
  });

  it('fails with the same error kinds as the in-thread transport', async () => {
    const limited = await failure('/429');
    expect(limited).toBeInstanceOf(HttpStatusError);
    expect((limited as HttpStatusError).status).toBe(429);
    expect((limited as HttpStatusError).headers.get('retry-after')).toBe('7');
    expect(await failure('/bad-hex')).toBeInstanceOf(MalformedResponseError);
    expect(await failure('/hang', { ...options, timeoutMs: 150 })).toBeInstanceOf(RequestTimeoutError);
  });

  it('reads a JSON-RPC error from the untouched body, nested data included', async () => {
    const error = await failure('/error');
    expect(error).toBeInstanceOf(JsonRpcError);
    expect((error as JsonRpcError).message).toContain('"data":"0xfeed"');
  });

  it('gives up a request when its signal aborts, and the worker closes the connection', async () => {
    const controller = new AbortController();
    const started = fetchLogsPage(`${server.base()}/hang`, request, { ...options, timeoutMs: 60_000, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(new Error('stop now'));
    await expect(started).rejects.toThrow('stop now');
    await hangingClosed; // would time out the test if the worker kept the request open
  });

  it('does not keep a process alive once its requests are done', () => {
    const client = fileURLToPath(new URL('../../src/sources/evm/logs-worker-client.ts', import.meta.url));
    const script = `const { fetchLogsPage } = await import(${JSON.stringify(client)});
      const page = await fetchLogsPage(${JSON.stringify(`${server.base()}/logs`)}, ${JSON.stringify(request)}, { timeoutMs: 5000, maxBodyBytes: 1e7 });
      console.log(page.ends.length);`;
    // The server lives in this process, so the child runs asynchronously to reach it.
    return new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the child process did not exit after its request: the worker kept it alive'));
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        try {
          expect(code).toBe(0);
          expect(out.trim()).toBe(String(served.length));
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      });
    });
  });
});
