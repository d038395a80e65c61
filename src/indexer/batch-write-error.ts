import type { DatabaseErrorFields } from '../db/database-error.ts';

/**
 * Writing a batch failed. The message names the source, the batch (its blocks, file lines, pages) and,
 * when the source can tell from the database's error, the record concerned (EVM: the log a key or an
 * out-of-range value belongs to), so that a bare database message ("duplicate key value violates …")
 * never reaches the user without saying where.
 */
export class BatchWriteError extends Error {
  override name = 'BatchWriteError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}


/**
 * Wraps a failure of writing batch `label` of `sourceId`: the database's table and detail, then what
 * `explain` (the source's) can add about which record it was.
 *
 * @example describeBatchFailure(err, 'gmx', 'blocks 100–200 (35 logs)') // source gmx: writing blocks 100–200 (35 logs) failed: duplicate key … (table raw_logs; key (…)=(…); the log of block 150, logIndex 3, tx 0x…)
 */
export function describeBatchFailure(error: unknown, sourceId: string, label: string, explain?: (error: unknown) => string[]): BatchWriteError {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as DatabaseErrorFields;
  const base = error instanceof Error ? error.message : String(error);
  const notes: string[] = [];
  if (fields.table) notes.push(`table ${fields.table}`);
  const key = fields.detail ? /Key \(([^)]*)\)=\(([^)]*)\)/.exec(fields.detail) : null;
  if (key) notes.push(`key (${key[1]})=(${key[2]})`);
  else if (fields.detail) notes.push(fields.detail);
  if (explain) notes.push(...explain(error));
  return new BatchWriteError(`source ${sourceId}: writing ${label} failed: ${base}${notes.length ? ` (${notes.join('; ')})` : ''}`, { cause: error });
}
