import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import type { NewLiquidation, NewOraclePrice } from '../../src/db/schema.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * `liqscope analyze` as a user runs it, on an embedded store holding a hand-made episode: three ETH
 * liquidations within two seconds ($6,000 + $4,500.25 + $3,000.5, longs) while Chainlink's ETH falls
 * 3 % (3,000 → 2,910), and one more liquidation a minute later, alone. By the documented rule (a new
 * cluster after 5 s; at least 2 liquidations, $10,000 and a 1 % move) that is one cascade of three.
 */
const T0 = Date.parse('2025-10-10T21:15:00.000Z');

describe('liqscope analyze (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-analyze-cli-'));
  const db = join(dir, 'db');

  beforeAll(async () => {
    const handle = await openDatabase({ path: db });
    await migrateToLatest(handle.db);
    const liquidation = (ms: number, n: number, size: string, price: string, usd: string): NewLiquidation => ({
      venue: 'hyperliquid', chain: 'hyperliquid', chain_id: null, market: 'ETH', symbol: 'ETH', asset: 'ETH', quote: 'USD',
      time: new Date(T0 + ms), uid: `fill-${n}`, source_id: null, account: `0x${String(n).padStart(40, '0')}`, liquidator: null,
      side: 'long', size, price, size_usd: usd,
    });
    await handle.db.insertInto('liquidations').values([
      liquidation(10_000, 1, '2', '3000', '6000'),
      liquidation(10_800, 2, '1.5', '3000.1666666', '4500.2499999'),
      liquidation(12_000, 3, '1', '3000.5', '3000.5'),
      liquidation(72_000, 4, '1', '2950', '2950'),
    ]).execute();
    const round = (ms: number, n: number, price: string): NewOraclePrice => ({
      venue: 'chainlink', chain: 'arbitrum', chain_id: 42161, market: '0x639fe6ab55c921f74e7fac1ee960c0b6293ba612', symbol: 'ETH/USD', asset: 'ETH',
      quote: 'USD', time: new Date(T0 + ms), uid: `round-${n}`, source_id: null, price,
    });
    await handle.db.insertInto('oracle_prices').values([round(0, 1, '3000'), round(9_000, 2, '2970'), round(11_000, 3, '2940'), round(13_000, 4, '2910')]).execute();
    await handle.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a time it cannot read exits 2 and names the flag and the value', async () => {
    const run = await runCli(['analyze', '--database', db, '--from', 'yesterday']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('liqscope: analyze: --from "yesterday" is not a time (ISO 8601 such as 2025-10-10T21:15:00Z, a date, or unix seconds)');
    expect(run.stdout).toBe('');
  });

  it('an unknown step exits 2 and lists the steps', async () => {
    const run = await runCli(['analyze', '--database', db, '--step', 'cascade']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^liqscope: analyze: unknown step "cascade" \(steps: cascades, [a-z, -]+\)\n$/);
  });

  it('--format json prints the run and its cascades', async () => {
    const run = await runCli(['analyze', '--database', db, '--from', '2025-10-10T21:00:00Z', '--to', '2025-10-10T22:00:00Z', '--step', 'cascades', '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { runId: string; from: string; to: string; scope: string; steps: { cascades: { events: number; cascades: number; clusters: number } }; cascades: Record<string, unknown>[] };
    expect(out).toMatchObject({ from: '2025-10-10T21:00:00.000Z', to: '2025-10-10T22:00:00.000Z', scope: 'all', steps: { cascades: { events: 4, clusters: 2, cascades: 1 } } });
    expect(out.runId).toMatch(/^\d+$/);
    expect(out.cascades).toHaveLength(1);
    expect(out.cascades[0]).toMatchObject({
      cascade_id: 'C-2025-10-10T21:15:10.000Z',
      start_time: '2025-10-10T21:15:10.000Z',
      end_time: '2025-10-10T21:15:12.000Z',
      liquidations: 3,
      // 6000 + 4500.2499999 + 3000.5, rounded to the dollar for the listing
      liquidated_usd: '13501',
      venues: 'hyperliquid',
    });
  });
});
