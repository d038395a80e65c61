import type { Hex } from 'viem';
import type { RawLog } from '../pipeline/records.ts';

/**
 * How a stored log differs from the chain. Logs are identified by (blockNumber, logIndex):
 * - `missing`: on the chain, not stored (a provider dropped it);
 * - `extra`: stored, not on the chain (a provider invented it, or a reorg was missed);
 * - `changed`: both have the key, but some field differs (`fields` says which).
 */
export interface LogDiscrepancy {
  kind: 'missing' | 'extra' | 'changed';
  blockNumber: bigint;
  logIndex: number;
  /** The chain's transaction hash (the stored one for `extra`). */
  txHash: Hex;
  /** For `changed`: the fields that differ (blockHash, txHash, txIndex, address, topics, data). */
  fields: string[];
}

const byKey = (a: RawLog, b: RawLog) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1);

function dataOf(log: RawLog): Buffer {
  return log.dataBytes ? Buffer.from(log.dataBytes.buffer, log.dataBytes.byteOffset, log.dataBytes.byteLength) : Buffer.from(log.data.slice(2), 'hex');
}

/** The fields in which two logs with the same key differ (hex compared case-insensitively). */
export function differingFields(chain: RawLog, stored: RawLog): string[] {
  const fields: string[] = [];
  if (chain.blockHash.toLowerCase() !== stored.blockHash.toLowerCase()) fields.push('blockHash');
  if (chain.txHash.toLowerCase() !== stored.txHash.toLowerCase()) fields.push('txHash');
  if (chain.txIndex !== stored.txIndex) fields.push('txIndex');
  if (chain.address.toLowerCase() !== stored.address.toLowerCase()) fields.push('address');
  if (chain.topics.length !== stored.topics.length || chain.topics.some((t, i) => t.toLowerCase() !== stored.topics[i]!.toLowerCase())) fields.push('topics');
  if (!dataOf(chain).equals(dataOf(stored))) fields.push('data');
  return fields;
}

/**
 * Compares the logs a source should have stored for a block range (`chain`) with those it stored
 * (`stored`), both for the same range. Returns the discrepancies in (block, logIndex) order.
 */
export function compareLogs(chain: readonly RawLog[], stored: readonly RawLog[]): LogDiscrepancy[] {
  const a = [...chain].sort(byKey);
  const b = [...stored].sort(byKey);
  const out: LogDiscrepancy[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const onChain = a[i];
    const inStore = b[j];
    const order = onChain && inStore ? byKey(onChain, inStore) : onChain ? -1 : 1;
    if (order < 0) {
      out.push({ kind: 'missing', blockNumber: onChain!.blockNumber, logIndex: onChain!.logIndex, txHash: onChain!.txHash, fields: [] });
      i++;
    } else if (order > 0) {
      out.push({ kind: 'extra', blockNumber: inStore!.blockNumber, logIndex: inStore!.logIndex, txHash: inStore!.txHash, fields: [] });
      j++;
    } else {
      const fields = differingFields(onChain!, inStore!);
      if (fields.length > 0) out.push({ kind: 'changed', blockNumber: onChain!.blockNumber, logIndex: onChain!.logIndex, txHash: onChain!.txHash, fields });
      i++;
      j++;
    }
  }
  return out;
}
