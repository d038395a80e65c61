import cliProgress from 'cli-progress';
import { logger } from '../logger.ts';
import type { SourceProgress } from './runner.ts';

export interface ProgressReporter {
  onProgress(progress: SourceProgress): void;
  stop(): void;
}

function counts(p: SourceProgress) {
  const done = Number(p.position - p.start + 1n);
  const total = Number(p.target - p.start + 1n);
  const rate = p.elapsedSeconds > 0 ? p.records / p.elapsedSeconds : 0;
  return { done: Math.max(0, done), total: Math.max(0, total), left: Math.max(0, total - done), rate };
}

/**
 * Progress of each source: a cli-progress bar per source on a terminal (units done/left, records/s,
 * ETA), otherwise one log line per source every `intervalMs` (cron logs stay readable).
 */
export function createProgressReporter(opts: { tty: boolean; intervalMs?: number }): ProgressReporter {
  if (opts.tty) {
    const multi = new cliProgress.MultiBar(
      {
        format: '{source} [{bar}] {percentage}% | {value}/{total} {unit}, {left} left | {records} records, {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const bars = new Map<string, cliProgress.SingleBar>();
    return {
      onProgress(p) {
        const c = counts(p);
        const payload = { source: p.sourceId, unit: p.unit, records: p.records, rate: Math.round(c.rate), left: c.left };
        let bar = bars.get(p.sourceId);
        if (!bar) {
          bar = multi.create(c.total, c.done, payload);
          bars.set(p.sourceId, bar);
        }
        bar.setTotal(c.total);
        bar.update(c.done, payload);
      },
      stop: () => multi.stop(),
    };
  }
  // Without a terminal (cron, systemd, Kubernetes logs): one line per source every `interval`, whether
  // or not a batch landed since (a long first range would otherwise print nothing for minutes), and one
  // when a source is done. A source that has not moved since its last line is not repeated.
  const interval = opts.intervalMs ?? 5000;
  const latest = new Map<string, { progress: SourceProgress; printed: boolean }>();
  const print = (p: SourceProgress) => {
    const c = counts(p);
    const eta = c.rate > 0 && c.done > 0 ? Math.round((c.left * p.elapsedSeconds) / c.done) : null;
    logger.info(
      { source: p.sourceId, unit: p.unit, position: p.position.toString(), target: p.target.toString(), left: c.left, records: p.records, recordsPerSecond: Math.round(c.rate), etaSeconds: eta, phase: p.phase },
      `${p.sourceId}: ${p.unit} ${p.position}/${p.target}, ${c.left} left, ${p.records} records (${Math.round(c.rate)}/s)`,
    );
  };
  const timer = setInterval(() => {
    for (const entry of latest.values()) {
      if (entry.printed) continue;
      entry.printed = true;
      print(entry.progress);
    }
  }, interval);
  timer.unref();
  return {
    onProgress(p) {
      const first = !latest.has(p.sourceId);
      const done = p.phase !== 'catching-up';
      latest.set(p.sourceId, { progress: p, printed: first || done });
      if (first || done) print(p);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
