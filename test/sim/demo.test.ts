import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { runCli } from '../helpers/cli.ts';

/** A decimal string without trailing zeros, so "1.50" from the database equals "1.5" from the ground truth. */
const norm = (v: string | null | undefined): string | null => {
  if (v === null || v === undefined) return null;
  let s = String(v);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
};
const sorted = (rows: string[]) => [...rows].sort();

describe('liqscope demo end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes exactly the chain events the simulator emitted (counts and exact values)', { timeout: 180_000 }, async () => {
    const out = join(dir, 'out');
    const dbPath = join(dir, 'db');
    const started = Date.now();
    const run = await runCli(['demo', '--out', out, '--database', dbPath], { timeoutMs: 175_000 });
    expect(run.stderr).toMatch(/demo: indexing blocks/);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(180_000);
    expect(run.stdout).toContain(`npx liqscope sql --database ${dbPath} "select`);

    const gt = JSON.parse(readFileSync(join(out, 'ground-truth.json'), 'utf8')) as GroundTruth;
    const gmxLiqs = gt.liquidations.filter((l) => l.venueKind === 'gmx-v2');
    const gmxAdls = gt.adlEvents.filter((a) => a.venueKind === 'gmx-v2');
    const gmxOracle = gt.oracleUpdates.filter((o) => o.venue === 'gmx');
    const rounds = gt.referenceRounds.filter((r) => r.aggregator);
    expect(gmxLiqs.length).toBeGreaterThan(50);
    expect(gmxAdls.length).toBeGreaterThan(0);
    expect(rounds.length).toBeGreaterThan(10);

    const handle = await openDatabase({ path: dbPath });
    try {
      const db = handle.db;
      const liqRows = await db.selectFrom('liquidations').selectAll().where('venue', '=', 'gmx-v2').execute();
      expect(liqRows.length).toBe(gmxLiqs.length);
      expect(sorted(liqRows.map((r) => [r.account.toLowerCase(), r.side, norm(r.size), norm(r.price), norm(r.size_usd), norm(r.pnl_usd), norm(r.fee_usd), norm(r.bad_debt_usd) ?? '0', r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxLiqs.map((l) => [l.account, l.side, l.size, l.price, l.sizeUsd, l.pnlUsd, l.feeUsd, l.badDebtUsd, l.blockTimestamp].join('|'))),
      );

      const adlRows = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'gmx-v2').execute();
      expect(adlRows.length).toBe(gmxAdls.length);
      expect(sorted(adlRows.map((r) => [r.account.toLowerCase(), r.side, norm(r.size), norm(r.price), norm(r.size_usd), norm(r.pnl_usd), r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxAdls.map((a) => [a.account, a.side, a.size, a.price, a.sizeUsd, a.pnlUsd, a.blockTimestamp].join('|'))),
      );

      const oracleRows = await db.selectFrom('oracle_prices').selectAll().where('venue', '=', 'gmx-v2').execute();
      expect(oracleRows.length).toBe(gmxOracle.length);
      expect(sorted(oracleRows.map((r) => [norm(r.price_min), norm(r.price_max), r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxOracle.map((o) => [o.minPrice, o.maxPrice, o.blockTimestamp].join('|'))),
      );

      const roundRows = await db.selectFrom('oracle_prices').selectAll().where('venue', '=', 'chainlink').execute();
      expect(roundRows.length).toBe(rounds.length);
      const gtMarkets = new Map(gt.markets.map((m) => [m.chainlinkAggregator, m.symbol]));
      expect(sorted(roundRows.map((r) => [gtMarkets.get(r.market.toLowerCase()), norm(r.price), r.round_id].join('|')))).toEqual(
        sorted(rounds.map((r) => [r.market, norm(r.answer), String(r.roundId)].join('|'))),
      );
    } finally {
      await handle.close();
    }
  });
});
