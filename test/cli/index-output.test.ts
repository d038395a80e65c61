import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withAnvil } from '../helpers/anvil.ts';
import { runCli } from '../helpers/cli.ts';
import { EMITTER, emitPings, PING_TOPIC0 } from '../indexer/support.ts';

const chain = withAnvil(42161);

/**
 * What an operator reads of `liqscope index` in a cron log (stdout and stderr redirected to a file):
 * plain text, a progress line per source while it works, no false warnings.
 */
describe('liqscope index output without a terminal', () => {
  it('prints a plain summary table from the first block, progress lines, and no MaxListeners warning with 2 sources × 4 requests', async () => {
    const { firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 40, perBlock: 5, gap: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-index-output-'));
    try {
      const source = (name: string) => ({ name, protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), endBlock: Number(lastBlock), options: { topic0: [PING_TOPIC0] } });
      writeFileSync(
        join(dir, 'liqscope.config.json'),
        JSON.stringify({
          database: { path: join(dir, 'db') },
          // Tiny ranges and four requests in flight per source: many requests, each listening to the run's signal.
          chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, maxBlockRange: 2, concurrency: 4, requestsPerSecond: 1000 } },
          sources: [source('a'), source('b')],
        }),
      );
      const run = await runCli(['index'], { cwd: dir, env: { LIQSCOPE_LOG_LEVEL: 'info' } });
      expect(run.stderr).not.toMatch(/MaxListenersExceededWarning/);
      expect(run.code).toBe(0);
      // No ANSI colour codes in redirected output.
      expect(run.stdout).not.toMatch(/\u001b\[/);
      // "from" is the first block this run indexed, "to" the last.
      for (const name of ['a', 'b']) {
        const row = run.stdout.split('\n').find((line) => line.includes(` ${name} `))!;
        const cells = row.split('│').map((c) => c.trim()).filter(Boolean);
        expect(cells.slice(0, 6)).toEqual([name, 'blocks', String(firstBlock), String(lastBlock), '200', '0']);
      }
      // At least one JSON progress line per source on stderr.
      const progress = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { source?: string; phase?: string });
      for (const name of ['a', 'b']) expect(progress.some((p) => p.source === name && p.phase === 'done')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
