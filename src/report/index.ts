/**
 * Incident reports: Markdown, one-file HTML with SVG charts, JSON and PDF, every figure with the SQL
 * that reproduces it. Reports read the canonical and analytics tables and compute nothing analytics owns.
 */
export { writeReport, REPORT_FORMATS, allFigures } from './write-report.ts';
export { mainCascadeId } from './main-cascade.ts';
export type { ReportFormat, WriteReportOptions, WrittenReport } from './write-report.ts';
export { buildReport } from './build-report.ts';
export type { BuildReportOptions } from './build-report.ts';
export { ReportRequestError } from './scope.ts';
export type { ReportRequest, ReportScope } from './scope.ts';
export { FigureQueryError, toRow } from './run-figure.ts';
export { ChromiumMissingError, findChromium, launchChromium, INSTALL_CHROMIUM_HINT } from './render/chromium.ts';
export { REPORT_FORMAT } from './figure.ts';
export type { Report, Section, Figure, FigureSpec, Cell, Row, ColumnSpec, ColumnUnit } from './figure.ts';
