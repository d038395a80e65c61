/**
 * Series colours. Distinct from ECharts' axis and grid greys, so that a drawn mark can be told from
 * the chart's frame by its colour (the browser test counts marks of these colours inside the plot).
 */
export const SERIES_PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#393b79', '#ad494a', '#637939'] as const;

/** Fill of shaded time bands (stages, ADL waves): translucent grey, not a series colour. */
export const BAND_FILL = 'rgba(90, 90, 110, 0.10)';
