import { describe, expect, it } from 'vitest';
import { decodeAbiParameters, encodeAbiParameters, hexToBytes, type Hex } from 'viem';
import { eventLogDataComponents } from '../../../abis/gmx-v2-event-emitter.ts';
import { AbiLayoutError, decodeEventLogPayload, eventLogValue } from '../../../src/protocols/gmx-v2/event-log-abi.ts';

/** The non-indexed arguments of EventLog/EventLog1/EventLog2, as in the real ABI. */
const PARAMS = [
  { name: 'msgSender', type: 'address' },
  { name: 'eventName', type: 'string' },
  { name: 'eventData', type: 'tuple', components: eventLogDataComponents },
] as const;
const GROUPS = ['addressItems', 'uintItems', 'intItems', 'boolItems', 'bytes32Items', 'bytesItems', 'stringItems'] as const;
const KINDS = ['address', 'uint', 'int', 'bool', 'bytes32', 'bytes', 'string'] as const;

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), state);
  const int = (n: number) => next() % n;
  const hex = (bytes: number) => `0x${Array.from({ length: bytes }, () => int(256).toString(16).padStart(2, '0')).join('')}` as Hex;
  const big = () => BigInt(hex(1 + int(32)));
  const value = (kind: (typeof KINDS)[number]): unknown => {
    switch (kind) {
      case 'address': return hex(20);
      case 'uint': return int(4) === 0 ? 2n ** 256n - 1n : big();
      case 'int': return int(2) ? -big() / 2n : big() / 2n;
      case 'bool': return int(2) === 1;
      case 'bytes32': return hex(32);
      case 'bytes': return hex(int(70));
      case 'string': return ['', 'ETH', 'ünïcødé ✓', 'x'.repeat(int(100))][int(4)]!;
    }
  };
  const key = () => ['sizeInUsd', 'orderType', 'k', 'a-much-longer-key-that-spans-more-than-one-word-of-abi-data'][int(4)]! + int(1000);
  return { int, hex, value, key };
}

function randomPayload(seed: number) {
  const g = generator(seed);
  const eventData = Object.fromEntries(
    GROUPS.map((group, i) => [group, {
      items: Array.from({ length: g.int(5) }, () => ({ key: g.key(), value: g.value(KINDS[i]!) })),
      arrayItems: Array.from({ length: g.int(3) }, () => ({ key: g.key(), value: Array.from({ length: g.int(4) }, () => g.value(KINDS[i]!)) })),
    }]),
  );
  return { msgSender: g.hex(20), eventName: ['PositionDecrease', 'OrderExecuted', 'X'][g.int(3)]!, eventData };
}

/** Our payload with every value decoded, shaped like viem's result. */
function decodeAll(data: Hex | Uint8Array) {
  const payload = decodeEventLogPayload(data);
  const groups = Object.fromEntries(
    KINDS.map((kind) => [kind, {
      items: payload.groups[kind].items.map(({ key, at }) => ({ key, value: eventLogValue(payload.bytes, kind, at) })),
      arrayItems: payload.groups[kind].arrayItems.map(({ key, at }) => ({ key, value: at.map((a) => eventLogValue(payload.bytes, kind, a)) })),
    }]),
  ) as Record<(typeof KINDS)[number], { items: { key: string; value: unknown }[]; arrayItems: { key: string; value: unknown[] }[] }>;
  return { msgSender: payload.msgSender, eventName: payload.eventName, groups };
}

const lower = (v: unknown): unknown =>
  typeof v === 'string' && v.startsWith('0x') ? v.toLowerCase() : Array.isArray(v) ? v.map(lower) : v;

describe('GMX v2 EventLogData decoder', () => {
  it('decodes 300 randomised payloads, given as hex or as bytes, exactly as viem does', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const payload = randomPayload(seed);
      const data = encodeAbiParameters(PARAMS, [payload.msgSender, payload.eventName, payload.eventData as never]);
      const [msgSender, eventName, eventData] = decodeAbiParameters(PARAMS, data) as unknown as [string, string, Record<string, { items: { key: string; value: unknown }[]; arrayItems: { key: string; value: unknown[] }[] }>];
      for (const input of [data, hexToBytes(data)]) {
        const ours = decodeAll(input);
        expect(ours.msgSender).toBe(msgSender.toLowerCase());
        expect(ours.eventName).toBe(eventName);
        KINDS.forEach((kind, i) => {
          const theirs = eventData[GROUPS[i]!]!;
          expect(ours.groups[kind].items, `seed ${seed} ${kind} items`).toEqual(theirs.items.map((it) => ({ key: it.key, value: lower(it.value) })));
          expect(ours.groups[kind].arrayItems, `seed ${seed} ${kind} arrays`).toEqual(theirs.arrayItems.map((it) => ({ key: it.key, value: lower(it.value) })));
        });
      }
    }
  });

  it('rejects every truncation of a real-shaped payload with a reason, never a wrong value', () => {
    const payload = randomPayload(7);
    const data = encodeAbiParameters(PARAMS, [payload.msgSender, payload.eventName, payload.eventData as never]);
    const bytes = (data.length - 2) / 2;
    for (let cut = 0; cut < bytes; cut += 7) {
      const truncated = data.slice(0, 2 + cut * 2) as Hex;
      for (const input of [truncated, hexToBytes(truncated)]) {
        let outcome: unknown;
        try {
          outcome = decodeAll(input);
        } catch (error) {
          outcome = error;
        }
        // A cut inside trailing padding can still decode; then it must decode to the same values.
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(AbiLayoutError);
        else expect(outcome).toEqual(decodeAll(data));
      }
    }
  });

  it('names a non-address in an address slot and a non-bool in a bool slot', () => {
    const data = encodeAbiParameters(PARAMS, [
      '0x0000000000000000000000000000000000000001', 'E',
      { ...Object.fromEntries(GROUPS.map((g) => [g, { items: [], arrayItems: [] }])), boolItems: { items: [{ key: 'isLong', value: true }], arrayItems: [] } } as never,
    ]);
    // msgSender word with garbage in its padding
    const badAddress = (`0x${'ff'.repeat(12)}` + data.slice(2 + 24)) as Hex;
    expect(() => decodeEventLogPayload(badAddress)).toThrow(/msgSender: .*not an address/);
    // the bool value word (the last non-zero word 1) set to 2
    const boolWord = `${'0'.repeat(63)}1`;
    const at = data.lastIndexOf(boolWord);
    const badBool = (data.slice(0, at) + `${'0'.repeat(63)}2` + data.slice(at + 64)) as Hex;
    expect(() => decodeEventLogPayload(badBool)).toThrow(/boolItems\.items\[0\]\.value: .*not a bool \(value 2\)/);
  });

  it('rejects a length word that claims more elements than the data can hold', () => {
    const data = encodeAbiParameters(PARAMS, ['0x0000000000000000000000000000000000000001', 'E', Object.fromEntries(GROUPS.map((g) => [g, { items: [], arrayItems: [] }])) as never]);
    // the first empty array's length word is the first all-zero word after the group offsets; make it huge
    const words = (data.length - 2) / 64;
    let patched: Hex | undefined;
    for (let w = 3; w < words; w++) {
      const word = data.slice(2 + w * 64, 2 + (w + 1) * 64);
      if (/^0+$/.test(word)) {
        patched = (data.slice(0, 2 + w * 64) + 'f'.repeat(8).padStart(64, '0') + data.slice(2 + (w + 1) * 64)) as Hex;
        break;
      }
    }
    expect(() => decodeEventLogPayload(patched!)).toThrow(/array length 4294967295 .* does not fit/);
  });
});

describe('GMX v2 EventLogData decoder on bad hex', () => {
  it('rejects a non-hex character anywhere it reads, naming the field', () => {
    const data = encodeAbiParameters(PARAMS, [
      '0x00000000000000000000000000000000000000aa', 'PositionDecrease',
      { ...Object.fromEntries(GROUPS.map((g) => [g, { items: [], arrayItems: [] }])), uintItems: { items: [{ key: 'sizeInUsd', value: 123n }], arrayItems: [] } } as never,
    ]);
    // the uint value word ends in 7b (123); put a 'z' into it
    const at = data.lastIndexOf('7b');
    expect(() => decodeEventLogPayload((data.slice(0, at) + 'z' + data.slice(at + 1)) as Hex)).toThrow(/uintItems\.items\[0\]\.value: invalid hex/);
    // and into the msgSender address
    const addr = data.indexOf('aa');
    expect(() => decodeEventLogPayload((data.slice(0, addr) + 'zz' + data.slice(addr + 2)) as Hex)).toThrow(/msgSender: invalid hex/);
    // upper-case hex is valid hex and decodes to the same values
    expect(decodeAll(data.toUpperCase().replace('0X', '0x') as Hex)).toEqual(decodeAll(data));
  });
});
