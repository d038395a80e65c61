import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Figure, Report } from './figure.ts';
import { buildReport } from './build-report.ts';
import { renderChart, type RenderedChart } from './charts/render-chart.ts';
import { renderHtml } from './render/html.ts';
import { renderMarkdown } from './render/markdown.ts';
import { renderJson } from './render/json.ts';
import { printPdf } from './render/pdf.ts';
import { ChromiumMissingError, findChromium, INSTALL_CHROMIUM_HINT } from './render/chromium.ts';
import type { ReportRequest } from './scope.ts';
import { redactSecrets } from '../secrets.ts';

export const REPORT_FORMATS = ['md', 'html', 'json', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface WriteReportOptions extends ReportRequest {
  /** Directory the files go to (created if missing): report.md, report.html, report.json, report.pdf, charts/. */
  outDir: string;
  /** Default: all four. */
  formats?: readonly ReportFormat[];
  title?: string;
  /** Report time; tests pass a fixed one. */
  now?: Date;
}

export interface WrittenReport {
  report: Report;
  dir: string;
  files: { format: ReportFormat | 'svg'; path: string }[];
  /** Formats not written, with why (a PDF without Chromium). The other formats are written regardless. */
  skipped: { format: ReportFormat; reason: string }[];
}

/**
 * Builds the report and writes it in each requested format. The PDF is the HTML file printed by
 * headless Chromium; when Chromium is missing the PDF is skipped with the reason and how to install
 * it, and every other format is still written.
 */
export async function writeReport(db: Kysely<Database>, options: WriteReportOptions): Promise<WrittenReport> {
  const formats = new Set<ReportFormat>(options.formats ?? REPORT_FORMATS);
  const report = await buildReport(db, options, { ...(options.now ? { now: options.now } : {}), ...(options.title ? { title: options.title } : {}) });
  const dir = resolve(options.outDir);
  mkdirSync(dir, { recursive: true });
  const files: WrittenReport['files'] = [];
  const skipped: WrittenReport['skipped'] = [];

  const charts = new Map<string, RenderedChart>();
  for (const figure of allFigures(report)) {
    const chart = renderChart(figure);
    if (chart) charts.set(figure.id, chart);
  }
  if (formats.has('md')) {
    const chartDir = join(dir, 'charts');
    // charts of an earlier report in the same directory would be left dangling otherwise
    rmSync(chartDir, { recursive: true, force: true });
    if (charts.size > 0) mkdirSync(chartDir, { recursive: true });
    for (const [id, chart] of charts) {
      const path = join(chartDir, `${id}.svg`);
      writeFileSync(path, safe(chart.svg));
      files.push({ format: 'svg', path });
    }
    const path = join(dir, 'report.md');
    writeFileSync(path, safe(renderMarkdown(report, (f) => (charts.has(f.id) ? `charts/${f.id}.svg` : null))));
    files.push({ format: 'md', path });
  }
  if (formats.has('json')) {
    const path = join(dir, 'report.json');
    writeFileSync(path, safe(renderJson(report)));
    files.push({ format: 'json', path });
  }
  const htmlPath = join(dir, 'report.html');
  if (formats.has('html') || formats.has('pdf')) {
    writeFileSync(htmlPath, safe(renderHtml(report, charts)));
    if (formats.has('html')) files.push({ format: 'html', path: htmlPath });
  }
  if (formats.has('pdf')) {
    const pdfPath = join(dir, 'report.pdf');
    if (!findChromium()) {
      skipped.push({ format: 'pdf', reason: new ChromiumMissingError(process.env.LIQSCOPE_CHROMIUM).message });
    } else {
      await printPdf(htmlPath, pdfPath);
      files.push({ format: 'pdf', path: pdfPath });
    }
    // the HTML was only the PDF's source
    if (!formats.has('html')) rmSync(htmlPath, { force: true });
  }
  return { report, dir, files, skipped };
}

/**
 * Every file passes through the process's secret redaction before it is written: a report is shared
 * widely, and no figure should ever carry an RPC key (figures print no source configuration, but an
 * error reason or a cell could quote one).
 */
const safe = (text: string) => redactSecrets(text);

export function allFigures(report: Report): Figure[] {
  return report.sections.flatMap((s) => s.figures);
}

export { INSTALL_CHROMIUM_HINT };
