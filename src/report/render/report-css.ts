/**
 * The report's only style sheet, inlined. System fonts (nothing to fetch); readable on a laptop
 * (one column, 60–100 characters); in print, A4 with each section after the first on a new page and no figure cut
 * between pages where it fits on one.
 */
export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 15px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d22; margin: 0 auto; max-width: 960px; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 36px 0 10px; border-bottom: 1px solid #ccd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 4px; } .scope { color: #555; margin: 0 0 12px; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; font-size: 14px; } a { color: #1f5fa8; }
figure { margin: 22px 0 26px; } figcaption p { margin: 2px 0 8px; color: #333; }
.chart svg { max-width: 100%; height: auto; display: block; } .note, .empty { color: #666; font-size: 13px; margin: 4px 0; }
.unavailable { background: #f6f3e8; border-left: 4px solid #c9a227; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e3ea; padding: 3px 10px; text-align: left; vertical-align: top; } th { background: #f3f4f8; }
td.num, th.num { text-align: right; white-space: nowrap; }
.table-wrap { overflow-x: auto; max-width: 100%; } td { overflow-wrap: break-word; }
details.sql summary { cursor: pointer; color: #555; font-size: 12px; }
pre { background: #f6f7fa; border: 1px solid #e3e3ea; padding: 8px 10px; font: 11.5px/1.35 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
footer { margin-top: 40px; color: #666; font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11.5px; }
  nav { display: none; }
  .report-section ~ .report-section { break-before: page; }
  figure { break-inside: avoid; } h2, h3 { break-after: avoid; }
  table { font-size: 10.5px; } pre { font-size: 9.5px; }
  /* paper cannot scroll: wide tables shrink and wrap inside the page instead of being cut off */
  .table-wrap { overflow: visible; } table { width: 100%; } table.wide { font-size: 8.5px; }
  th, td, td.num, th.num { white-space: normal; overflow-wrap: break-word; padding: 2px 4px; }
  a { color: inherit; text-decoration: none; }
}
`;
