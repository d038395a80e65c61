import { describe, expect, it } from 'vitest';
import { hexToBytes, type Hex } from 'viem';
import type { RawLog } from '../../../src/pipeline/records.ts';
import { buildEventLogData, encodeGmxEventLog } from '../../../src/protocols/gmx-v2/encode.ts';
import { opt, parseGmxLog, req, unknownItems } from '../../../src/protocols/gmx-v2/event-data.ts';

/** One log of `eventData` with repeated keys, which only the struct form (item lists) can express. */
function logWithRepeats(asBytes: boolean): RawLog {
  const eventData = buildEventLogData({
    uint: { known: 1n, shared: 2n },
    string: { label: 'first', tags: ['a', 'b'] },
  });
  eventData.uintItems.items.push({ key: 'known', value: 99n }, { key: 'extraUint', value: 5n }, { key: 'extraUint', value: 6n });
  eventData.stringItems.arrayItems.push({ key: 'tags', value: ['later'] });
  eventData.addressItems.items.push({ key: 'shared', value: '0x00000000000000000000000000000000000000AA' });
  const encoded = encodeGmxEventLog({ emitter: 'EventLog', msgSender: '0x0000000000000000000000000000000000000001', eventName: 'PositionDecrease', eventData });
  return {
    chainId: 42161,
    blockNumber: 1n,
    blockHash: `0x${'11'.repeat(32)}`,
    blockTime: new Date(0),
    txHash: `0x${'22'.repeat(32)}`,
    txIndex: 0,
    logIndex: 0,
    address: '0xc8ee91a54287db53897056e12d9819156d3822fb',
    topics: encoded.topics,
    data: encoded.data,
    ...(asBytes ? { dataBytes: hexToBytes(encoded.data as Hex) } : {}),
  };
}

describe('GMX v2 event items', () => {
  for (const asBytes of [false, true]) {
    it(`reads the first occurrence of a repeated key, by kind (data as ${asBytes ? 'bytes' : 'hex'})`, () => {
      const event = parseGmxLog(logWithRepeats(asBytes));
      expect(req(event, 'uint', 'known')).toBe(1n);
      expect(req(event, 'uint', 'shared')).toBe(2n);
      expect(req(event, 'address', 'shared')).toBe('0x00000000000000000000000000000000000000aa');
      expect(opt(event, 'uint', 'absent', 'extraUint')).toBe(5n);
      expect(opt(event, 'bool', 'known')).toBeUndefined();
      expect(() => req(event, 'bool', 'known')).toThrow('PositionDecrease: missing required bool item "known" (found under uint items: wrong type)');
    });

    it(`keeps unknown items and every array item once, first occurrence first (data as ${asBytes ? 'bytes' : 'hex'})`, () => {
      const event = parseGmxLog(logWithRepeats(asBytes));
      const out = unknownItems(event, new Set(['known']));
      // Key order: kinds in ABI order (address, uint, …, string), items before arrays within a kind.
      expect(Object.entries(out)).toEqual([
        ['shared', '2'],
        ['extraUint', '5'],
        ['label', 'first'],
        ['tags', ['a', 'b']],
      ]);
    });
  }
});
