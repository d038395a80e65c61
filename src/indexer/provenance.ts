import { sql, type Transaction } from 'kysely';
import type { KeyedFactTable } from '../db/fact-tables.ts';
import type { Database } from '../db/schema.ts';

/** Tables with a second natural key (migrations/0003-provenance.ts). */
const MATCH_KEY_TABLES: ReadonlySet<KeyedFactTable> = new Set(['liquidations']);

interface StoredMatch {
  /** Index of the batch row. */
  i: number;
  uid: string;
  source_id: string | null;
}

/**
 * After a batch's rows of `table` met rows already stored (the insert wrote fewer rows than it was
 * given), records which of them another source had stored first: one `fact_provenance` row per
 * (stored row, this source), holding this source's own version of the row. Rows that met their own
 * source's rows (a batch written again after a crash) record nothing. Only called on conflict, so the
 * write path of a source meeting nothing stays one INSERT per table.
 *
 * Returns the number of provenance rows written.
 */
export async function recordProvenance(trx: Transaction<Database>, table: KeyedFactTable, rows: readonly Record<string, unknown>[]): Promise<number> {
  if (rows.length === 0) return 0;
  const matches = await findStored(trx, table, rows);
  const entries = new Map<string, { venue: string; chain_id: number | null; uid: string; source_id: string; block_number: string | null; row: string }>();
  for (const match of matches) {
    const row = rows[match.i]!;
    const source = row.source_id as string | null | undefined;
    if (!source || match.source_id === source) continue;
    const chainId = (row.chain_id as number | null | undefined) ?? null;
    const key = `${match.uid}\u0000${source}`;
    if (entries.has(key)) continue;
    entries.set(key, {
      venue: row.venue as string,
      chain_id: chainId,
      uid: match.uid,
      source_id: source,
      block_number: row.block_number == null ? null : String(row.block_number),
      row: rowJson(row),
    });
  }
  if (entries.size === 0) return 0;
  const values = [...entries.values()].map((e) => ({ table_name: table, ...e }));
  const result = await trx
    .insertInto('fact_provenance')
    .values(values)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n);
}

/** The stored row each batch row met: by (venue, chain_id, uid), and by match key where the table has one. */
async function findStored(trx: Transaction<Database>, table: KeyedFactTable, rows: readonly Record<string, unknown>[]): Promise<StoredMatch[]> {
  const onChain: number[] = [];
  const offChain: number[] = [];
  rows.forEach((row, i) => (row.chain_id == null ? offChain : onChain).push(i));
  const found: StoredMatch[] = [];
  const array = (indexes: number[], column: string) => indexes.map((i) => rows[i]![column] ?? null);
  const t = sql.table(table);
  // Separate statements for on- and off-chain rows so that each can use the (venue, chain_id, uid)
  // index: `is not distinct from` cannot.
  if (onChain.length > 0) {
    const { rows: r } = await sql<StoredMatch>`select k.i, t.uid, t.source_id
      from unnest(${array(onChain, 'venue')}::text[], ${array(onChain, 'chain_id')}::int4[], ${array(onChain, 'uid')}::text[], ${onChain}::int4[]) as k(venue, chain_id, uid, i)
      join ${t} t on t.venue = k.venue and t.chain_id = k.chain_id and t.uid = k.uid`.execute(trx);
    found.push(...r);
  }
  if (offChain.length > 0) {
    const { rows: r } = await sql<StoredMatch>`select k.i, t.uid, t.source_id
      from unnest(${array(offChain, 'venue')}::text[], ${array(offChain, 'uid')}::text[], ${offChain}::int4[]) as k(venue, uid, i)
      join ${t} t on t.venue = k.venue and t.chain_id is null and t.uid = k.uid`.execute(trx);
    found.push(...r);
  }
  if (MATCH_KEY_TABLES.has(table)) {
    const keyed = rows.map((row, i) => (row.match_key != null ? i : -1)).filter((i) => i >= 0);
    if (keyed.length > 0) {
      const { rows: r } = await sql<StoredMatch>`select k.i, t.uid, t.source_id
        from unnest(${array(keyed, 'venue')}::text[], ${array(keyed, 'chain_id')}::int4[], ${array(keyed, 'match_key')}::text[], ${keyed}::int4[]) as k(venue, chain_id, match_key, i)
        join ${t} t on t.venue = k.venue and t.chain_id is not distinct from k.chain_id and t.match_key is not null and t.match_key = k.match_key`.execute(trx);
      found.push(...r);
    }
  }
  return found;
}

/**
 * A decoder row as JSON, the way `verify --venue` reads it back: bigints and NUMERIC strings as decimal
 * strings, times as ISO strings, `extra` as an object.
 */
export function rowJson(row: Record<string, unknown>): string {
  return JSON.stringify(row, function (this: Record<string, unknown>, key, value: unknown) {
    if (typeof value === 'bigint') return value.toString();
    // Date#toJSON has already run when the replacer sees the value: read the original from the holder.
    const original = this[key];
    if (original instanceof Date) return original.toISOString();
    if (key === 'extra' && typeof value === 'string') {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    }
    return value;
  });
}
