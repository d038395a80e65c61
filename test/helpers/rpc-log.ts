/** A real-shaped eth_getLogs entry (the field set geth and anvil return) for block 100 + i, with `data` as given. */
export function rpcLogEntry(i: number, data: unknown, extra: Record<string, unknown> = {}) {
  const h = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
  return {
    address: '0xc8ee91a54287db53897056e12d9819156d3822fb',
    topics: [h(0xaa), h(i)],
    data,
    blockHash: h(0x1000 + i),
    blockNumber: `0x${(100 + i).toString(16)}`,
    blockTimestamp: '0x66b01b00',
    transactionHash: h(0x2000 + i),
    transactionIndex: '0x0',
    logIndex: `0x${i.toString(16)}`,
    removed: false,
    ...extra,
  };
}
