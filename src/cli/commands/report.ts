import type { Command } from 'commander';
import { REPORT_FORMATS, ReportRequestError, writeReport, type ReportFormat } from '../../report/index.ts';
import { CliError, type CliContext } from '../context.ts';

const EXIT_USAGE = 2;
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ReportOptions {
  cascade?: string;
  from?: string;
  to?: string;
  venue?: string[];
  asset?: string[];
  out: string;
  format?: string;
}

/**
 * An ISO 8601 time: a date (midnight UTC) or a date and time; without an offset it is UTC, as every
 * time liqscope prints.
 */
export function parseReportTime(option: string, value: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (!m) throw new CliError(`report: ${option} must be an ISO 8601 time such as 2025-10-10T21:15:00Z, got "${value}"`, EXIT_USAGE);
  const [, date, time, zone] = m;
  const parsed = new Date(`${date}T${time ?? '00:00'}${zone ?? 'Z'}`);
  // Date rolls 2025-02-30 over to 2 March instead of refusing it
  const calendar = new Date(`${date}T00:00Z`);
  if (Number.isNaN(parsed.getTime()) || Number.isNaN(calendar.getTime()) || calendar.toISOString().slice(0, 10) !== date) throw new CliError(`report: ${option} is not a valid time: "${value}"`, EXIT_USAGE);
  return parsed;
}

export function parseFormats(value: string | undefined): ReportFormat[] {
  if (value === undefined) return [...REPORT_FORMATS];
  const formats = value.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  const unknown = formats.filter((f) => !(REPORT_FORMATS as readonly string[]).includes(f));
  if (formats.length === 0 || unknown.length > 0) throw new CliError(`report: --format takes a comma-separated list of ${REPORT_FORMATS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`, EXIT_USAGE);
  return [...new Set(formats)] as ReportFormat[];
}

/**
 * `liqscope report (--cascade ID | --from T --to T) [--venue V]… [--asset A]… --out DIR [--format md,html,json,pdf]`.
 * Exit 0 written, 2 usage error (unknown cascade, bad time or format), 1 failure. Without Chromium the
 * PDF is skipped with the reason on stderr and the other formats are written: exit 0 when the PDF was
 * only part of the default formats, 1 when --format asked for it.
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('report')
    .description('write the incident report of a cascade or a time range: Markdown, one-file HTML with charts, JSON and PDF, every figure with its SQL')
    .option('--cascade <id>', 'a cascade id from the cascades table (liqscope analyze)')
    .option('--from <time>', 'start of a time range, ISO 8601 (UTC unless an offset is given)')
    .option('--to <time>', 'end of the range (exclusive)')
    .option('--venue <venue>', 'only this venue (repeatable)', collect)
    .option('--asset <asset>', 'only this canonical asset, e.g. BTC (repeatable)', collect)
    .requiredOption('--out <dir>', 'directory for report.md, report.html, report.json, report.pdf and charts/')
    .option('--format <list>', `comma-separated formats (default: ${REPORT_FORMATS.join(',')})`)
    .action(async (opts: ReportOptions) => {
      const formats = parseFormats(opts.format);
      if (opts.cascade === undefined && (opts.from === undefined || opts.to === undefined)) {
        throw new CliError('report: give --cascade ID, or both --from and --to', EXIT_USAGE);
      }
      // every argument is checked before the database is opened
      const request = {
        outDir: opts.out,
        formats,
        ...(opts.cascade !== undefined ? { cascadeId: opts.cascade } : {}),
        ...(opts.from !== undefined ? { from: parseReportTime('--from', opts.from) } : {}),
        ...(opts.to !== undefined ? { to: parseReportTime('--to', opts.to) } : {}),
        ...(opts.venue ? { venues: opts.venue } : {}),
        ...(opts.asset ? { assets: opts.asset } : {}),
      };
      const handle = await context.openDb({ access: 'read' });
      let written;
      try {
        written = await writeReport(handle.db, request);
      } catch (error) {
        if (error instanceof ReportRequestError) throw new CliError(error.message, EXIT_USAGE);
        throw error;
      } finally {
        await handle.close();
      }
      const lines = [written.report.empty ? `report (no liquidation or ADL in scope: short form) written to ${written.dir}` : `report written to ${written.dir}`];
      for (const file of written.files.filter((f) => f.format !== 'svg')) lines.push(`  ${file.format.padEnd(5)} ${file.path}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      for (const s of written.skipped) process.stderr.write(`liqscope: report: ${s.format} not written: ${s.reason}\n`);
      if (opts.format !== undefined && written.skipped.length > 0) throw new CliError(`report: ${written.skipped.map((s) => s.format).join(', ')} not written (see above)`);
    });
}
