import { sql, type Kysely } from 'kysely';
import type { LiqscopeConfig } from '../config/schema.ts';
import type { KeyedFactTable } from '../db/fact-tables.ts';
import { ROW_COLUMNS, type ColumnPgType } from '../db/row-columns.ts';
import type { Database } from '../db/schema.ts';
import { planSources, type SourcePlan } from '../indexer/plan-sources.ts';
import type { Protocol } from '../pipeline/protocol.ts';
import { LOG_STREAM } from '../sources/evm/evm-log-source.ts';
import { VerifyRequestError } from './logs-against-chain.ts';
import { canonicalValue } from './row-values.ts';

export interface VerifyRowsOptions {
  venue: string;
  /** Rows with `time` in [from, to). */
  from: Date;
  to: Date;
  /** The protocols the configuration's sources may name (the composition root's list). */
  protocols: readonly Protocol[];
}

export type RowProblem = 'missing-from-subgraph' | 'missing-on-chain' | 'changed';

export interface RowDiscrepancy {
  table: KeyedFactTable;
  chainId: number | null;
  /** The stored row's uid. */
  uid: string;
  time: Date;
  problem: RowProblem;
  /** Changed rows: the column, and each side's value (canonical text; null when the side has none). */
  field?: string;
  chain?: string | null;
  subgraph?: string | null;
  /** The sources whose versions were compared (or the one that has the row). */
  chainSource?: string;
  subgraphSource?: string;
}

export interface ChainCoverage {
  chainId: number;
  /** The block range both kinds of source have read completely ([from, to]; null: nothing yet). */
  fromBlock: bigint | null;
  toBlock: bigint | null;
  /** The chain source's and the subgraph source's own last complete block. */
  chainBlock: bigint | null;
  subgraphBlock: bigint | null;
}

export interface RowsVerification {
  venue: string;
  from: Date;
  to: Date;
  chainSources: string[];
  subgraphSources: string[];
  /** What is compared: per table, the columns both paths fill. */
  tables: { table: KeyedFactTable; columns: string[] }[];
  coverage: ChainCoverage[];
  /** Rows in range and coverage, per side, and rows both sides hold. */
  chainRows: number;
  subgraphRows: number;
  compared: number;
  /** Rows in the time range but outside what both sides have read: not judged. */
  notCovered: number;
  /** In (time, table, uid, field) order. */
  discrepancies: RowDiscrepancy[];
  notes: string[];
}

interface Version {
  source: string;
  kind: string;
  values: Record<string, unknown>;
}

interface Identity {
  table: KeyedFactTable;
  chainId: number | null;
  uid: string;
  time: Date;
  block: bigint | null;
  versions: Version[];
}

/**
 * The check an analyst runs before trusting a number: for a venue read both from chain logs and from a
 * subgraph, compares the rows each kind of source stored for the time range — a row seen by both is
 * stored once, and the other source's own version sits in `fact_provenance` (migrations/0003) — and
 * reports the rows missing on either side and, for rows both hold, every column that differs (exact:
 * NUMERIC as decimals, times to the millisecond). Only the columns the subgraph's entity fills are
 * compared (SubgraphEntity.verify), and only rows within the block range both sides have read
 * completely (from each source's cursor): a subgraph lagging the chain is not a discrepancy.
 */
export async function verifyRowsAcrossSources(db: Kysely<Database>, config: LiqscopeConfig, opts: VerifyRowsOptions): Promise<RowsVerification> {
  if (!(opts.from.getTime() < opts.to.getTime())) throw new VerifyRequestError(`--from (${opts.from.toISOString()}) must be before --to (${opts.to.toISOString()})`);
  const plans = planSources(config, opts.protocols).filter((p) => p.info.venue === opts.venue);
  const venues = [...new Set(planSources(config, opts.protocols).map((p) => p.info.venue))].sort();
  if (plans.length === 0) throw new VerifyRequestError(`no source of venue "${opts.venue}" is configured (configured venues: ${venues.join(', ') || 'none'})`);
  const chainPlans = plans.filter((p) => p.info.kind === 'evm');
  const subgraphPlans = plans.filter((p) => p.info.kind === 'subgraph');
  if (subgraphPlans.length === 0) throw new VerifyRequestError(`venue "${opts.venue}" has no subgraph source to compare with (its sources: ${plans.map((p) => `${p.info.id} (${p.info.kind})`).join(', ')})`);
  if (chainPlans.length === 0) throw new VerifyRequestError(`venue "${opts.venue}" has no chain (evm) source to compare with (its sources: ${plans.map((p) => `${p.info.id} (${p.info.kind})`).join(', ')})`);

  const notes: string[] = [];
  const columnsByTable = new Map<KeyedFactTable, Set<string>>();
  const verifiedStreams = new Map<string, string[]>();
  for (const plan of subgraphPlans) {
    const entities = plan.protocol.subgraph!.entities(plan.info);
    const compared = entities.filter((e) => e.verify);
    verifiedStreams.set(plan.info.id, compared.map((e) => e.name));
    for (const e of entities) {
      if (!e.verify) {
        notes.push(`${plan.info.id}: ${e.name} is not compared (its rows are not the chain's records)`);
        continue;
      }
      const set = columnsByTable.get(e.verify.table) ?? new Set<string>();
      for (const c of e.verify.columns) set.add(c);
      columnsByTable.set(e.verify.table, set);
    }
  }
  if (columnsByTable.size === 0) throw new VerifyRequestError(`the subgraph sources of venue "${opts.venue}" read nothing that can be compared with the chain`);
  const tables = [...columnsByTable.entries()].map(([table, set]) => ({ table, columns: [...set] }));

  // Kinds of every source that may have written rows of the venue (also sources no longer configured).
  const kinds = new Map<string, string>();
  for (const row of await db.selectFrom('sources').select(['id', 'kind']).where('venue', '=', opts.venue).execute()) kinds.set(row.id, row.kind);
  for (const plan of plans) kinds.set(plan.info.id, plan.info.kind);

  const chainIds = [...new Set(subgraphPlans.map((p) => p.info.chainId!))].filter((id) => chainPlans.some((p) => p.info.chainId === id)).sort((a, b) => a - b);
  for (const plan of subgraphPlans) {
    if (!chainIds.includes(plan.info.chainId!)) notes.push(`${plan.info.id}: no chain source of ${opts.venue} on chain ${plan.info.chainId} to compare with`);
  }
  const coverage: ChainCoverage[] = [];
  const identities: Identity[] = [];
  for (const chainId of chainIds) {
    const c = await coverageOf(db, chainId, chainPlans.filter((p) => p.info.chainId === chainId), subgraphPlans.filter((p) => p.info.chainId === chainId), verifiedStreams);
    coverage.push(c);
    for (const { table, columns } of tables) identities.push(...(await readIdentities(db, table, columns, opts, chainId, kinds)));
  }

  const result: RowsVerification = {
    venue: opts.venue,
    from: opts.from,
    to: opts.to,
    chainSources: chainPlans.map((p) => p.info.id),
    subgraphSources: subgraphPlans.map((p) => p.info.id),
    tables,
    coverage,
    chainRows: 0,
    subgraphRows: 0,
    compared: 0,
    notCovered: 0,
    discrepancies: [],
    notes,
  };
  const timeBounds = new Map<number, { low: Date | null; high: Date | null }>();
  for (const c of coverage) timeBounds.set(c.chainId, await timeBoundsOf(db, c));
  for (const id of identities) {
    const c = coverage.find((x) => x.chainId === id.chainId)!;
    if (!covered(id, c, timeBounds.get(c.chainId)!)) {
      result.notCovered++;
      continue;
    }
    const onChain = id.versions.find((v) => v.kind === 'evm');
    const fromSubgraph = id.versions.find((v) => v.kind === 'subgraph');
    if (onChain) result.chainRows++;
    if (fromSubgraph) result.subgraphRows++;
    const base = { table: id.table, chainId: id.chainId, uid: id.uid, time: id.time };
    if (onChain && !fromSubgraph) result.discrepancies.push({ ...base, problem: 'missing-from-subgraph', chainSource: onChain.source });
    else if (fromSubgraph && !onChain) result.discrepancies.push({ ...base, problem: 'missing-on-chain', subgraphSource: fromSubgraph.source });
    else if (onChain && fromSubgraph) {
      result.compared++;
      const columns = tables.find((t) => t.table === id.table)!.columns;
      for (const column of columns) {
        const type = columnType(id.table, column);
        const a = canonicalValue(type, onChain.values[column]);
        const b = canonicalValue(type, fromSubgraph.values[column]);
        if (a !== b) {
          result.discrepancies.push({ ...base, problem: 'changed', field: column, chain: a, subgraph: b, chainSource: onChain.source, subgraphSource: fromSubgraph.source });
        }
      }
    }
  }
  result.discrepancies.sort(
    (x, y) => x.time.getTime() - y.time.getTime() || x.table.localeCompare(y.table) || x.uid.localeCompare(y.uid) || (x.field ?? '').localeCompare(y.field ?? ''),
  );
  for (const c of coverage) {
    if (c.toBlock === null) notes.push(`chain ${c.chainId}: nothing compared yet (chain sources at block ${c.chainBlock ?? 'none'}, subgraph sources at ${c.subgraphBlock ?? 'none'})`);
    else notes.push(`chain ${c.chainId}: compared within blocks ${c.fromBlock}–${c.toBlock} (chain sources read to ${c.chainBlock}, subgraph sources to ${c.subgraphBlock})`);
  }
  if (result.notCovered > 0) notes.push(`${result.notCovered} row(s) in the time range lie outside the blocks both sides have read: not judged`);
  return result;
}

function columnType(table: KeyedFactTable, column: string): ColumnPgType {
  const spec = ROW_COLUMNS[table].find((c) => c.name === column);
  if (!spec) throw new Error(`verify: ${table} has no column "${column}" (a subgraph entity's verify columns)`);
  return spec.type;
}

/** The blocks both kinds of source have read: from the later start to the earlier cursor (null: one side has read nothing). */
async function coverageOf(
  db: Kysely<Database>,
  chainId: number,
  chainPlans: SourcePlan[],
  subgraphPlans: SourcePlan[],
  verifiedStreams: ReadonlyMap<string, string[]>,
): Promise<ChainCoverage> {
  const chainDone: (bigint | null)[] = [];
  let start = 0n;
  for (const plan of chainPlans) {
    const row = await db.selectFrom('cursors').select('position').where('source_id', '=', plan.info.id).where('stream', '=', LOG_STREAM).executeTakeFirst();
    chainDone.push(row ? BigInt(row.position) : null);
    if (plan.config.kind === 'evm') start = max(start, BigInt(plan.config.startBlock));
  }
  const subgraphDone: (bigint | null)[] = [];
  for (const plan of subgraphPlans) {
    const streams = verifiedStreams.get(plan.info.id) ?? [];
    if (streams.length === 0) continue;
    const rows = await db.selectFrom('cursors').select(['stream', 'block_number']).where('source_id', '=', plan.info.id).where('stream', 'in', streams).execute();
    // A stream without a cursor has read nothing; its cursor's block_number is its last complete block.
    for (const stream of streams) {
      const row = rows.find((r) => r.stream === stream);
      subgraphDone.push(row?.block_number == null ? null : BigInt(row.block_number));
    }
    if (plan.config.kind === 'subgraph') start = max(start, BigInt(plan.config.startBlock));
  }
  const chainBlock = lowest(chainDone);
  const subgraphBlock = lowest(subgraphDone);
  const toBlock = chainBlock === null || subgraphBlock === null ? null : min(chainBlock, subgraphBlock);
  const readSomething = toBlock !== null && toBlock >= start;
  return { chainId, fromBlock: readSomething ? start : null, toBlock: readSomething ? toBlock : null, chainBlock, subgraphBlock };
}

/** The lowest of the values, or null if any is null (or there are none). */
function lowest(values: readonly (bigint | null)[]): bigint | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return (values as bigint[]).reduce(min);
}

/**
 * For rows without a block number (a subgraph entity that has none: GMX v1 LiquidatedPosition, a
 * Synthetix FuturesTrade, when the chain has no version of it): the times strictly inside the covered
 * blocks, from the chain's stored block headers (conservative: a row in the same second as a bound may
 * lie outside it).
 */
async function timeBoundsOf(db: Kysely<Database>, c: ChainCoverage): Promise<{ low: Date | null; high: Date | null }> {
  if (c.fromBlock === null || c.toBlock === null) return { low: null, high: null };
  const low = await db.selectFrom('blocks').select('timestamp').where('chain_id', '=', c.chainId).where('number', '>=', c.fromBlock.toString()).orderBy('number').limit(1).executeTakeFirst();
  const high = await db.selectFrom('blocks').select('timestamp').where('chain_id', '=', c.chainId).where('number', '<=', c.toBlock.toString()).orderBy('number', 'desc').limit(1).executeTakeFirst();
  return { low: low?.timestamp ?? null, high: high?.timestamp ?? null };
}

function covered(id: Identity, c: ChainCoverage, bounds: { low: Date | null; high: Date | null }): boolean {
  if (c.fromBlock === null || c.toBlock === null) return false;
  if (id.block !== null) return id.block >= c.fromBlock && id.block <= c.toBlock;
  if (!bounds.low || !bounds.high) return false;
  return id.time.getTime() > bounds.low.getTime() && id.time.getTime() < bounds.high.getTime();
}

/** The venue's rows of `table` on a chain in the time range, each with every source's version of it. */
async function readIdentities(
  db: Kysely<Database>,
  table: KeyedFactTable,
  columns: readonly string[],
  opts: VerifyRowsOptions,
  chainId: number,
  kinds: ReadonlyMap<string, string>,
): Promise<Identity[]> {
  const t = sql.table(table);
  const selected = sql.join([...new Set([...columns, 'uid', 'source_id', 'block_number', 'time'])].map((c) => sql.ref(`f.${c}`)));
  const { rows: facts } = await sql<Record<string, unknown>>`select ${selected} from ${t} f
    where f.venue = ${opts.venue} and f.chain_id = ${chainId} and f.time >= ${opts.from} and f.time < ${opts.to}
    order by f.time, f.uid`.execute(db);
  const byUid = new Map<string, Identity>();
  const kindOf = (source: unknown) => kinds.get(String(source)) ?? 'unknown';
  for (const f of facts) {
    const uid = String(f.uid);
    byUid.set(uid, {
      table,
      chainId,
      uid,
      time: f.time as Date,
      block: f.block_number == null ? null : BigInt(String(f.block_number)),
      versions: [{ source: String(f.source_id), kind: kindOf(f.source_id), values: f }],
    });
  }
  // Other sources' versions of those rows, and versions whose stored row is gone (a rewind or redecode
  // of the source that stored it): those are rows only their source has.
  const { rows: provenance } = await sql<{ uid: string; source_id: string; row: unknown; orphan: boolean }>`select p.uid, p.source_id, p.row,
      not exists (select 1 from ${t} f where f.venue = p.venue and f.chain_id = p.chain_id and f.uid = p.uid) as orphan
    from fact_provenance p
    where p.table_name = ${table} and p.venue = ${opts.venue} and p.chain_id = ${chainId}`.execute(db);
  for (const p of provenance) {
    const values = (typeof p.row === 'string' ? JSON.parse(p.row) : p.row) as Record<string, unknown>;
    const version: Version = { source: p.source_id, kind: kindOf(p.source_id), values };
    const identity = byUid.get(p.uid);
    if (identity) {
      identity.versions.push(version);
      continue;
    }
    if (!p.orphan) continue; // its stored row is outside the time range
    const time = new Date(String(values.time));
    if (!(time >= opts.from && time < opts.to)) continue;
    byUid.set(p.uid, { table, chainId, uid: p.uid, time, block: values.block_number == null ? null : BigInt(String(values.block_number)), versions: [version] });
  }
  for (const identity of byUid.values()) {
    // The stored row may be a version without a block (a subgraph entity that has none): take another's.
    if (identity.block !== null) continue;
    const known = identity.versions.find((v) => v.values.block_number != null);
    if (known) identity.block = BigInt(String(known.values.block_number));
  }
  return [...byUid.values()];
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
