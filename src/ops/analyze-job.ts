import { analyze } from '../analytics/analyze.ts';
import { analysisContextOf } from '../pipeline/protocol.ts';
import { analysisWindows, quietGapMs } from './analysis-windows.ts';
import type { JobKind } from './job-kind.ts';
import { newDataSpans, readSettledMarks, TRACKED_TABLES, type DataMarks } from './new-data.ts';

/**
 * `analyze`: the analysis of the data stored since its last successful run, whatever event time that
 * data has (a backfill of last year as well as the last minutes).
 *
 * "Since" is by ingestion, not by clock: the run reads, per analysis input, the highest id that is
 * settled (new-data.ts), takes the rows between the last successful run's marks and these, and analyses
 * the event-time windows they fall in, widened to whole clusters (analysis-windows.ts). Each window is
 * one `analyze` transaction, which replaces that window's results. The marks are kept in the run's
 * figures; a failed or interrupted run leaves the last successful marks in place, so the next run takes
 * its data again (re-analysing a window gives the same results).
 */
export const analyzeJob: JobKind = {
  kind: 'analyze',
  jobs: () => [{ name: 'analyze' }],
  defaultExpression: (schedule) => schedule.analyze,
  async run(_job, context) {
    const previous = readMarks(context.sinceFigures?.marks);
    const marks = await readSettledMarks(context.db, context.dbKind, context.signal);
    const spans = await newDataSpans(context.db, previous, marks);
    const newRows = spans.reduce((sum, s) => sum + s.rows, 0);
    if (spans.length === 0) return { outcome: 'ok', figures: { marks, newRows: 0, windows: [] }, summary: 'no new data' };
    const windows = await analysisWindows(context.db, spans, quietGapMs(context.config.analytics));
    const done: Record<string, unknown>[] = [];
    for (const window of windows) {
      // Between windows: a window's analysis is one transaction, finished or not begun.
      if (context.signal.aborted) {
        return { outcome: 'interrupted', figures: { marks: previous, newRows, windows: done }, summary: `stopped after ${done.length} of ${windows.length} windows` };
      }
      const summary = await analyze(context.db, context.config, {
        from: window.from,
        to: window.to,
        // The venues' margin rules and ADL rankings (the engine imports no protocol).
        context: analysisContextOf(context.protocols),
      });
      done.push({ from: window.from.toISOString(), to: window.to.toISOString(), runId: summary.runId, seconds: Number(summary.seconds.toFixed(3)), ...stepCounts(summary.steps) });
    }
    const span = `${windows[0]!.from.toISOString()} – ${windows[windows.length - 1]!.to.toISOString()}`;
    return {
      outcome: 'ok',
      figures: { marks, newRows, windows: done },
      summary: `${newRows} new rows: ${windows.length} window${windows.length === 1 ? '' : 's'} analysed (${span})`,
    };
  },
};

/** The marks of the last successful run's figures; none (everything is new) when absent or unreadable. */
function readMarks(value: unknown): DataMarks {
  const marks: DataMarks = {};
  if (!value || typeof value !== 'object') return marks;
  for (const table of TRACKED_TABLES) {
    const mark = (value as Record<string, unknown>)[table];
    if (typeof mark === 'string' && /^\d+$/.test(mark)) marks[table] = mark;
  }
  return marks;
}

/** The counts an operator looks for in the job log: cascades, ADL waves, oracle checks. */
function stepCounts(steps: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const counts: Record<string, unknown> = {};
  for (const [step, figures] of Object.entries(steps)) {
    for (const key of ['cascades', 'waves', 'liquidationsChecked']) {
      if (typeof figures[key] === 'number') counts[`${step}.${key}`] = figures[key];
    }
  }
  return counts;
}
