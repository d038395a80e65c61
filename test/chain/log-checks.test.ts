import { describe, expect, it } from 'vitest';
import { keccak256, pad, toHex, type Address, type Hex } from 'viem';
import type { RawLog } from '../../src/pipeline/records.ts';
import { emitBlock, installLogEmitter, rpc } from '../../src/sim/log-emitter.ts';
import { checkLogsAgainstHeaders, checkLogsAgainstRequest, type LogRequest } from '../../src/sources/evm/log-checks.ts';
import { addToBloom, bloomBytes, isInBloom } from '../../src/sources/evm/logs-bloom.ts';
import { MalformedResponseError } from '../../src/sources/evm/rpc-errors.ts';
import { parseHeader, type BlockHeader } from '../../src/sources/evm/rpc-types.ts';
import { withAnvil } from '../helpers/anvil.ts';

const A: Address = '0x00000000000000000000000000000000000000aa';
const B: Address = '0x00000000000000000000000000000000000000bb';
const T0: Hex = `0x${'01'.repeat(32)}`;
const T0_OTHER: Hex = `0x${'02'.repeat(32)}`;
const hash = (n: number): Hex => pad(toHex(n));

function log(block: number, logIndex: number, extra: Partial<RawLog> = {}): RawLog {
  return {
    chainId: 42161,
    blockNumber: BigInt(block),
    blockHash: hash(1_000 + block),
    blockTime: null,
    txHash: hash(2_000 + block),
    txIndex: 0,
    logIndex,
    address: A,
    topics: [T0, hash(logIndex)],
    data: '0x',
    ...extra,
  };
}

const request: LogRequest = { fromBlock: 100n, toBlock: 109n, addresses: [A], filter: { topic0: [T0] } };

describe('checkLogsAgainstRequest: an answer that contradicts its own eth_getLogs request', () => {
  it('accepts an honest page, in order or not', () => {
    const page = [log(100, 0), log(100, 1), log(105, 0), log(109, 7)];
    expect(checkLogsAgainstRequest(request, page)).toBeUndefined();
    expect(checkLogsAgainstRequest(request, [page[2]!, page[0]!, page[3]!, page[1]!])).toBeUndefined();
    expect(checkLogsAgainstRequest(request, [])).toBeUndefined();
  });

  it('names a log outside the range', () => {
    expect(checkLogsAgainstRequest(request, [log(100, 0), log(110, 0)])).toBe('returned a log of block 110 (block 110, logIndex 0), outside the requested range');
    expect(checkLogsAgainstRequest(request, [log(99, 3)])).toBe('returned a log of block 99 (block 99, logIndex 3), outside the requested range');
  });

  it('names a log of a contract not asked for', () => {
    expect(checkLogsAgainstRequest(request, [log(100, 0), log(101, 0, { address: B })])).toBe(
      `returned a log (block 101, logIndex 0) of contract ${B}, which the request did not ask for (${A})`,
    );
    // No address in the request: any contract goes.
    expect(checkLogsAgainstRequest({ ...request, addresses: [] }, [log(101, 0, { address: B })])).toBeUndefined();
  });

  it('names a topic0 or topic1 outside the filter, and a log without topics when topic0 is filtered', () => {
    expect(checkLogsAgainstRequest(request, [log(102, 4, { topics: [T0_OTHER] })])).toBe(
      `returned a log (block 102, logIndex 4) with topic0 ${T0_OTHER}, which is not in the request's topic filter`,
    );
    expect(checkLogsAgainstRequest(request, [log(102, 4, { topics: [] })])).toBe(
      "returned a log (block 102, logIndex 4) with topic0 (none), which is not in the request's topic filter",
    );
    const withTopic1: LogRequest = { ...request, filter: { topic0: [T0], topic1: [hash(1)] } };
    expect(checkLogsAgainstRequest(withTopic1, [log(102, 1)])).toBeUndefined();
    expect(checkLogsAgainstRequest(withTopic1, [log(102, 2)])).toBe(
      `returned a log (block 102, logIndex 2) with topic1 ${hash(2)}, which is not in the request's topic filter`,
    );
    // An empty topic0 filter asks for every event.
    expect(checkLogsAgainstRequest({ ...request, filter: { topic0: [] } }, [log(102, 4, { topics: [] })])).toBeUndefined();
  });

  it('finds a duplicate (blockNumber, logIndex) whether adjacent or not', () => {
    expect(checkLogsAgainstRequest(request, [log(100, 0), log(100, 0), log(101, 0)])).toBe('returned block 100, logIndex 0 twice');
    expect(checkLogsAgainstRequest(request, [log(100, 0), log(101, 3), log(102, 0), log(101, 3)])).toBe('returned block 101, logIndex 3 twice');
  });

  it('refuses indexes that no real block has (raw_logs keeps them as int4)', () => {
    expect(checkLogsAgainstRequest(request, [log(100, 2 ** 31 - 1)])).toBeUndefined();
    expect(checkLogsAgainstRequest(request, [log(100, 2 ** 31)])).toBe('returned a log of block 100 with logIndex 2147483648, beyond any real block (at most 2147483647)');
    expect(checkLogsAgainstRequest(request, [log(100, 2 ** 40)])).toBe('returned a log of block 100 with logIndex 1099511627776, beyond any real block (at most 2147483647)');
    expect(checkLogsAgainstRequest(request, [log(100, 1, { txIndex: 2 ** 32 })])).toBe(
      'returned a log (block 100, logIndex 1) with transactionIndex 4294967296, beyond any real block (at most 2147483647)',
    );
  });

  it('refuses two block hashes for one block (logs from two branches in one answer)', () => {
    const other = hash(9_999);
    expect(checkLogsAgainstRequest(request, [log(100, 0), log(100, 1, { blockHash: other })])).toBe(
      `returned logs of block 100 with two block hashes (${hash(1_100)}, ${other})`,
    );
    expect(checkLogsAgainstRequest(request, [log(100, 1, { blockHash: other }), log(101, 0), log(100, 0)])).toBe(
      `returned logs of block 100 with two block hashes (${hash(1_100)}, ${other})`,
    );
  });
});

describe('logs bloom', () => {
  it('builds the bloom of go-ethereum\'s published test vector (TestBloomExtensively)', () => {
    // core/types/bloom9_test.go: 100 values "xxxxxxxxxx data i yyyyyyyyyyyyyy" give a bloom whose
    // keccak-256 is c8d3ca65…b263. Checks the hash, the three 11-bit indexes and the bit order at once.
    const bloom = new Uint8Array(256);
    for (let i = 0; i < 100; i++) addToBloom(bloom, toHex(`xxxxxxxxxx data ${i} yyyyyyyyyyyyyy`));
    expect(keccak256(bloom)).toBe('0xc8d3ca65cdb4874300a9e39475508f23ed6da09fdbc487f89a2dcf50b09eb263');
    for (let i = 0; i < 100; i++) expect(isInBloom(bloom, toHex(`xxxxxxxxxx data ${i} yyyyyyyyyyyyyy`))).toBe(true);
  });

  it('go-ethereum\'s TestBloom: positives test true, its negatives false', () => {
    const bloom = new Uint8Array(256);
    for (const word of ['testtest', 'test', 'hallo', 'other']) addToBloom(bloom, toHex(word));
    for (const word of ['testtest', 'test', 'hallo', 'other']) expect(isInBloom(bloom, toHex(word))).toBe(true);
    for (const word of ['tes', 'lo']) expect(isInBloom(bloom, toHex(word))).toBe(false);
  });
});

describe('checks against block headers from anvil (its blooms are computed by anvil, not by us)', () => {
  const chain = withAnvil(42161);
  const EMITTER: Address = '0x0000000000000000000000000000000000c0ffee';

  async function blockWithLogs() {
    const { rpcUrl } = chain();
    await installLogEmitter(rpcUrl, EMITTER);
    const emitted = await emitBlock(rpcUrl, [{ address: EMITTER, logs: [{ topics: [T0, hash(1)], data: '0x01' }, { topics: [T0, hash(2), hash(3)], data: '0x02' }] }]);
    const header = parseHeader(await rpc(rpcUrl, 'eth_getBlockByNumber', [toHex(emitted.blockNumber), false]))!;
    const logs = await rpc<{ address: Address; topics: Hex[]; logIndex: Hex; transactionHash: Hex }[]>(rpcUrl, 'eth_getLogs', [
      { fromBlock: toHex(emitted.blockNumber), toBlock: toHex(emitted.blockNumber) },
    ]);
    const raw = logs.map((l) => log(Number(emitted.blockNumber), Number(BigInt(l.logIndex)), { blockHash: header.hash, address: l.address, topics: l.topics, txHash: l.transactionHash }));
    return { header, raw };
  }

  it('parses the header\'s logsBloom, and every real log of the block is in it', async () => {
    const { header, raw } = await blockWithLogs();
    expect(header.logsBloom).toMatch(/^0x[0-9a-f]{512}$/);
    const bloom = bloomBytes(header.logsBloom!);
    for (const l of raw) for (const value of [l.address, ...l.topics]) expect(isInBloom(bloom, value)).toBe(true);
    expect(checkLogsAgainstHeaders(raw, new Map([[header.number, header]]))).toBeUndefined();
  });

  it('denies a log whose address or topic the bloom lacks, a log with another hash, a log of a missing block', async () => {
    const { header, raw } = await blockWithLogs();
    const headers = new Map<bigint, BlockHeader | null>([[header.number, header]]);
    const n = header.number;
    expect(checkLogsAgainstHeaders([raw[0]!, { ...raw[1]!, address: B }], headers)?.problem).toBe(
      `returned a log (block ${n}, logIndex 1) of contract ${B}, which is not in the block's logsBloom: the block holds no log of that contract`,
    );
    expect(checkLogsAgainstHeaders([{ ...raw[1]!, topics: [T0, hash(2), hash(4)] }], headers)?.problem).toBe(
      `returned a log (block ${n}, logIndex 1) whose topic2 ${hash(4)} is not in the block's logsBloom: the block holds no such log`,
    );
    expect(checkLogsAgainstHeaders([{ ...raw[0]!, blockHash: hash(7) }], headers)?.problem).toBe(
      `returned a log (block ${n}, logIndex 0) with blockHash ${hash(7)}, but the block's header has ${header.hash}`,
    );
    expect(checkLogsAgainstHeaders([raw[0]!], new Map([[n, null]]))?.problem).toBe(
      `returned a log (block ${n}, logIndex 0) of a block that eth_getBlockByNumber says does not exist`,
    );
    // Without a bloom in the header, only the hash is checked.
    const { logsBloom: _bloom, ...bare } = header;
    expect(checkLogsAgainstHeaders([{ ...raw[1]!, address: B }], new Map([[n, bare]]))).toBeUndefined();
  });

  it('parseHeader refuses a logsBloom that is not 256 bytes', async () => {
    const block = await rpc<Record<string, unknown>>(chain().rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    expect(() => parseHeader({ ...block, logsBloom: '0x1234' })).toThrow(MalformedResponseError);
    const { logsBloom: _bloom, ...withoutBloom } = block;
    expect(parseHeader(withoutBloom)?.logsBloom).toBeUndefined();
  });
});
