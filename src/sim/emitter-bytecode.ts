import { concat, toHex, type Hex } from 'viem';

/**
 * Runtime bytecode of a tiny contract that emits arbitrary logs, assembled here by hand so that no
 * compiler is needed. Its calldata is a sequence of records:
 *
 *   [1 byte topic count n (0..4)] [4 bytes data length L, big-endian] [n × 32-byte topics] [L bytes data]
 *
 * and it emits one LOGn per record, in order. Installed with `anvil_setCode` at a protocol's real address,
 * it makes a local chain serve logs that look exactly like mainnet's to eth_getLogs.
 */
type Op = number | { label: string } | { push2Label: string } | { push1: number };

const OP = {
  STOP: 0x00, ADD: 0x01, LT: 0x10, EQ: 0x14, ISZERO: 0x15, AND: 0x16, SHL: 0x1b, SHR: 0x1c,
  CALLDATALOAD: 0x35, CALLDATASIZE: 0x36, CALLDATACOPY: 0x37, POP: 0x50, JUMP: 0x56, JUMPI: 0x57,
  JUMPDEST: 0x5b, PUSH1: 0x60, PUSH2: 0x61, PUSH4: 0x63, DUP1: 0x80, SWAP1: 0x90, SWAP2: 0x91, SWAP3: 0x92,
  LOG0: 0xa0, INVALID: 0xfe,
} as const;

const dup = (n: number) => 0x80 + n - 1;

function program(): Op[] {
  const ops: Op[] = [];
  const push1 = (value: number) => ops.push({ push1: value });
  // stack: [ptr]
  push1(0);
  ops.push({ label: 'loop' });
  // if !(ptr < calldatasize) goto end
  ops.push(OP.CALLDATASIZE, dup(2), OP.LT, OP.ISZERO, { push2Label: 'end' }, OP.JUMPI);
  // hdr = calldataload(ptr); n = hdr >> 248; len = (hdr >> 216) & 0xffffffff
  ops.push(dup(1), OP.CALLDATALOAD); // [hdr, ptr]
  ops.push(dup(1)); push1(248); ops.push(OP.SHR); // [n, hdr, ptr]
  ops.push(OP.SWAP1); push1(216); ops.push(OP.SHR, OP.PUSH4, 0xff, 0xff, 0xff, 0xff, OP.AND); // [len, n, ptr]
  ops.push(OP.SWAP2); push1(5); ops.push(OP.ADD); // [p, n, len]  p = start of topics
  // calldatacopy(0, p + 32n, len)
  ops.push(dup(3)); // [len, p, n, len]
  ops.push(dup(3)); push1(5); ops.push(OP.SHL, dup(3), OP.ADD); // [p+32n, len, p, n, len]
  push1(0); ops.push(OP.CALLDATACOPY); // [p, n, len]
  // next = p + 32n + len
  ops.push(dup(2)); push1(5); ops.push(OP.SHL, dup(2), OP.ADD, dup(4), OP.ADD); // [next, p, n, len]
  ops.push(OP.SWAP3); // [len, p, n, next]
  for (let k = 0; k <= 4; k++) {
    ops.push(dup(3)); push1(k); ops.push(OP.EQ, { push2Label: `log${k}` }, OP.JUMPI);
  }
  ops.push(OP.INVALID);
  for (let k = 0; k <= 4; k++) {
    ops.push({ label: `log${k}` }); // [len, p, n, next]
    // push topics t(k-1) .. t0 so that t0 ends on top
    for (let i = k - 1, pushed = 0; i >= 0; i--, pushed++) {
      ops.push(dup(2 + pushed)); push1(32 * i); ops.push(OP.ADD, OP.CALLDATALOAD);
    }
    ops.push(dup(k + 1)); push1(0); ops.push(OP.LOG0 + k); // consumes offset, size, k topics
    ops.push(OP.POP, OP.POP, OP.POP, { push2Label: 'loop' }, OP.JUMP); // [next]
  }
  ops.push({ label: 'end' }, OP.STOP);
  return ops;
}

function assemble(ops: Op[]): Hex {
  const size = (op: Op) => (typeof op === 'number' ? 1 : 'label' in op ? 1 : 'push1' in op ? 2 : 3);
  const labels = new Map<string, number>();
  let offset = 0;
  for (const op of ops) {
    if (typeof op === 'object' && 'label' in op) labels.set(op.label, offset);
    offset += size(op);
  }
  const bytes: number[] = [];
  for (const op of ops) {
    if (typeof op === 'number') bytes.push(op);
    else if ('label' in op) bytes.push(OP.JUMPDEST);
    else if ('push1' in op) bytes.push(OP.PUSH1, op.push1);
    else {
      const target = labels.get(op.push2Label);
      if (target === undefined) throw new Error(`unknown label ${op.push2Label}`);
      bytes.push(OP.PUSH2, target >> 8, target & 0xff);
    }
  }
  return toHex(new Uint8Array(bytes));
}

export const LOG_EMITTER_BYTECODE: Hex = assemble(program());

/** Encodes logs as the emitter's calldata (see the format above). */
export function encodeEmitterCalldata(logs: readonly { topics: readonly Hex[]; data: Hex }[]): Hex {
  const parts: Hex[] = [];
  for (const log of logs) {
    if (log.topics.length > 4) throw new Error(`a log has at most 4 topics, got ${log.topics.length}`);
    const dataLength = (log.data.length - 2) / 2;
    parts.push(toHex(log.topics.length, { size: 1 }), toHex(dataLength, { size: 4 }), ...log.topics, log.data);
  }
  return parts.length ? concat(parts) : '0x';
}
