import { decodeAbiParameters, encodeAbiParameters, keccak256, pad, toHex, type Address, type Hex } from 'viem';
import type { Kysely } from 'kysely';
import { configSchema, type LiqscopeConfig } from '../../src/config/schema.ts';
import type { Database } from '../../src/db/schema.ts';
import { emptyOutput, type Decoder } from '../../src/pipeline/decode.ts';
import type { Protocol } from '../../src/pipeline/protocol.ts';
import type { RawLog } from '../../src/pipeline/records.ts';
import { encodeEmitterCalldata } from '../../src/sim/emitter-bytecode.ts';
import { installLogEmitter, rpc } from '../../src/sim/log-emitter.ts';

/** A test-only event: `Ping(uint256 indexed seq, uint256 value)`. */
export const PING_TOPIC0 = keccak256(toHex('Ping(uint256,uint256)'));
export const EMITTER: Address = '0x00000000000000000000000000000000000c0ffe';
const SENDER: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const FILLER: Address = '0x000000000000000000000000000000000000dEaD';

export function pingLog(seq: number, value = BigInt(seq) * 7n): { topics: Hex[]; data: Hex } {
  return { topics: [PING_TOPIC0, pad(toHex(seq))], data: encodeAbiParameters([{ type: 'uint256' }], [value]) };
}

/**
 * A test decoder (a test-only protocol, so the engine's tests need no real venue): each Ping becomes a
 * venue_events row keyed by tx:logIndex with value = seq; a Ping whose data is not one word becomes a
 * decode error.
 */
export const pingDecoder: Decoder<RawLog> = {
  async decode(logs, ctx) {
    const rows = emptyOutput();
    for (const log of logs) {
      const base = { block_number: log.blockNumber, tx_hash: log.txHash, log_index: log.logIndex, source_id: ctx.source.id };
      if (log.data.length !== 66 || !log.topics[1]) {
        rows.decodeErrors.push({ ...base, protocol: 'ping', chain_id: log.chainId, event: 'Ping', reason: `data is ${(log.data.length - 2) / 2} bytes, expected 32` });
        continue;
      }
      const [value] = decodeAbiParameters([{ type: 'uint256' }], log.data);
      rows.venueEvents.push({
        ...base,
        venue: ctx.source.venue,
        chain_id: log.chainId,
        kind: 'ping',
        value: BigInt(log.topics[1]).toString(),
        time: log.blockTime ?? new Date(0),
        uid: `${log.txHash}:${log.logIndex}`,
        extra: JSON.stringify({ value: value.toString() }),
      });
    }
    return rows;
  },
};

/** The `ping` protocol around a decoder (the ping decoder by default). */
export function pingProtocol(decoder: Decoder<RawLog> = pingDecoder): Protocol {
  return { id: 'ping', venue: 'ping', description: 'test pings', evm: { logFilter: () => ({ topic0: [PING_TOPIC0] }), decoder } };
}

/** The protocols the engine's tests index with. */
export const protocols: readonly Protocol[] = [pingProtocol()];

export interface Emitted {
  seq: number;
  block: bigint;
}

/**
 * Emits Ping logs fast: with automine on, one eth_sendTransaction mines one block holding one tx whose
 * logs are `perBlock` Pings; `gap` empty blocks (anvil_mine) follow each. Returns what was emitted, by
 * sequence number and block, computed here (not read back through the indexer).
 */
export async function emitPings(
  rpcUrl: string,
  opts: { blocksWithLogs: number; perBlock: number; gap: number; firstSeq?: number; address?: Address },
): Promise<{ emitted: Emitted[]; firstBlock: bigint; lastBlock: bigint }> {
  const address = opts.address ?? EMITTER;
  await installLogEmitter(rpcUrl, address);
  const start = BigInt(await rpc<Hex>(rpcUrl, 'eth_blockNumber'));
  const total = BigInt(opts.blocksWithLogs * (1 + opts.gap));
  let seq = opts.firstSeq ?? 1;
  const emitted: Emitted[] = [];
  const send = (tx: Record<string, Hex>) => rpc<Hex>(rpcUrl, 'eth_sendTransaction', [{ from: SENDER, ...tx }]);
  for (let i = 0; i < opts.blocksWithLogs; i++) {
    const logs = [];
    for (let j = 0; j < opts.perBlock; j++) logs.push(pingLog(seq + j));
    const hash = await send({ to: address, data: encodeEmitterCalldata(logs), gas: toHex(25_000_000) });
    // The block comes from the receipt: automine may put a queued filler in the same block.
    const receipt = await waitReceipt(rpcUrl, hash);
    if (receipt.status !== '0x1') throw new Error(`emitPings: tx ${hash} reverted`);
    for (let j = 0; j < opts.perBlock; j++) emitted.push({ seq: seq + j, block: BigInt(receipt.blockNumber) });
    seq += opts.perBlock;
    // Empty blocks via plain transfers: anvil_mine/evm_mine slow down quadratically with chain length
    // (anvil 1.7), while a transaction mined by automine stays cheap.
    for (let k = 0; k < opts.gap; k++) await waitReceipt(rpcUrl, await send({ to: FILLER, value: '0x1', gas: toHex(21_000) }));
  }
  // Top up to exactly `total` blocks after start.
  for (;;) {
    const head = BigInt(await rpc<Hex>(rpcUrl, 'eth_blockNumber'));
    if (head > start + total) throw new Error(`emitPings: chain went past ${start + total} (at ${head})`);
    if (head === start + total) break;
    await waitReceipt(rpcUrl, await send({ to: FILLER, value: '0x1', gas: toHex(21_000) }));
  }
  return { emitted, firstBlock: start + 1n, lastBlock: start + total };
}

/** anvil answers eth_sendTransaction before automine has sealed the block: wait for the receipt. */
async function waitReceipt(rpcUrl: string, hash: Hex): Promise<{ blockNumber: Hex; status: Hex }> {
  for (let i = 0; i < 5000; i++) {
    const receipt = await rpc<{ blockNumber: Hex; status: Hex } | null>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`emitPings: transaction ${hash} was never mined`);
}

export function pingConfig(rpcUrls: string[], opts: { chainId: number; startBlock: number; endBlock?: number; maxBlockRange?: number; concurrency?: number; rps?: number; name?: string; database?: { url?: string; path?: string } }): LiqscopeConfig {
  return configSchema.parse({
    ...(opts.database ? { database: opts.database } : {}),
    chains: {
      local: {
        chainId: opts.chainId,
        rpc: rpcUrls,
        finality: 0,
        maxBlockRange: opts.maxBlockRange ?? 10_000,
        concurrency: opts.concurrency ?? 4,
        requestsPerSecond: opts.rps ?? 1000,
        pollInterval: 0.2,
      },
    },
    sources: [
      {
        name: opts.name ?? 'pings',
        protocol: 'ping',
        chain: 'local',
        addresses: [EMITTER],
        startBlock: opts.startBlock,
        ...(opts.endBlock !== undefined ? { endBlock: opts.endBlock } : {}),
      },
    ],
  });
}

/**
 * Checks "stored exactly once" against what the test emitted: raw_logs and the decoded rows each hold
 * every emitted seq once, in the block it was emitted in, and nothing else.
 */
export async function storedPings(db: Kysely<Database>, sourceId = 'pings'): Promise<{ raw: Emitted[]; decoded: Emitted[] }> {
  const raw = await db.selectFrom('raw_logs').select(['topic1', 'block_number']).where('source_id', '=', sourceId).execute();
  const decoded = await db.selectFrom('venue_events').select(['value', 'block_number']).where('source_id', '=', sourceId).execute();
  const sort = (a: Emitted, b: Emitted) => a.seq - b.seq;
  return {
    raw: raw.map((r) => ({ seq: Number(BigInt(r.topic1!)), block: BigInt(r.block_number) })).sort(sort),
    decoded: decoded.map((r) => ({ seq: Number(r.value), block: BigInt(r.block_number!) })).sort(sort),
  };
}
