import cliProgress from 'cli-progress';
import { logger } from '../logger.ts';
import type { SourceProgress } from './source-runner.ts';

export interface ProgressReporter {
  onProgress(progress: SourceProgress): void;
  stop(): void;
}

function counts(p: SourceProgress) {
  const done = Number(p.cursor - p.startBlock + 1n);
  const total = Number(p.target - p.startBlock + 1n);
  const rate = p.elapsedSeconds > 0 ? p.events / p.elapsedSeconds : 0;
  return { done: Math.max(0, done), total: Math.max(0, total), left: Math.max(0, total - done), rate };
}

/**
 * Progress of each source: a cli-progress bar per source on a terminal (blocks done/left, events/s,
 * ETA), otherwise one log line per source every `intervalMs` (cron logs stay readable).
 */
export function createProgressReporter(opts: { tty: boolean; intervalMs?: number }): ProgressReporter {
  if (opts.tty) {
    const multi = new cliProgress.MultiBar(
      {
        format: '{source} [{bar}] {percentage}% | {value}/{total} blocks, {left} left | {events} events, {rate} ev/s | ETA {eta_formatted}',
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
        const payload = { source: p.sourceId, events: p.events, rate: Math.round(c.rate), left: c.left };
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
  const interval = opts.intervalMs ?? 5000;
  const last = new Map<string, number>();
  return {
    onProgress(p) {
      const now = Date.now();
      if (p.phase === 'catching-up' && now - (last.get(p.sourceId) ?? 0) < interval) return;
      last.set(p.sourceId, now);
      const c = counts(p);
      const eta = c.rate > 0 && c.done > 0 ? Math.round((c.left * p.elapsedSeconds) / c.done) : null;
      logger.info(
        { source: p.sourceId, block: p.cursor.toString(), target: p.target.toString(), blocksLeft: c.left, events: p.events, eventsPerSecond: Math.round(c.rate), etaSeconds: eta, phase: p.phase },
        `${p.sourceId}: block ${p.cursor}/${p.target}, ${c.left} left, ${p.events} events (${Math.round(c.rate)}/s)`,
      );
    },
    stop() {},
  };
}
