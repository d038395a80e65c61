import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAnvil } from '../helpers/anvil.ts';
import { runCli } from '../helpers/cli.ts';
import { migratedEmbeddedDir } from '../helpers/db.ts';
import { startRewriteProxy, type RewriteProxy } from '../helpers/rewrite-proxy.ts';
import { startSubgraphServer } from '../../src/sim/servers/subgraph-server.ts';
import { tradeActions } from '../sources/subgraph/fixtures.ts';
import { EMITTER, emitPings, PING_TOPIC0 } from '../indexer/support.ts';

/**
 * Keys of every shape providers use, none of which may appear in anything the CLI prints (stdout,
 * stderr: log lines at debug level, warnings, progress, the summary table, the final error line),
 * in RPC URLs, subgraph URLs (The Graph's gateway takes the key in the path) and venue API URLs.
 */
const KEYS = {
  pathKey: 'SECRETKEY123',
  queryKey: 'SECRETKEY456',
  lettersOnly: 'qwertyuiopasdfghjklzxcvbnmqwerty', // 32 letters, no digit
  dotted: 'key.wIth.d0t',
  fragment: 'fragmentsecret',
  user: 'user0name',
  password: 's3cr3tPass',
};

function leaks(output: string): string[] {
  const forms = { ...KEYS, basicAuth: Buffer.from(`${KEYS.user}:${KEYS.password}`).toString('base64') };
  return Object.entries(forms)
    .filter(([, key]) => output.includes(key) || output.includes(encodeURIComponent(key)))
    .map(([shape]) => shape);
}

const chain = withAnvil(42161);

/** Each run's directory (config and a copy of the migrated store), removed at the end. */
const runDirs: string[] = [];
function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-secrets-'));
  runDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A provider that echoes the endpoint without its scheme (`host/path?query`) in its error texts, as
 * real ones do: `status` 401 with a JSON-RPC body, or 500 with plain text.
 */
function echoingServer(status: 401 | 500): Server {
  return createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const echo = `${req.headers.host}${req.url}`;
      if (status === 401) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32000, message: `invalid API key for ${echo}` } }));
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`upstream failure at ${echo} (auth ${req.headers.authorization ?? 'none'})`);
      }
    });
  });
}

let servers: Server[] = [];
let proxy: RewriteProxy;
const base = (server: Server) => `127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  servers = [echoingServer(401), echoingServer(500)];
  for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Runs `liqscope index` with the RPC URLs given through the environment, at debug level. */
async function index(rpcUrls: string[], startBlock: number) {
  const dir = runDir();
  const env: Record<string, string> = { DATABASE_URL: '', LIQSCOPE_LOG_LEVEL: 'debug' };
  rpcUrls.forEach((url, i) => (env[`RPC_${i}`] = url));
  const config = {
    chains: {
      local: {
        chainId: 42161,
        rpc: rpcUrls.map((_, i) => `\${RPC_${i}}`),
        finality: 0,
        requestTimeout: 0.5,
        requestBudget: 2,
        laggingNodeTimeout: 1,
      },
    },
    sources: [{ name: 'pings', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock, options: { topic0: [PING_TOPIC0] } }],
  };
  writeFileSync(join(dir, 'liqscope.config.json'), JSON.stringify(config));
  return runCli(['--database', migratedEmbeddedDir(join(dir, 'db')), 'index'], { cwd: dir, env, timeoutMs: 60_000 });
}

describe('RPC keys never leave the process', () => {
  it('a successful run failing over from a refused key: warnings, progress, debug lines and the summary show labels and hosts only', async () => {
    const url = chain().rpcUrl;
    const emitted = await emitPings(url, { blocksWithLogs: 3, perBlock: 2, gap: 1 });
    proxy = await startRewriteProxy(url, async () => undefined);
    const refused = `http://${base(servers[0]!)}/v2/${KEYS.pathKey}?apikey=${KEYS.queryKey}#${KEYS.fragment}`;
    const proxyPort = new URL(proxy.url).port;
    const working = `http://${KEYS.user}:${KEYS.password}@127.0.0.1:${proxyPort}/${KEYS.lettersOnly}/${KEYS.dotted}`;
    try {
      const run = await index([refused, working], Number(emitted.firstBlock));
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(0);
      // The channels were exercised: the refusal, the failover, the summary.
      expect(run.stderr).toMatch(new RegExp(`local#0 \\(${base(servers[0]!).replace(/\./g, '\\.')}\\)`));
      expect(run.stderr).toMatch(/unauthorized/);
      expect(run.stderr).toMatch(/failing over from local#0 \(127\.0\.0\.1:\d+\) to local#1 \(127\.0\.0\.1:\d+\)/);
      expect(run.stderr).toMatch(/invalid API key for \*\*\*/); // the provider's echo, redacted
      // The summary table (cli-table3 colours its borders): the source wrote the 6 Pings.
      expect(run.stdout.replace(/\u001b\[\d+m/g, '')).toMatch(/│ pings\s+│ blocks\s+│ \d+\s+│ \d+\s+│ 6\s+│/);
      expect(leaks(output)).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it.each([
    ['a path key and a query key', (host: string) => `http://${host}/v2/${KEYS.pathKey}?apikey=${KEYS.queryKey}`],
    ['a 32-letter key without digits', (host: string) => `http://${host}/${KEYS.lettersOnly}`],
    ['a key with dots', (host: string) => `http://${host}/v3/${KEYS.dotted}`],
    ['a #fragment', (host: string) => `http://${host}/rpc#${KEYS.fragment}`],
    ['userinfo', (host: string) => `http://${KEYS.user}:${KEYS.password}@${host}/`],
  ])('a failing endpoint with %s: retries, warnings and the final error line name it by label and host', async (_shape, make) => {
    const run = await index([make(base(servers[1]!))], 1);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    const last = run.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^liqscope: .*on local#0 \(127\.0\.0\.1:\d+\): failed after \d+ attempts in [\d.]+ s \(request budget 2 s.*HTTP 500: upstream failure at (\*\*\*|127\.0\.0\.1:\d+\/(rpc)?) \(auth (none|Basic \*\*\*)\)/);
    expect(run.stderr).toMatch(/"level":40,.*still failing after/); // warned before giving up
    expect(leaks(output)).toEqual([]);
  }, 60_000);

  it('a closed port: connection refused, with the key in userinfo, path, query and fragment', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await index([`http://${KEYS.user}:${KEYS.password}@127.0.0.1:${port}/v2/${KEYS.pathKey}/${KEYS.dotted}?apikey=${KEYS.queryKey}#${KEYS.fragment}`], 1);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^liqscope: .*on local#0 \\(127\\.0\\.0\\.1:${port}\\): failed after .*ECONNREFUSED`));
    expect(leaks(output)).toEqual([]);
  }, 60_000);
});

/** Runs `liqscope index` with one source of `kind` whose URL comes from the environment, at debug level. */
async function indexSource(kind: 'subgraph' | 'http', url: string) {
  const dir = runDir();
  const timing = { requestTimeout: 0.5, requestBudget: 2 };
  const source =
    kind === 'subgraph'
      ? { name: 'graph', kind, protocol: 'gmx-v2', chain: 'arbitrum', url: '${SOURCE_URL}', requestsPerMinute: 60_000, pageSize: 100, ...timing }
      : { name: 'indexer', kind, protocol: 'dydx-v4', url: '${SOURCE_URL}', weightPerMinute: 60_000, options: { markets: ['BTC-USD'], read: ['trades'], fromHeight: 1 }, ...timing };
  // The subgraph's chain gives its rows a chain id; its RPC is never called.
  writeFileSync(join(dir, 'liqscope.config.json'), JSON.stringify({ chains: { arbitrum: { chainId: 42161, rpc: ['http://127.0.0.1:9'] } }, sources: [source] }));
  return runCli(['--database', migratedEmbeddedDir(join(dir, 'db')), 'index'], { cwd: dir, env: { DATABASE_URL: '', LIQSCOPE_LOG_LEVEL: 'debug', SOURCE_URL: url }, timeoutMs: 110_000 });
}

describe('subgraph and venue API keys never leave the process', () => {
  it.each(['subgraph', 'http'] as const)('a %s source whose failing endpoint echoes its URL (key in the path, with dots, and in the query): warnings and the final error name it by host', async (kind) => {
    const run = await indexSource(kind, `http://${base(servers[1]!)}/api/${KEYS.pathKey}/${KEYS.dotted}?apikey=${KEYS.queryKey}`);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    const last = run.stderr.trim().split('\n').at(-1)!;
    // It names the source (as the endpoint's label) and the host.
    expect(last).toMatch(new RegExp(`^liqscope: .*(graph|indexer) \\(127\\.0\\.0\\.1:${new URL(`http://${base(servers[1]!)}`).port}\\)`));
    expect(output).toMatch(/upstream failure at/); // the echo reached the output, redacted
    expect(leaks(output)).toEqual([]);
  }, 120_000);

  it.each(['subgraph', 'http'] as const)('a %s source with userinfo, a 32-letter key and a #fragment in its URL', async (kind) => {
    const run = await indexSource(kind, `http://${KEYS.user}:${KEYS.password}@${base(servers[1]!)}/${KEYS.lettersOnly}#${KEYS.fragment}`);
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^liqscope: .*(graph|indexer) \(127\.0\.0\.1:\d+\)/);
    expect(leaks(output)).toEqual([]);
  }, 120_000);

  it('a subgraph run at debug level: pages read, a 429 and a 500 echoing the gateway URL retried, then a malformed page failing with its field', async () => {
    const { rows } = tradeActions(250, { salt: 21 });
    const subgraph = await startSubgraphServer({
      rows: { TradeAction: rows },
      // Page requests 3 and 4 answer 100 entities each; the 5th, the last 50, has one spoilt.
      faults: (r) =>
        r.page === 1 ? { kind: 'status', status: 429, retryAfterSeconds: 0, echoUrl: true }
        : r.page === 2 ? { kind: 'status', status: 500, echoUrl: true }
        : r.page === 5 ? { kind: 'malformed', edit: (answer) => ({ data: { items: [{ ...(answer.data!.items as object[])[0], sizeDeltaUsd: 'lots' }] } }) }
        : null,
    });
    try {
      const origin = new URL(subgraph.url).origin;
      const run = await indexSource('subgraph', `${origin}/api/${KEYS.pathKey}/subgraphs/id/${KEYS.lettersOnly}?key=${KEYS.queryKey}`);
      const output = run.stdout + run.stderr;
      expect(run.code, output).toBe(1);
      expect(run.stderr).toContain('batch written'); // two pages were read and logged
      expect(output).toMatch(/upstream failure serving/); // the gateway's echo, redacted
      // The page is named by where it starts (the id before it), the field by its place in the page.
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^liqscope: source graph: TradeAction page after id 0x[0-9a-f]{64}:\d+ of blocks .* on graph \(127\.0\.0\.1:\d+\): \[0\]\.sizeDeltaUsd: /);
      expect(leaks(output)).toEqual([]);
    } finally {
      await subgraph.close();
    }
  }, 120_000);
});
