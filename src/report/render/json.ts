import type { Report } from '../figure.ts';

/**
 * The report as JSON (`docs/report.schema.json`): every figure with its SQL, columns and all rows
 * (long series in full). Charts are not included: they are drawings of these rows.
 */
export function renderJson(report: Report): string {
  const { sections, ...head } = report;
  return `${JSON.stringify({ ...head, sections: sections.map((s) => ({ ...s, figures: s.figures.map(({ chart, ...f }) => ({ ...f, chart: chart ? { type: chart.type, x: chart.x, y: chart.y, seriesBy: chart.seriesBy } : null })) })) }, null, 2)}\n`;
}
