import { logger } from '../logger.ts';
import { backoffDelay, sleep } from '../util/backoff.ts';

/** Overrides of the restart waits (tests shorten them). */
export interface RestartWaits {
  maxRestarts?: number;
  restartBaseMs?: number;
  restartMaxMs?: number;
}

export interface RestartBudgetOptions {
  sourceId: string;
  /** Consecutive restarts tolerated before giving up (a node flapping between branches). */
  maxRestarts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  /** Source of the jitter (tests pin it). */
  random?: () => number;
}

/**
 * Restarts of a pull after what it read moved under it (a reorg in flight). One or two are normal near
 * the tip; a run of them means a node flapping between branches, so each waits longer (exponential
 * backoff with jitter), and past `maxRestarts` the run fails with the last cause.
 */
export class RestartBudget {
  private restarts = 0;
  private since = 0;

  constructor(private readonly options: RestartBudgetOptions) {}

  /**
   * Waits before the next restart and returns how long it waited; throws once the budget is spent.
   * `where` is what was being fetched (`blocks [100, 200]`).
   */
  async onMoved(error: Error, where: string): Promise<number> {
    if (this.restarts === 0) this.since = Date.now();
    this.restarts++;
    const max = this.options.maxRestarts ?? 10;
    if (this.restarts > max) {
      const seconds = ((Date.now() - this.since) / 1000).toFixed(1);
      throw new Error(
        `source ${this.options.sourceId}: the chain kept changing under the fetch of ${where}: gave up after ${max} restarts in ${seconds} s; last cause: ${error.message}`,
      );
    }
    const delay = backoffDelay(this.restarts - 1, this.options.baseMs ?? 500, this.options.maxMs ?? 30_000, this.options.random);
    logger.info(
      { source: this.options.sourceId, restart: this.restarts, delayMs: delay },
      `${this.options.sourceId}: the data moved while fetching ${where} (${error.message}); restarting from the cursor in ${(delay / 1000).toFixed(1)} s (restart ${this.restarts} of at most ${max})`,
    );
    await sleep(delay, this.options.signal);
    return delay;
  }

  /** A catch-up completed: the next move starts a fresh budget. */
  reset(): void {
    this.restarts = 0;
  }
}
