import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pad, toHex, type Hex } from 'viem';

/**
 * A JSON-RPC proxy in front of anvil that lies the way a broken or dishonest provider does: its answers
 * are well-formed, only untrue. Each lie is one `Lie`; the proxy records what it did (which logs it
 * dropped, how many answers it falsified) so that a test can compute what the store must hold without
 * going through liqscope.
 */
export type Lie =
  /** Leaves out every log whose logIndex is `logIndex` (the lie no single answer reveals). */
  | { kind: 'drop'; logIndex: number }
  /** Adds a copy of the page's first log as if emitted by another contract. */
  | { kind: 'foreign-address' }
  /** Adds a copy of the page's first log with a topic0 outside the filter. */
  | { kind: 'foreign-topic0' }
  /** Repeats the page's first log. */
  | { kind: 'duplicate' }
  /** Gives the page's first log a logIndex of 2^40. */
  | { kind: 'huge-log-index' }
  /** Gives every log of the page's first block a block hash of no block (consistently, as a node on another branch would). */
  | { kind: 'wrong-block-hash' }
  /** Adds a copy of the page's last log one block past the requested range. */
  | { kind: 'out-of-range' }
  /** Moves a copy of the page's first log into a block of the range that holds no log (with that block's real hash). */
  | { kind: 'fabricated-in-empty-block' }
  /** Replaces the page's first log's topic1 (an indexed value) by another, keeping address, topic0 and block. */
  | { kind: 'tampered-topic1' }
  /** Answers eth_chainId with another chain's id. */
  | { kind: 'chain-id'; chainId: number };

export interface LyingProxyOptions {
  upstream: string;
  lie: Lie;
  /** Lie in this many eth_getLogs answers, then answer honestly (default: always). */
  times?: number;
  /** Lie only in eth_getLogs answers whose requested range holds this block (default: any). */
  atBlock?: bigint;
}

export interface DroppedLog {
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
}

export interface LyingProxy {
  url: string;
  /** eth_getLogs calls answered. */
  getLogs: number;
  /** Answers that carried the lie. */
  lies: number;
  /** Every log a 'drop' lie left out (a log dropped twice, on a retried range, is listed once). */
  dropped: DroppedLog[];
  close(): Promise<void>;
}

interface RpcLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  [key: string]: unknown;
}

interface Call {
  jsonrpc: '2.0';
  id: unknown;
  method: string;
  params?: unknown[];
}

/** A contract that emitted nothing on the test chain. */
export const FOREIGN_ADDRESS: Hex = '0x00000000000000000000000000000000000bad00';
/** A topic0 that no filter of the tests asks for (any other event's signature hash). */
export const FOREIGN_TOPIC0: Hex = '0x5c1d0c3bb4b0b6ccf8ff1f6b2e3a5f0d1b6e5c7a9d3f1e2b4c6a8e0f2d4b6a8c';
export const FAKE_BLOCK_HASH: Hex = `0x${'ee'.repeat(32)}`;
/** An indexed value no emitted Ping carries (seq 999,999,999). */
export const TAMPERED_TOPIC1: Hex = pad(toHex(999_999_999));

export async function startLyingProxy(options: LyingProxyOptions): Promise<LyingProxy> {
  const upstreamCall = async (body: unknown): Promise<unknown> => {
    const response = await fetch(options.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  };
  const droppedKeys = new Set<string>();
  const proxy: LyingProxy = { url: '', getLogs: 0, lies: 0, dropped: [], close: async () => {} };

  const mayLie = (from: bigint, to: bigint) =>
    (options.times === undefined || proxy.lies < options.times) && (options.atBlock === undefined || (options.atBlock >= from && options.atBlock <= to));

  /** The logs of an eth_getLogs answer, rewritten by the lie; undefined when nothing was changed. */
  const falsify = async (logs: RpcLog[], from: bigint, to: bigint): Promise<RpcLog[] | undefined> => {
    const lie = options.lie;
    const first = logs[0];
    const last = logs[logs.length - 1];
    switch (lie.kind) {
      case 'drop': {
        const kept = logs.filter((log) => Number(BigInt(log.logIndex)) !== lie.logIndex);
        if (kept.length === logs.length) return undefined;
        for (const log of logs) {
          if (Number(BigInt(log.logIndex)) !== lie.logIndex) continue;
          const key = `${BigInt(log.blockNumber)}:${lie.logIndex}`;
          if (droppedKeys.has(key)) continue;
          droppedKeys.add(key);
          proxy.dropped.push({ blockNumber: BigInt(log.blockNumber), logIndex: lie.logIndex, txHash: log.transactionHash });
        }
        return kept;
      }
      case 'foreign-address':
        return first ? [...logs, { ...first, address: FOREIGN_ADDRESS, logIndex: toHex(1000) }] : undefined;
      case 'foreign-topic0':
        return first ? [...logs, { ...first, topics: [FOREIGN_TOPIC0, ...first.topics.slice(1)], logIndex: toHex(1000) }] : undefined;
      case 'duplicate':
        return first ? [first, ...logs] : undefined;
      case 'huge-log-index':
        return first ? [{ ...first, logIndex: toHex(2n ** 40n) }, ...logs.slice(1)] : undefined;
      case 'wrong-block-hash':
        return first ? logs.map((log) => (log.blockNumber === first.blockNumber ? { ...log, blockHash: FAKE_BLOCK_HASH } : log)) : undefined;
      case 'out-of-range':
        return last ? [...logs, { ...last, blockNumber: toHex(to + 1n) }] : undefined;
      case 'tampered-topic1':
        return first ? [{ ...first, topics: [first.topics[0]!, TAMPERED_TOPIC1, ...first.topics.slice(2)] }, ...logs.slice(1)] : undefined;
      case 'fabricated-in-empty-block': {
        if (!first) return undefined;
        const used = new Set(logs.map((log) => BigInt(log.blockNumber)));
        let empty = from;
        while (empty <= to && used.has(empty)) empty++;
        if (empty > to) return undefined;
        const block = (await upstreamCall({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [toHex(empty), false] })) as { result: { hash: Hex } };
        return [...logs, { ...first, blockNumber: toHex(empty), blockHash: block.result.hash, logIndex: '0x0', transactionIndex: '0x0' }];
      }
      case 'chain-id':
        return undefined;
    }
  };

  const answer = async (call: Call): Promise<unknown> => {
    const lie = options.lie;
    if (call.method === 'eth_chainId' && lie.kind === 'chain-id') {
      proxy.lies++;
      return { jsonrpc: '2.0', id: call.id, result: toHex(lie.chainId) };
    }
    const reply = (await upstreamCall(call)) as { result?: unknown };
    if (call.method !== 'eth_getLogs' || !Array.isArray(reply.result)) return reply;
    proxy.getLogs++;
    const filter = (call.params?.[0] ?? {}) as { fromBlock: Hex; toBlock: Hex };
    const from = BigInt(filter.fromBlock);
    const to = BigInt(filter.toBlock);
    if (!mayLie(from, to)) return reply;
    const falsified = await falsify(reply.result as RpcLog[], from, to);
    if (!falsified) return reply;
    proxy.lies++;
    return { ...reply, result: falsified };
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        try {
          const parsed = JSON.parse(raw) as Call | Call[];
          const body = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        } catch (error) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`lying proxy error: ${(error as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
