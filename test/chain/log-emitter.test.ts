import { describe, expect, it } from 'vitest';
import { createPublicClient, http, keccak256, parseAbiItem, encodeEventTopics, encodeAbiParameters, decodeEventLog, toHex, type Hex } from 'viem';
import { withAnvil } from '../helpers/anvil.ts';
import { emitBlock, installLogEmitter, rpc } from '../../src/sim/log-emitter.ts';

const EVENT_EMITTER = '0xC8ee91A54287DB53897056e12D9819156D3822Fb';
const answerUpdated = parseAbiItem('event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt)');

describe('log emitter on anvil', () => {
  const chain = withAnvil(42161);

  it('reports the real chain id it was given', async () => {
    expect(BigInt(await rpc<Hex>(chain().rpcUrl, 'eth_chainId'))).toBe(42161n);
  });

  it('serves exactly the logs it was asked to emit, in order, at the real address and time', async () => {
    const { rpcUrl } = chain();
    await installLogEmitter(rpcUrl, EVENT_EMITTER);
    const topic = (n: number) => toHex(n, { size: 32 });
    const big = toHex(new Uint8Array(5000).map((_, i) => i % 256));
    const logs = [
      { topics: [] as Hex[], data: '0x' as Hex },
      { topics: [topic(1)], data: '0xdeadbeef' as Hex },
      { topics: [topic(1), topic(2)], data: big },
      { topics: [topic(4), topic(3), topic(2), topic(1)], data: '0x01' as Hex },
    ];
    // 2025-10-10 21:15:03 UTC: the first Hyperliquid liquidation of the cascade, to the second.
    const timestamp = 1760130903;
    const block = await emitBlock(rpcUrl, [{ address: EVENT_EMITTER, logs }, { address: EVENT_EMITTER, logs: logs.slice(1, 2) }], { timestamp });

    const client = createPublicClient({ transport: http(rpcUrl) });
    const fetched = await client.getLogs({ fromBlock: block.blockNumber, toBlock: block.blockNumber });
    const expected = [...logs, logs[1]!];
    expect(fetched.map((l) => ({ address: l.address, topics: l.topics, data: l.data, logIndex: l.logIndex }))).toEqual(
      expected.map((l, i) => ({ address: EVENT_EMITTER.toLowerCase(), topics: l.topics, data: l.data, logIndex: i })),
    );
    expect(fetched.map((l) => l.transactionHash)).toEqual([...Array(4).fill(block.txHashes[0]), block.txHashes[1]]);
    const header = await client.getBlock({ blockNumber: block.blockNumber });
    expect(header.timestamp).toBe(BigInt(timestamp));
    expect(header.hash).toBe(block.blockHash);
  });

  it('emits real Chainlink AnswerUpdated logs that viem decodes back', async () => {
    const { rpcUrl } = chain();
    const aggregator = '0x7d4E742018fb52E48b08BE73d041C18B21de6Fb5';
    await installLogEmitter(rpcUrl, aggregator);
    const topics = encodeEventTopics({ abi: [answerUpdated], eventName: 'AnswerUpdated', args: { current: 229750276106n, roundId: 110680464442257320802n } });
    const data = encodeAbiParameters([{ type: 'uint256' }], [1706558123n]);
    const block = await emitBlock(rpcUrl, [{ address: aggregator, logs: [{ topics: topics as Hex[], data }] }]);
    const client = createPublicClient({ transport: http(rpcUrl) });
    const [log] = await client.getLogs({ fromBlock: block.blockNumber, toBlock: block.blockNumber });
    expect(log!.topics[0]).toBe(keccak256(toHex('AnswerUpdated(int256,uint256,uint256)')));
    const decoded = decodeEventLog({ abi: [answerUpdated], topics: log!.topics, data: log!.data });
    expect(decoded.args).toEqual({ current: 229750276106n, roundId: 110680464442257320802n, updatedAt: 1706558123n });
  });

  it('emits after the chain id was changed (tests of other chains share this anvil)', async () => {
    const { rpcUrl } = chain();
    await rpc(rpcUrl, 'anvil_setChainId', [8453]);
    await installLogEmitter(rpcUrl, EVENT_EMITTER);
    const block = await emitBlock(rpcUrl, [{ address: EVENT_EMITTER, logs: [{ topics: [], data: '0x01' }] }]);
    expect(BigInt(await rpc<Hex>(rpcUrl, 'eth_chainId'))).toBe(8453n);
    const client = createPublicClient({ transport: http(rpcUrl) });
    expect(await client.getLogs({ fromBlock: block.blockNumber, toBlock: block.blockNumber })).toHaveLength(1);
    await rpc(rpcUrl, 'anvil_setChainId', [42161]);
  });

  it('starts every test from the same chain (snapshot/revert)', async () => {
    const client = createPublicClient({ transport: http(chain().rpcUrl) });
    expect(await client.getBlockNumber()).toBe(0n);
  });
});
