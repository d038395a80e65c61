import type { RawLog } from '../../pipeline/records.ts';
import type { DatabaseErrorFields } from '../../db/database-error.ts';

/** raw_logs (and every fact table) store log and transaction indexes as int4. */
const MAX_INT4 = 2 ** 31 - 1;

/**
 * Which log of a batch a database error was about: the one a unique-key violation names (by block and
 * log index), or the one whose index cannot fit "integer" (a message that names neither column nor row).
 */
export function explainLogFailure(error: unknown, logs: readonly RawLog[]): string[] {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as DatabaseErrorFields;
  const base = error instanceof Error ? error.message : String(error);
  const notes: string[] = [];
  const key = fields.detail ? /Key \(([^)]*)\)=\(([^)]*)\)/.exec(fields.detail) : null;
  if (key) {
    const log = logOfKey(key[1]!, key[2]!, logs);
    if (log) notes.push(`the log of ${describe(log)}`);
  }
  if (fields.code === '22003' || /out of range for type integer/.test(base)) {
    const huge = logs.find((log) => !fitsInt4(log.logIndex) || !fitsInt4(log.txIndex));
    if (huge) notes.push(`the log of ${describe(huge)} has ${fitsInt4(huge.logIndex) ? `transactionIndex ${huge.txIndex}` : `logIndex ${huge.logIndex}`}, more than the store's int4 holds`);
  }
  return notes;
}

function fitsInt4(n: number): boolean {
  return Number.isSafeInteger(n) && n >= -MAX_INT4 - 1 && n <= MAX_INT4;
}

function describe(log: RawLog): string {
  return `block ${log.blockNumber}, logIndex ${log.logIndex}, tx ${log.txHash}`;
}

/** The batch's log a unique-key violation names, when the key has its block and log index. */
function logOfKey(columns: string, values: string, logs: readonly RawLog[]): RawLog | undefined {
  const names = columns.split(',').map((c) => c.trim());
  const parts = values.split(',').map((v) => v.trim());
  const valueOf = (name: string) => {
    const i = names.indexOf(name);
    return i >= 0 ? parts[i] : undefined;
  };
  const block = valueOf('block_number');
  const index = valueOf('log_index');
  const tx = valueOf('tx_hash');
  if (index === undefined || (block === undefined && tx === undefined)) return undefined;
  return logs.find(
    (log) => String(log.logIndex) === index && (block === undefined || String(log.blockNumber) === block) && (tx === undefined || log.txHash === tx),
  );
}
