import { logger } from '../../logger.ts';
import { backoffDelay, sleep } from '../../util/backoff.ts';
import type { EvmRpcClient } from './rpc-client.ts';

/** The RPC node(s) stayed behind the indexed data for longer than the chain's `laggingNodeTimeout`. */
export class NodeBehindError extends Error {
  override name = 'NodeBehindError';
}

export interface LaggingNodeOptions {
  sourceId: string;
  /** How long to wait in all before failing (the chain's laggingNodeTimeout). */
  timeoutMs: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
}

/**
 * What the runner does when the node lacks blocks it has already indexed, or that the node itself
 * reported as safe: the node is behind (or broken), which is not a reorg, so nothing is rolled back.
 * First every other endpoint is tried; then it waits, with exponential backoff and jitter, for the
 * node to catch up; after `timeoutMs` it fails with a message saying so.
 */
export class LaggingNodeWait {
  private since: number | null = null;
  private attempt = 0;
  private failovers = 0;

  constructor(
    private readonly client: EvmRpcClient,
    private readonly options: LaggingNodeOptions,
  ) {}

  /** The node is behind: `what` says how we know (e.g. "it has no block 1020, the cursor"). */
  async onBehind(what: string): Promise<void> {
    const now = Date.now();
    this.since ??= now;
    const waited = now - this.since;
    const endpoint = this.client.currentEndpoint;
    if (this.failovers < this.client.endpointCount - 1 && this.client.failover(`${endpoint} is behind the indexed data: ${what}`)) {
      this.failovers++;
      return;
    }
    const delay = backoffDelay(this.attempt++, this.options.baseMs ?? 1_000, this.options.maxMs ?? 30_000);
    if (waited + delay > this.options.timeoutMs) {
      throw new NodeBehindError(
        `source ${this.options.sourceId}: the RPC node ${endpoint} is behind the indexed data (${what}) and did not catch up ` +
          `in ${Math.round(waited / 1000)} s (chains.<name>.laggingNodeTimeout is ${this.options.timeoutMs / 1000} s); ` +
          'nothing was rolled back: check the node, or add an RPC that is in sync',
      );
    }
    logger.warn(
      { source: this.options.sourceId, endpoint, waitedMs: waited, delayMs: delay },
      `${this.options.sourceId}: RPC node ${endpoint} is behind the indexed data (${what}); not a reorg, nothing rolled back; waiting ${(delay / 1000).toFixed(1)} s for it to catch up`,
    );
    await sleep(delay, this.options.signal);
  }

  /** The node served what we needed: a later lag starts a new wait (and may fail over again). */
  reset(): void {
    this.since = null;
    this.attempt = 0;
    this.failovers = 0;
  }
}
