import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { indexConfig } from '../../../src/indexer/index-config.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation, writeSimOutput } from '../../../src/sim/run-sim.ts';
import { startHyperliquidInfoServer } from '../../../src/sim/servers/hyperliquid-info-server.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';

/**
 * Hyperliquid meters 1200 weight a minute per IP (UNVERIFIED whether over a sliding minute or a bucket;
 * a client that keeps every 60-second window within it is safe under both). The server counts the
 * weight of every answer as the docs define it; the client must never put more than its
 * `weightPerMinute` into any 60 seconds, also in its first minute.
 */
let outDir: string;
beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'liqscope-hl-rate-'));
  writeSimOutput(outDir, runSimulation(loadScenario('two-shocks').scenario));
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the info API source under the weight limit', () => {
  it('never spends more than weightPerMinute in any 60 seconds, from the first request on (server-counted)', async () => {
    // counts only: a server 429 would hide the client's pacing behind its retries
    const server = await startHyperliquidInfoServer({ outDir, weightPerMinute: null });
    const { db, close } = await openPgliteTestDb();
    try {
      // metaAndAssetCtxs sampled as fast as the source may (weight 20 each, the same on both sides): a
      // limit of 1200 allows 60 samples in a minute. A bucket that starts full and refills 20 a second
      // would send 60 at once and one more every second after: 67 within 7 seconds.
      const config = configSchema.parse({
        sources: [{ name: 'hl-rate', kind: 'http', protocol: 'hyperliquid', url: server.url, weightPerMinute: 1200, pollInterval: 0.01, options: { ctx: {} } }],
      });
      const controller = new AbortController();
      const started = Date.now();
      const run = indexConfig(db, config, { protocols: PROTOCOLS, follow: true, signal: controller.signal });
      await new Promise((r) => setTimeout(r, 7_000));
      controller.abort();
      await run;
      expect(Date.now() - started).toBeLessThan(60_000);
      const answered = server.stats.requests.filter((r) => r.status === 200);
      // every request was answered inside one minute: the sum is the heaviest 60-second window
      const weight = answered.reduce((sum, r) => sum + r.weight, 0);
      expect(answered.every((r) => r.weight === 20)).toBe(true);
      expect(weight).toBeLessThanOrEqual(1200);
      // and the pacing is no slower than it must be: the whole minute's budget was used
      expect(weight).toBe(1200);
      const { n } = (await db.selectFrom('oracle_prices').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow());
      // two coins, oracle and mark per sample
      expect(Number(n)).toBe(60 * 2 * 2);
    } finally {
      await close();
      await server.close();
    }
  }, 30_000);
});
