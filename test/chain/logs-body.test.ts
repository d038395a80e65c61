import { describe, expect, it } from 'vitest';
import { splitLogsBody } from '../../src/sources/evm/logs-body.ts';
import { parseLogsPage } from '../../src/sources/evm/rpc-types.ts';
import { rpcLogEntry } from '../helpers/rpc-log.ts';
import { JsonRpcError, MalformedResponseError } from '../../src/sources/evm/rpc-errors.ts';

const log = rpcLogEntry;
/** Reads a body in this thread the way the fetch worker and the fetcher do together. */
const parseLogsBody = (raw: Buffer, chainId: number) => parseLogsPage({ ...splitLogsBody(raw), body: raw }, chainId);
const body = (value: unknown, space?: number) => Buffer.from(JSON.stringify(value, null, space));
const hexOf = (bytes: number, seed: number) => `0x${Buffer.from(Array.from({ length: bytes }, (_, k) => (k * 31 + seed) % 256)).toString('hex')}`;

describe('eth_getLogs body reader (data cut out of the JSON)', () => {
  it('reads every field as JSON.parse would, data as bytes and (on demand) as hex, with and without whitespace', () => {
    const datas = ['0x', hexOf(32, 1), hexOf(6000, 2), hexOf(1, 3)];
    const logs = datas.map((d, i) => log(i, d));
    for (const space of [undefined, 2]) {
      const parsed = parseLogsBody(body({ jsonrpc: '2.0', id: 0, result: logs }, space), 42161);
      expect(parsed).toHaveLength(datas.length);
      parsed.forEach((p, i) => {
        expect(Buffer.from(p.dataBytes!).toString('hex')).toBe(datas[i]!.slice(2));
        expect(p.data).toBe(datas[i]);
        expect(p.blockNumber).toBe(BigInt(100 + i));
        expect(p.logIndex).toBe(i);
        expect(p.topics).toEqual(logs[i]!.topics);
        expect(p.txHash).toBe(logs[i]!.transactionHash);
        expect(p.blockTime?.getTime()).toBe(0x66b01b00 * 1000);
      });
    }
  });

  it('accepts upper-case hex: the same bytes, and data as lower-case hex like every other field', () => {
    const [p] = parseLogsBody(body({ jsonrpc: '2.0', id: 0, result: [log(0, '0xABCDEF')] }), 1);
    expect(p!.data).toBe('0xabcdef');
    expect([...p!.dataBytes!]).toEqual([0xab, 0xcd, 0xef]);
  });

  it('is not fooled by "data" inside other strings, nested objects or escaped quotes', () => {
    const tricky = log(0, hexOf(64, 4), {
      note: 'a \\"data\\": "0xzz" inside a string',
      nested: { data: 'not a log payload', deeper: [{ data: 12 }] },
      'weird\\"key': '"data"',
      unicode: 'ünïcødé ✓',
    });
    const [p] = parseLogsBody(body({ jsonrpc: '2.0', id: 0, result: [tricky, log(1, '0x01')] }), 1);
    expect(p!.data).toBe(tricky.data);
    expect(Buffer.from(p!.dataBytes!).toString('hex')).toBe((tricky.data as string).slice(2));
  });

  it('rejects a log whose data is missing, not a string, escaped, not hex or odd-length', () => {
    const bad: [string, unknown][] = [
      ['missing', undefined],
      ['number', 5],
      ['null', null],
      ['escaped', '0x\\u0030\\u0030'],
      ['not hex', '0xzz'],
      ['half a byte', '0xabc'],
      ['no prefix', 'abcd'],
    ];
    for (const [name, data] of bad) {
      const raw = name === 'escaped'
        ? Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 0, result: [log(0, 'PLACEHOLDER')] }).replace('"PLACEHOLDER"', '"0x\\u0030\\u0030"'))
        : body({ jsonrpc: '2.0', id: 0, result: [log(0, data)] });
      expect(() => parseLogsBody(raw, 1), name).toThrow(MalformedResponseError);
    }
  });

  it('throws the provider error of an error response, its data intact (range hints live there)', () => {
    const response = { jsonrpc: '2.0', id: 0, error: { code: -32005, message: 'query returned more than 10000 results', data: { from: '0x1', to: '0x2' } } };
    let caught: unknown;
    try {
      parseLogsBody(body(response), 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JsonRpcError);
    expect((caught as JsonRpcError).code).toBe(-32005);
    expect((caught as Error).message).toContain('query returned more than 10000 results');
    expect((caught as JsonRpcError).data).toEqual({ from: '0x1', to: '0x2' });

    const withStringData = { jsonrpc: '2.0', id: 0, error: { code: -32000, message: 'limit exceeded', data: '0xdeadbeef' } };
    expect(() => parseLogsBody(body(withStringData), 1)).toThrow(/limit exceeded "0xdeadbeef"/);
  });

  it('rejects truncated bodies and non-list results as malformed', () => {
    const full = body({ jsonrpc: '2.0', id: 0, result: [log(0, hexOf(200, 5))] });
    for (const cut of [10, Math.floor(full.length / 2), full.length - 1]) {
      expect(() => parseLogsBody(full.subarray(0, cut), 1), `cut at ${cut}`).toThrow(MalformedResponseError);
    }
    expect(() => parseLogsBody(body({ jsonrpc: '2.0', id: 0, result: { data: '0x00' } }), 1)).toThrow(MalformedResponseError);
    expect(() => parseLogsBody(body({ jsonrpc: '2.0', id: 0 }), 1)).toThrow(MalformedResponseError);
  });
});
