import { describe, expect, it } from 'vitest';
import { decodeEventLog, encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { chainlinkAggregatorAbi } from '../../../abis/chainlink-aggregator.ts';
import { decodeAnswerUpdated } from '../../../src/protocols/chainlink/decoder.ts';
import { DecodeFailure } from '../../../src/protocols/shared/rows.ts';

/** Deterministic values across the whole int256/uint256 range, so a failure can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), state);
  const word = (bytes: number) => BigInt(`0x${Array.from({ length: bytes }, () => (next() % 256).toString(16).padStart(2, '0')).join('')}`);
  return { word, int: (n: number) => next() % n };
}

function encoded(current: bigint, roundId: bigint, updatedAt: bigint): { topics: Hex[]; data: Hex } {
  const topics = encodeEventTopics({ abi: chainlinkAggregatorAbi, eventName: 'AnswerUpdated', args: { current, roundId } }) as Hex[];
  return { topics, data: encodeAbiParameters([{ type: 'uint256' }], [updatedAt]) };
}

describe('Chainlink AnswerUpdated fast decoder', () => {
  it('agrees with viem on 500 randomised logs, negative answers and extreme values included', () => {
    const g = generator(7);
    const extremes = [0n, 1n, -1n, 2n ** 255n - 1n, -(2n ** 255n)];
    for (let i = 0; i < 500; i++) {
      const magnitude = g.word(1 + g.int(31));
      const current = i < extremes.length ? extremes[i]! : g.int(2) ? magnitude : -magnitude;
      const roundId = i === 0 ? 2n ** 256n - 1n : g.word(1 + g.int(32));
      const updatedAt = g.word(1 + g.int(32));
      const log = encoded(current, roundId, updatedAt);
      const viem = decodeEventLog({ abi: chainlinkAggregatorAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
      expect(viem.eventName).toBe('AnswerUpdated');
      const ours = decodeAnswerUpdated(log);
      expect(ours).toEqual(viem.args);
      // And the values are the ones encoded (viem is the oracle, this guards the oracle itself).
      expect(ours).toEqual({ current, roundId, updatedAt });
    }
  });

  it('accepts upper-case hex as the same value', () => {
    const log = encoded(-5n, 7n, 1_700_000_000n);
    const upper = { topics: log.topics.map((t) => `0x${t.slice(2).toUpperCase()}` as Hex), data: `0x${log.data.slice(2).toUpperCase()}` as Hex };
    expect(decodeAnswerUpdated(upper)).toEqual({ current: -5n, roundId: 7n, updatedAt: 1_700_000_000n });
  });

  it('rejects a wrong topic count, a data size other than one word, and non-hex, naming the problem', () => {
    const log = encoded(2_000_00000000n, 1n, 1_700_000_000n);
    const cases: [string, { topics: Hex[]; data: Hex }, RegExp][] = [
      ['two topics', { topics: log.topics.slice(0, 2), data: log.data }, /expected 3 topics.*got 2/],
      ['four topics', { topics: [...log.topics, log.topics[1]!], data: log.data }, /expected 3 topics.*got 4/],
      ['empty data', { topics: log.topics, data: '0x' }, /one 32-byte word.*got 0 bytes/],
      ['two words', { topics: log.topics, data: `${log.data}${log.data.slice(2)}` as Hex }, /got 64 bytes/],
      ['short word', { topics: log.topics, data: log.data.slice(0, 64) as Hex }, /one 32-byte word/],
      ['non-hex data', { topics: log.topics, data: `0x${'zz'.repeat(32)}` as Hex }, /one 32-byte word/],
      ['non-hex topic', { topics: [log.topics[0]!, `0x${'g'.repeat(64)}` as Hex, log.topics[2]!], data: log.data }, /not 32-byte hex words/],
    ];
    for (const [name, bad, reason] of cases) {
      let caught: unknown;
      try {
        decodeAnswerUpdated(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(DecodeFailure);
      expect((caught as Error).message, name).toMatch(reason);
    }
  });
});
