import type { VerifyReport } from './report.ts';
import type { RowsVerification } from './rows-across-sources.ts';

const PROBLEM_TEXT = { 'missing-from-subgraph': 'missing from the subgraph', 'missing-on-chain': 'missing on chain', changed: 'changed' } as const;

/** What `liqscope verify --venue` prints: one line per discrepancy (a changed row: one per differing column). */
export function rowsReport(v: RowsVerification): VerifyReport {
  const count = (problem: string) => v.discrepancies.filter((d) => d.problem === problem).length;
  const missingFromSubgraph = count('missing-from-subgraph');
  const missingOnChain = count('missing-on-chain');
  const changedRows = new Set(v.discrepancies.filter((d) => d.problem === 'changed').map((d) => `${d.table}\u0000${d.chainId}\u0000${d.uid}`)).size;
  return {
    title: `venue ${v.venue}, ${v.from.toISOString()} – ${v.to.toISOString()}: chain sources ${v.chainSources.join(', ')} against subgraph sources ${v.subgraphSources.join(', ')} (${v.tables.map((t) => t.table).join(', ')})`,
    summary: `${v.chainRows} rows from the chain, ${v.subgraphRows} from the subgraph, ${v.compared} in both: ${missingFromSubgraph} missing from the subgraph, ${missingOnChain} missing on chain, ${changedRows} changed`,
    columns: ['time', 'table', 'row', 'problem', 'field', 'chain', 'subgraph'],
    rows: v.discrepancies.map((d) => [d.time.toISOString(), d.table, d.uid, PROBLEM_TEXT[d.problem], d.field ?? '', show(d.chain), show(d.subgraph)]),
    notes: v.notes,
    discrepancies: v.discrepancies.length,
    json: {
      check: 'rows',
      venue: v.venue,
      from: v.from.toISOString(),
      to: v.to.toISOString(),
      chainSources: v.chainSources,
      subgraphSources: v.subgraphSources,
      tables: v.tables,
      coverage: v.coverage.map((c) => ({
        chainId: c.chainId,
        fromBlock: c.fromBlock?.toString() ?? null,
        toBlock: c.toBlock?.toString() ?? null,
        chainBlock: c.chainBlock?.toString() ?? null,
        subgraphBlock: c.subgraphBlock?.toString() ?? null,
      })),
      chainRows: v.chainRows,
      subgraphRows: v.subgraphRows,
      compared: v.compared,
      notCovered: v.notCovered,
      missingFromSubgraph,
      missingOnChain,
      changed: changedRows,
      discrepancies: v.discrepancies.map((d) => ({
        time: d.time.toISOString(),
        table: d.table,
        chainId: d.chainId,
        uid: d.uid,
        problem: d.problem,
        ...(d.field !== undefined ? { field: d.field, chain: d.chain ?? null, subgraph: d.subgraph ?? null } : {}),
        ...(d.chainSource ? { chainSource: d.chainSource } : {}),
        ...(d.subgraphSource ? { subgraphSource: d.subgraphSource } : {}),
      })),
      notes: v.notes,
    },
  };
}

function show(value: string | null | undefined): string {
  return value === undefined ? '' : value === null ? 'NULL' : value;
}
