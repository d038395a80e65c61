import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { Figure, TimeLinesChart, TimeScatterChart, TimeStackedBarsChart, Row, ColumnUnit } from '../figure.ts';
import { formatCell } from '../format-cell.ts';
import { BAND_FILL, SERIES_PALETTE } from './palette.ts';
import { sumIntoBuckets } from './buckets.ts';

echarts.use([LineChart, BarChart, ScatterChart, GridComponent, LegendComponent, MarkAreaComponent, SVGRenderer]);

/** A chart drawn on the server: an SVG string and where its plot area is (for the browser test). */
export interface RenderedChart {
  svg: string;
  width: number;
  height: number;
  /** Plot area in SVG pixels: marks of the series are drawn inside it. */
  plot: { left: number; top: number; width: number; height: number };
  /** Series drawn (after grouping by `seriesBy`). */
  series: number;
  /** Drawing note (downsampling), shown under the chart. */
  note: string | null;
}

const WIDTH = 900;
const HEIGHT = 320;
const GRID = { left: 84, right: 24, bottom: 36 };
/**
 * Bars drawn at most; wider spans are summed into wider bars for the drawing only (the figure's rows,
 * listed in the table and the JSON, keep the per-second values). 300 bars over 820 px stay readable.
 */
export const MAX_BARS = 300;

/**
 * Renders a figure's chart with ECharts' server-side SVG renderer (no DOM, no browser). Lines use
 * ECharts' LTTB sampling: it keeps the shape (peaks and troughs) of a long series with one point per
 * pixel column; bars are summed into wider buckets. Both change the drawing only.
 */
export function renderChart(figure: Figure): RenderedChart | null {
  const spec = figure.chart;
  if (!spec) return null;
  const groups = groupSeries(figure.rows, spec.x, spec.y, spec.seriesBy);
  if (groups.size === 0) return null;
  const legendRows = Math.ceil(groups.size / 4);
  const top = 14 + legendRows * 22;
  const plot = { left: GRID.left, top, width: WIDTH - GRID.left - GRID.right, height: HEIGHT - top - GRID.bottom };
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    const { series, note } = spec.type === 'time-lines' ? lineSeries(groups, spec) : spec.type === 'time-scatter' ? scatterSeries(groups, spec) : barSeries(groups, spec);
    if (spec.bands && spec.bands.length > 0 && series[0]) {
      series[0].markArea = {
        silent: true,
        itemStyle: { color: BAND_FILL },
        label: { show: true, position: 'insideTop', fontSize: 10, color: '#444' },
        data: spec.bands.map((b) => [{ xAxis: Date.parse(b.from), name: b.label }, { xAxis: Date.parse(b.to) }]),
      };
    }
    chart.setOption({
      animation: false,
      useUTC: true,
      color: [...SERIES_PALETTE],
      textStyle: { fontFamily: 'Helvetica, Arial, sans-serif' },
      legend: { top: 6, left: GRID.left, right: GRID.right, itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 11 } },
      grid: { ...GRID, top, containLabel: false },
      xAxis: { type: 'time', axisLabel: { fontSize: 10, hideOverlap: true } },
      yAxis: {
        type: 'value',
        scale: spec.type !== 'time-stacked-bars',
        name: spec.yLabel,
        // along the axis, so that it never collides with the legend above the plot
        nameLocation: 'middle',
        nameGap: 62,
        nameRotate: 90,
        nameTextStyle: { fontSize: 10 },
        axisLabel: { fontSize: 10, formatter: (v: number) => axisNumber(v, spec.yUnit) },
      },
      series,
    });
    return { svg: chart.renderToSVGString(), width: WIDTH, height: HEIGHT, plot, series: groups.size, note };
  } finally {
    chart.dispose();
  }
}

type Point = [number, number | null];

/** Rows grouped into named series of [time ms, value] points, in first-seen order. */
function groupSeries(rows: readonly Row[], x: string, y: string, seriesBy: readonly string[]): Map<string, Point[]> {
  const groups = new Map<string, Point[]>();
  for (const row of rows) {
    const t = Date.parse(String(row[x]));
    if (Number.isNaN(t)) continue;
    const raw = row[y];
    const v = raw === null || raw === undefined ? null : Number(raw);
    const name = seriesBy.map((c) => String(row[c] ?? '–')).join(' ') || figureSeriesName(y);
    let points = groups.get(name);
    if (!points) groups.set(name, (points = []));
    points.push([t, v !== null && Number.isFinite(v) ? v : null]);
  }
  return groups;
}

const figureSeriesName = (y: string) => y.replaceAll('_', ' ');

// ECharts' option types are very wide; the series objects here are plain data.
type SeriesOption = Record<string, unknown> & { markArea?: unknown };

function lineSeries(groups: Map<string, Point[]>, spec: TimeLinesChart): { series: SeriesOption[]; note: string | null } {
  const longest = Math.max(...[...groups.values()].map((p) => p.length));
  const series = [...groups].map(([name, data]) => ({
    name,
    type: 'line',
    data,
    showSymbol: data.length <= 2,
    symbolSize: 4,
    step: spec.step ? 'end' : false,
    lineStyle: { width: 1.5 },
    connectNulls: false,
    // LTTB: one point per pixel column for long series; the shape, peaks included, is kept
    sampling: 'lttb',
  }));
  const pixels = WIDTH - GRID.left - GRID.right;
  return { series, note: longest > pixels ? `Lines drawn with LTTB downsampling (about one point per pixel of ${longest.toLocaleString('en-US')} in the longest series); the table and report.json hold every point.` : null };
}

/**
 * Dots. ECharts does not sample scatter series; past MAX_DOTS a series keeps every k-th dot plus its
 * extremes, for the drawing only (the deviation's peak must stay visible).
 */
export const MAX_DOTS = 4000;

function scatterSeries(groups: Map<string, Point[]>, _spec: TimeScatterChart): { series: SeriesOption[]; note: string | null } {
  let thinned = false;
  const series = [...groups].map(([name, data]) => {
    let drawn = data;
    if (data.length > MAX_DOTS) {
      thinned = true;
      const step = Math.ceil(data.length / MAX_DOTS);
      const extremes = new Set([argBy(data, (a, b) => a > b), argBy(data, (a, b) => a < b)]);
      drawn = data.filter((_, i) => i % step === 0 || extremes.has(i));
    }
    return { name, type: 'scatter', data: drawn, symbolSize: 4 };
  });
  return { series, note: thinned ? `Dots thinned for drawing (every k-th of more than ${MAX_DOTS.toLocaleString('en-US')}, extremes kept); the table and report.json hold every row.` : null };
}

function argBy(points: readonly Point[], better: (a: number, b: number) => boolean): number {
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const v = points[i]![1];
    if (v !== null && (best < 0 || better(v, points[best]![1]!))) best = i;
  }
  return best;
}

function barSeries(groups: Map<string, Point[]>, spec: TimeStackedBarsChart): { series: SeriesOption[]; note: string | null } {
  const { buckets, bucketSeconds } = sumIntoBuckets(groups, spec.bucketSeconds, MAX_BARS);
  const series = [...buckets].map(([name, data]) => ({ name, type: 'bar', stack: 'total', data, barMaxWidth: 24, barMinHeight: 0 }));
  const note = bucketSeconds > spec.bucketSeconds ? `Drawn as ${bucketSeconds}-second bars (sums of the ${spec.bucketSeconds}-second rows); the table and report.json hold every row.` : null;
  return { series, note };
}

function axisNumber(v: number, unit: ColumnUnit): string {
  if (unit === 'usd') {
    const a = Math.abs(v);
    const s = a >= 1e9 ? `${+(a / 1e9).toFixed(2)}B` : a >= 1e6 ? `${+(a / 1e6).toFixed(2)}M` : a >= 1e3 ? `${+(a / 1e3).toFixed(1)}k` : `${+a.toFixed(2)}`;
    return `${v < 0 ? '-' : ''}$${s}`;
  }
  return formatCell(v, unit === 'count' ? 'number' : unit);
}
