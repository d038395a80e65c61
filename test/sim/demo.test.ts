import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
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

  // Generous limits: the demo takes about a minute on a quiet 2-core machine; its speed is not tested here.
  it('indexes exactly the events the simulator wrote for its three venues (counts and exact values)', { timeout: 400_000 }, async () => {
    const out = join(dir, 'out');
    const dbPath = join(dir, 'db');
    const run = await runCli(['demo', '--out', out, '--database', dbPath], { timeoutMs: 390_000 });
    expect(run.stderr).toMatch(/demo: indexing blocks/);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
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
      expect(sorted(liqRows.map((r) => [r.account?.toLowerCase(), r.side, norm(r.size), norm(r.price), norm(r.size_usd), norm(r.pnl_usd), norm(r.fee_usd), norm(r.bad_debt_usd) ?? '0', r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxLiqs.map((l) => [l.account, l.side, l.size, l.price, l.sizeUsd, l.pnlUsd, l.feeUsd, l.badDebtUsd, l.blockTimestamp].join('|'))),
      );

      const adlRows = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'gmx-v2').execute();
      expect(adlRows.length).toBe(gmxAdls.length);
      expect(sorted(adlRows.map((r) => [r.account?.toLowerCase(), r.side, norm(r.size), norm(r.price), norm(r.size_usd), norm(r.pnl_usd), r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxAdls.map((a) => [a.account, a.side, a.size, a.price, a.sizeUsd, a.pnlUsd, a.blockTimestamp].join('|'))),
      );

      const oracleRows = await db.selectFrom('oracle_prices').selectAll().where('venue', '=', 'gmx-v2').execute();
      expect(oracleRows.length).toBe(gmxOracle.length);
      expect(sorted(oracleRows.map((r) => [norm(r.price_min), norm(r.price_max), r.time.getTime() / 1000].join('|')))).toEqual(
        sorted(gmxOracle.map((o) => [o.minPrice, o.maxPrice, o.blockTimestamp].join('|'))),
      );

      // Hyperliquid node fills, imported beside the chain: exactly the ground truth's fills.
      const hlLiqs = gt.liquidations.filter((l) => l.venueKind === 'hyperliquid');
      const hlAdls = gt.adlEvents.filter((a) => a.venueKind === 'hyperliquid');
      expect(hlLiqs.length).toBeGreaterThan(100);
      const hlLiqRows = await db.selectFrom('liquidations').selectAll().where('venue', '=', 'hyperliquid').execute();
      expect(sorted(hlLiqRows.map((r) => [r.account, r.asset, r.side, norm(r.size), norm(r.price), norm(r.mark_price), r.time.getTime()].join('|')))).toEqual(
        sorted(hlLiqs.map((l) => [l.account, l.market, l.side, norm(l.size), norm(l.price), norm(l.markPrice), l.timeMs].join('|'))),
      );
      const hlAdlRows = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'hyperliquid').execute();
      expect(sorted(hlAdlRows.map((r) => [r.account, r.side, norm(r.size), r.time.getTime(), r.counterparty].join('|')))).toEqual(
        sorted(hlAdls.map((a) => [a.account, a.side, norm(a.size), a.timeMs, a.liquidatedAccount].join('|'))),
      );

      // One query on asset spans venues: every ETH liquidation of dYdX, GMX v2 and Hyperliquid together.
      const { rows: ethByVenue } = await sql<{ venue: string; n: string }>`
        select venue, count(*)::text as n from liquidations where asset = 'ETH' group by venue order by venue`.execute(db);
      const ethOf = (venueKind: string) => String(gt.liquidations.filter((l) => l.venueKind === venueKind && l.market === 'ETH').length);
      expect(ethByVenue).toEqual([
        { venue: 'dydx-v4', n: ethOf('dydx') },
        { venue: 'gmx-v2', n: ethOf('gmx-v2') },
        { venue: 'hyperliquid', n: ethOf('hyperliquid') },
      ]);
      // The oracle-at-liquidation lateral join on asset finds GMX v2's own oracle rows (its last
      // OraclePriceUpdate of the liquidated asset at or before the liquidation).
      const { rows: joined } = await sql<{ uid: string; oracle: string | null; oracle_time: Date | null; time: Date }>`
        select l.uid, o.price as oracle, o.time as oracle_time, l.time from liquidations l
        left join lateral (
          select price, time from oracle_prices p where p.venue = l.venue and p.asset = l.asset and p.time <= l.time order by p.time desc limit 1
        ) o on true
        where l.venue = 'gmx-v2' and l.asset = 'ETH'`.execute(db);
      expect(joined.length).toBeGreaterThan(0);
      for (const row of joined) {
        expect(row.oracle, row.uid).not.toBeNull();
        // independently: the ground truth's last GMX ETH publication whose block (the oracle's timestamp
        // on chain) is at or before the liquidation's block
        const at = row.time.getTime() / 1000;
        const before = gmxOracle.filter((o) => o.market === 'ETH' && o.blockTimestamp! <= at);
        const second = Math.max(...before.map((o) => o.blockTimestamp!));
        expect(row.oracle_time!.getTime() / 1000).toBe(second);
        // Several publications can share that second; the row is one of them.
        const mids = before.filter((o) => o.blockTimestamp === second).map((o) => (Number(o.minPrice) + Number(o.maxPrice)) / 2);
        expect(mids.some((mid) => Math.abs(mid - Number(row.oracle)) <= mid * 1e-12), `${row.oracle} in ${mids.join(', ')}`).toBe(true);
      }

      // dYdX v4 through the local indexer server: exactly the ground truth's liquidations and deleveraging
      // (a subaccount is `<address>/<number>`; the simulator's accounts are subaccount 0).
      const dydxLiqs = gt.liquidations.filter((l) => l.venueKind === 'dydx');
      const dydxAdls = gt.adlEvents.filter((a) => a.venueKind === 'dydx');
      expect(dydxLiqs.length).toBeGreaterThan(50);
      expect(dydxAdls.length).toBeGreaterThan(0);
      const dydxLiqRows = await db.selectFrom('liquidations').selectAll().where('venue', '=', 'dydx-v4').execute();
      expect(sorted(dydxLiqRows.map((r) => [r.account, r.asset, r.side, norm(r.size), norm(r.price), r.time.getTime()].join('|')))).toEqual(
        sorted(dydxLiqs.map((l) => [`${l.account}/0`, l.market, l.side, norm(l.size), norm(l.price), l.timeMs].join('|'))),
      );
      const dydxAdlRows = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'dydx-v4').execute();
      expect(sorted(dydxAdlRows.map((r) => [r.account, r.asset, r.side, norm(r.size), norm(r.price), r.time.getTime(), r.counterparty].join('|')))).toEqual(
        sorted(dydxAdls.map((a) => [`${a.account}/0`, a.market, a.side, norm(a.size), norm(a.price), a.timeMs, `${a.liquidatedAccount}/0`].join('|'))),
      );

      // Reference series through the local APIs, per market, as many as the simulator wrote: Hyperliquid's
      // candles and metaAndAssetCtxs samples (oracle and mark, every simulated market, so SOL, DOGE and
      // LINK have a reference too), dYdX's 1MIN candles and funding ticks (oracle prices).
      const series = gt.referenceSeries!;
      const perMarket = async (table: 'oracle_prices' | 'trade_bars', venue: string, interval?: string) => {
        const inInterval = interval === undefined ? sql`` : sql` and interval = ${interval}`;
        const { rows } = await sql<{ asset: string; n: string }>`select asset, count(*)::text as n from ${sql.table(table)} where venue = ${venue}${inInterval} group by asset`.execute(db);
        return Object.fromEntries(rows.map((r) => [r.asset, Number(r.n)]));
      };
      const everyMarket = (n: number) => Object.fromEntries(gt.markets.map((m) => [m.symbol, n]));
      expect(gt.markets.map((m) => m.symbol)).toEqual(expect.arrayContaining(['SOL', 'DOGE', 'LINK']));
      expect(await perMarket('oracle_prices', 'hyperliquid')).toEqual(everyMarket(series.hyperliquid!.ctxSamples));
      expect(await perMarket('oracle_prices', 'hyperliquid-mark')).toEqual(everyMarket(series.hyperliquid!.ctxSamples));
      expect(await perMarket('trade_bars', 'hyperliquid', '1m')).toEqual(series.hyperliquid!.candles);
      const byAsset = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([ticker, n]) => [ticker.replace(/-USD$/, ''), n]));
      expect(await perMarket('trade_bars', 'dydx-v4', '1m')).toEqual(byAsset(series.dydx!.candles));
      expect(await perMarket('oracle_prices', 'dydx-v4')).toEqual(byAsset(series.dydx!.fundingTicks));

      // The printed table says the same: each line's database count and ground truth, from the file.
      const printed = (label: string) => new RegExp(`^\\s+${label.replace(/[()]/g, '\\$&')}\\s+(\\d+) / (\\d+)$`, 'm').exec(run.stdout)?.slice(1).map(Number);
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      expect(printed('liquidations (dydx-v4)')).toEqual([dydxLiqs.length, dydxLiqs.length]);
      expect(printed('adl_events (dydx-v4)')).toEqual([dydxAdls.length, dydxAdls.length]);
      expect(printed('liquidations (hyperliquid)')).toEqual([hlLiqs.length, hlLiqs.length]);
      expect(printed('adl_events (hyperliquid)')).toEqual([hlAdls.length, hlAdls.length]);
      expect(printed('liquidations (gmx-v2)')).toEqual([gmxLiqs.length, gmxLiqs.length]);
      expect(printed('adl_events (gmx-v2)')).toEqual([gmxAdls.length, gmxAdls.length]);
      const samples = series.hyperliquid!.ctxSamples * gt.markets.length;
      expect(printed('oracle_prices (hyperliquid)')).toEqual([samples, samples]);
      expect(printed('trade_bars 1m (dydx-v4)')).toEqual([total(series.dydx!.candles), total(series.dydx!.candles)]);
      expect(run.stdout).not.toContain('MISMATCH');

      // It analysed what it indexed and wrote the main cascade's report where it says it did.
      const { rows: runs } = await sql<{ finished_at: Date | null }>`select finished_at from analysis_runs`.execute(db);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.finished_at).not.toBeNull();
      const { rows: cascades } = await sql<{ n: number }>`select count(*)::integer as n from cascades`.execute(db);
      expect(cascades[0]!.n).toBeGreaterThan(0);
      const reportPath = /^\s+report\s+(\S+\.html)$/m.exec(run.stdout)?.[1];
      expect(reportPath, run.stdout).toBeDefined();
      const html = readFileSync(reportPath!, 'utf8');
      expect(html).toMatch(/<svg/);
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
      expect(readFileSync(join(dirname(reportPath!), 'report.md'), 'utf8')).toMatch(/cascade/i);

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
