import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/connect.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { runCli, urlWithSchema } from '../../helpers/cli.ts';
import { openPostgresTestDb, TEST_DATABASE_URL } from '../../helpers/db.ts';
import { BLOCKS, HAND_SOURCES } from './hand-gmx.ts';
import { storeLogs } from './log-store.ts';

/**
 * `liqscope analyze` as a user runs it runs the oracle step with the venues' margin rules from the
 * composition root (the engine imports no protocol): the hand-built GMX v2 store of store-verdicts.test.ts
 * gives one erroneous liquidation (438.2 USD lost), one justified, one unknown, on an embedded database
 * directory and on Postgres.
 */
interface OracleRow {
  venue: string;
  checked: number;
  erroneous: number;
  borderline: number;
  justified: number;
  unknown: number;
  dollars_lost_usd: string;
}

function expectHandVerdicts(stdout: string) {
  const out = JSON.parse(stdout) as { runId: string; steps: Record<string, { verdicts?: Record<string, number>; marginRules?: string[] }>; oracleChecks: OracleRow[] };
  expect(Object.keys(out.steps)).toContain('oracle');
  expect(out.steps.oracle!.marginRules).toEqual(expect.arrayContaining(['gmx-v2', 'hyperliquid']));
  expect(out.oracleChecks).toHaveLength(1);
  const gmx = out.oracleChecks[0]!;
  expect([gmx.venue, gmx.checked, gmx.erroneous, gmx.borderline, gmx.justified, gmx.unknown]).toEqual(['gmx-v2', 3, 1, 0, 1, 1]);
  expect(Number(gmx.dollars_lost_usd)).toBeCloseTo(438.2, 2);
}

describe('liqscope analyze runs the oracle step', () => {
  it('on an embedded database directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-oracle-cli-'));
    try {
      const path = join(dir, 'db');
      const handle = await openDatabase({ path });
      try {
        await migrateToLatest(handle.db);
        await storeLogs(handle.db, HAND_SOURCES, BLOCKS);
      } finally {
        await handle.close();
      }
      const config = join(dir, 'liqscope.config.json');
      writeFileSync(config, JSON.stringify({ analytics: { oracle: { tolerancePct: 0.5 } } }));
      const run = await runCli(['--config', config, '--database', path, 'analyze', '--step', 'oracle', '--format', 'json'], { cwd: dir, env: { DATABASE_URL: '' }, timeoutMs: 120_000 });
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expectHandVerdicts(run.stdout);
      const table = await runCli(['--config', config, '--database', path, 'analyze', '--step', 'oracle'], { cwd: dir, env: { DATABASE_URL: '' }, timeoutMs: 120_000 });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/oracle checks:/);
      expect(table.stdout).toMatch(/gmx-v2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it.skipIf(!TEST_DATABASE_URL)('on Postgres', async () => {
    const handle = await openPostgresTestDb();
    try {
      await storeLogs(handle.db, HAND_SOURCES, BLOCKS);
      const run = await runCli(['--database', urlWithSchema(TEST_DATABASE_URL!, handle.schema), 'analyze', '--step', 'oracle', '--format', 'json'], { timeoutMs: 120_000 });
      expect(run.code).toBe(0);
      expectHandVerdicts(run.stdout);
    } finally {
      await handle.close();
    }
  }, 240_000);
});
