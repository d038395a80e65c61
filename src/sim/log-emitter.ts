import type { Address, Hex } from 'viem';
import { encodeEmitterCalldata, LOG_EMITTER_BYTECODE } from './emitter-bytecode.ts';

export interface LogToEmit {
  topics: Hex[];
  data: Hex;
}

export interface EmitterTx {
  /** The contract address the logs appear to come from (a protocol's real address). */
  address: Address;
  logs: LogToEmit[];
}

export interface EmittedBlock {
  blockNumber: bigint;
  blockHash: Hex;
  txHashes: Hex[];
}

/** anvil's first default account: unlocked, funded. */
const SENDER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

let requestId = 0;

/** Minimal JSON-RPC call; local chains only. */
export async function rpc<T = unknown>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Puts the log-emitting contract at `address` on a local anvil chain. */
export async function installLogEmitter(rpcUrl: string, address: Address): Promise<void> {
  await rpc(rpcUrl, 'anvil_setCode', [address, LOG_EMITTER_BYTECODE]);
}

/**
 * Mines exactly one block that holds `txs` in order, each emitting its logs in order, so log indexes are
 * predictable: they run 0.. across the block in the order given. Every address must have the emitter
 * installed. Automine is switched off for the duration and restored afterwards.
 */
export async function emitBlock(rpcUrl: string, txs: EmitterTx[], options: { timestamp?: number } = {}): Promise<EmittedBlock> {
  // Impersonated, the sender needs no signature, so this works after anvil_setChainId too (anvil's
  // own signer keeps the chain id it started with and its transactions would be rejected).
  await rpc(rpcUrl, 'anvil_impersonateAccount', [SENDER]);
  await rpc(rpcUrl, 'evm_setAutomine', [false]);
  try {
    const txHashes: Hex[] = [];
    for (const tx of txs) {
      const hash = await rpc<Hex>(rpcUrl, 'eth_sendTransaction', [
        { from: SENDER, to: tx.address, data: encodeEmitterCalldata(tx.logs), gas: toQuantity(gasFor(tx.logs)) },
      ]);
      txHashes.push(hash);
    }
    await rpc(rpcUrl, 'evm_mine', options.timestamp === undefined ? [] : [toQuantity(BigInt(options.timestamp))]);
    const block = await rpc<{ number: Hex; hash: Hex; transactions: Hex[] }>(rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    const missing = txHashes.filter((h) => !block.transactions.includes(h));
    if (missing.length) throw new Error(`emitBlock: ${missing.length} transaction(s) were not mined in block ${block.number}`);
    for (const hash of txHashes) {
      const receipt = await rpc<{ status: Hex }>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
      if (receipt.status !== '0x1') throw new Error(`emitBlock: transaction ${hash} reverted`);
    }
    return { blockNumber: BigInt(block.number), blockHash: block.hash, txHashes };
  } finally {
    await rpc(rpcUrl, 'evm_setAutomine', [true]);
  }
}

function gasFor(logs: readonly LogToEmit[]): bigint {
  let gas = 60_000n;
  for (const log of logs) {
    const bytes = BigInt((log.data.length - 2) / 2);
    gas += 2_000n + 375n * BigInt(log.topics.length) + bytes * 8n + bytes * 16n + 128n * BigInt(log.topics.length) + bytes / 8n;
  }
  return gas * 2n;
}

function toQuantity(value: bigint): Hex {
  return `0x${value.toString(16)}`;
}
