import Table from 'cli-table3';
import type { LogsVerification } from './logs-against-chain.ts';

/**
 * What `liqscope verify` prints, whatever was compared (today a source's raw logs with the chain; next,
 * chain-indexed rows with a venue's subgraph rows): a title, a summary, one row per discrepancy, notes,
 * and the same as JSON for machines.
 */
export interface VerifyReport {
  title: string;
  summary: string;
  columns: string[];
  rows: (string | number)[][];
  notes: string[];
  /** Number of discrepancies found (the exit code says whether there were any). */
  discrepancies: number;
  json: Record<string, unknown>;
}

export function logsReport(v: LogsVerification): VerifyReport {
  const count = (kind: string) => v.discrepancies.filter((d) => d.kind === kind).length;
  const [missing, extra, changed] = [count('missing'), count('extra'), count('changed')];
  const notes: string[] = [];
  if (v.repair) {
    notes.push(
      `repaired: ${v.repair.inserted} raw logs stored, ${v.repair.deleted} deleted; the source's facts rebuilt from its ${v.repair.redecodedLogs} raw logs (${v.repair.rows} rows)`,
    );
  }
  return {
    title: `source ${v.source} (chain ${v.chain}, id ${v.chainId}), blocks ${v.from}–${v.to}, against ${v.against}`,
    summary: `${v.chainLogs} logs on the chain, ${v.storedLogs} stored: ${missing} missing, ${extra} extra, ${changed} changed`,
    columns: ['block', 'logIndex', 'problem', 'tx', 'differs in'],
    rows: v.discrepancies.map((d) => [d.blockNumber.toString(), d.logIndex, d.kind, d.txHash, d.fields.join(', ')]),
    notes,
    discrepancies: v.discrepancies.length,
    json: {
      check: 'logs',
      source: v.source,
      chain: v.chain,
      chainId: v.chainId,
      from: v.from.toString(),
      to: v.to.toString(),
      against: v.against,
      chainLogs: v.chainLogs,
      storedLogs: v.storedLogs,
      missing,
      extra,
      changed,
      discrepancies: v.discrepancies.map((d) => ({ block: d.blockNumber.toString(), logIndex: d.logIndex, kind: d.kind, txHash: d.txHash, fields: d.fields })),
      calls: v.calls,
      repaired: v.repair ?? null,
    },
  };
}

export function renderReport(report: VerifyReport, format: 'table' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report.json, null, 2)}\n`;
  const lines = [report.title, report.summary];
  if (report.rows.length > 0) {
    // No colours: the report goes to files and cron mail as often as to a terminal.
    const table = new Table({ head: report.columns, style: { head: [], border: [] } });
    for (const row of report.rows) table.push(row);
    lines.push(table.toString());
  }
  lines.push(...report.notes);
  return `${lines.join('\n')}\n`;
}
