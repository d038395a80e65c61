import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearSecrets } from '../../../src/secrets.ts';
import { HttpClient, HttpSourceError, type HttpClientOptions } from '../../../src/sources/http/http-client.ts';
import { retryDelayMs } from '../../../src/sources/http/retry-after.ts';

/**
 * The generic HTTP client of HTTP sources against a local server whose every answer the test scripts:
 * rate limits (the standard Retry-After in seconds, and dYdX's milliseconds beside an epoch-ms
 * RateLimit-Reset), 5xx, bodies that are not JSON (garbage, cut short, a dropped connection), the
 * request budget, pacing by weight, and keys in the URL (path and query) kept out of every message.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end('{}');
const seen: { url: string; at: number }[] = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url ?? '', at: Date.now() });
  handler(req, res);
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
beforeEach(() => {
  seen.length = 0;
  clearSecrets();
});

/** Answers in turn with the scripted responses; the last one repeats. */
function script(...answers: ((res: ServerResponse, req: IncomingMessage) => void)[]): void {
  let i = 0;
  handler = (req, res) => answers[Math.min(i++, answers.length - 1)]!(res, req);
}
const json = (body: unknown) => (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const status = (code: number, text = '', headers: Record<string, string> = {}) => (res: ServerResponse) => {
  res.writeHead(code, headers);
  res.end(text);
};

const client = (over: Partial<HttpClientOptions> = {}) =>
  new HttpClient({ baseUrl: base, label: 'venue#0', weightPerMinute: 6000, timeoutMs: 2000, budgetMs: 10_000, backoffBaseMs: 20, backoffMaxMs: 50, ...over });
const get = (path = 'v4/things?limit=5', label = 'things newest') => ({ method: 'GET' as const, path, label });

describe('HttpClient', () => {
  it('honours a 429 Retry-After given in seconds (RFC 9110), then answers', async () => {
    script(status(429, '', { 'retry-after': '1' }), json({ ok: 1 }));
    const c = client();
    const started = Date.now();
    expect(await c.send(get())).toEqual({ ok: 1 });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(5000); // within the 10 s budget
    expect(c.stats.retries).toBe(1);
  });

  it("honours dYdX's 429: Retry-After in milliseconds beside an epoch-ms RateLimit-Reset (read as seconds it exceeded the budget and failed at once)", async () => {
    script(
      (res) => status(429, '{"errors":[{"msg":"Too many requests"}]}', { 'retry-after': '700', 'ratelimit-reset': String(Date.now() + 700), 'ratelimit-remaining': '0' })(res),
      json({ trades: [] }),
    );
    const c = client({ budgetMs: 5000 });
    expect(await c.send(get())).toEqual({ trades: [] });
    const waited = seen[1]!.at - seen[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(2500);
  });

  it('says when a rate limit asks for longer than the request budget', async () => {
    script(status(429, '', { 'retry-after': '3600' }));
    const error = await client({ budgetMs: 2000 }).send(get()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpSourceError);
    expect((error as Error).message).toMatch(/things newest on venue#0 \(127\.0\.0\.1:\d+\): failed after 1 attempts .*HTTP 429 \(rate limited\) \(asked to wait 3600\.0 s, beyond the request budget of 2 s\)/);
    expect(seen).toHaveLength(1);
  });

  it('retries 5xx and answers once the server recovers', async () => {
    script(status(500, 'boom'), status(502, 'bad gateway'), json({ ok: 2 }));
    const c = client();
    expect(await c.send(get())).toEqual({ ok: 2 });
    expect(c.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('fails at once on a 4xx other than 408/429, naming the request, the host and the answer', async () => {
    script(status(400, '{"errors":[{"msg":"limit must be a positive integer that is not greater than max: 1000"}]}'));
    const error = await client().send(get('v4/things?limit=5000', 'things limit 5000')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^things limit 5000 on venue#0 \(127\.0\.0\.1:\d+\): HTTP 400: .*not greater than max: 1000/);
    expect(seen).toHaveLength(1);
  });

  it('gives up when the budget is spent, naming the request and the host, never the key (in the path, the query, or echoed by the server)', async () => {
    const keyed = `${base}/SECRETPATHKEY123/?apikey=SECRETQUERYKEY456`;
    // A gateway whose error page repeats the URL it was asked for.
    script((res, req) => status(503, `upstream failed for http://127.0.0.1${req.url} (key SECRETQUERYKEY456)`)(res));
    const error = await client({ baseUrl: keyed, budgetMs: 400 }).send(get()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpSourceError);
    const message = (error as Error).message;
    expect(message).toMatch(/^things newest on venue#0 \(127\.0\.0\.1:\d+\): failed after \d+ attempts in [\d.]+ s; last error: HTTP 503: upstream failed/);
    expect(message).not.toContain('SECRETPATHKEY123');
    expect(message).not.toContain('SECRETQUERYKEY456');
    expect(seen.length).toBeGreaterThan(1);
  });

  it("keeps a key in the base URL's path and query on every request (the query key first, then the request's own parameters)", async () => {
    script(json({}));
    await client({ baseUrl: `${base}/SECRETPATHKEY123?apikey=SECRETQUERYKEY456` }).send(get('v4/trades/perpetualMarket/BTC-USD?limit=5&createdBeforeOrAtHeight=61000100'));
    expect(seen[0]!.url).toBe('/SECRETPATHKEY123/v4/trades/perpetualMarket/BTC-USD?apikey=SECRETQUERYKEY456&limit=5&createdBeforeOrAtHeight=61000100');
  });

  it('retries a body that is not JSON, then fails with a message saying so', async () => {
    script(status(200, '<html>maintenance</html>'), json({ ok: 3 }));
    const c = client();
    expect(await c.send(get())).toEqual({ ok: 3 });
    expect(c.stats.retries).toBe(1);

    script(status(200, '<html>maintenance</html>'));
    const error = await client({ budgetMs: 300 }).send(get()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/things newest on venue#0 .*last error: the answer is not JSON \(24 bytes: "<html>maintenance<\/html>"\)/);
  });

  it('retries a JSON body cut short, and a connection dropped in the middle of the body', async () => {
    const whole = JSON.stringify({ trades: [{ id: 'a', size: '1' }] });
    const cut = (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length - 10) });
      res.end(whole.slice(0, -10));
    };
    const dropped = (res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(whole.length) });
      res.write(whole.slice(0, 10));
      setTimeout(() => res.destroy(), 5);
    };
    script(cut, dropped, (res) => json(JSON.parse(whole))(res));
    const c = client();
    expect(await c.send(get())).toEqual(JSON.parse(whole));
    expect(c.stats.retries).toBe(2);

    script(cut);
    const error = await client({ budgetMs: 300 }).send(get()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/last error: the answer is not JSON \(\d+ bytes: "\{\\"trades\\":/);
  });

  it('paces by weight: no minute holds more than weightPerMinute', async () => {
    script(json({}));
    const controller = new AbortController();
    const c = client({ weightPerMinute: 6, signal: controller.signal });
    const heavy = { ...get(), weight: 3 };
    await c.send(heavy);
    await c.send(heavy);
    const third = c.send(heavy).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 800));
    // Two requests of weight 3 used the minute's 6: the third waits for the minute to pass.
    expect(seen).toHaveLength(2);
    controller.abort(new Error('test over'));
    expect(((await third) as Error).message).toBe('test over');
    expect(seen).toHaveLength(2);
  });
});

describe('retryDelayMs', () => {
  const now = Date.parse('2025-10-10T21:15:00Z');
  const h = (headers: Record<string, string>) => new Headers(headers);
  it('reads Retry-After as seconds or an HTTP-date', () => {
    expect(retryDelayMs(h({ 'retry-after': '7' }), now)).toBe(7000);
    expect(retryDelayMs(h({ 'retry-after': 'Fri, 10 Oct 2025 21:15:30 GMT' }), now)).toBe(30_000);
    expect(retryDelayMs(h({ 'retry-after': 'soon' }), now)).toBeNull();
    expect(retryDelayMs(h({}), now)).toBeNull();
  });
  it('prefers an absolute RateLimit-Reset (epoch ms or s) to a Retry-After it contradicts', () => {
    // dYdX's indexer: Retry-After = msBeforeNext (ms), RateLimit-Reset = Date.now() + msBeforeNext.
    expect(retryDelayMs(h({ 'retry-after': '4200', 'ratelimit-reset': String(now + 4200) }), now)).toBe(4200);
    expect(retryDelayMs(h({ 'x-ratelimit-reset': String(now / 1000 + 12) }), now)).toBe(12_000);
    // a reset already past: no wait beyond the client's own backoff
    expect(retryDelayMs(h({ 'ratelimit-reset': String(now - 50) }), now)).toBe(0);
  });
  it('reads a small RateLimit-Reset as delta-seconds (IETF draft) when no Retry-After says otherwise', () => {
    expect(retryDelayMs(h({ 'ratelimit-reset': '9' }), now)).toBe(9000);
    expect(retryDelayMs(h({ 'ratelimit-reset': '9', 'retry-after': '2' }), now)).toBe(2000);
  });
});
