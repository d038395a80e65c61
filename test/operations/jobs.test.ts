import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema } from '../../src/config/schema.ts';
import { openDatabase, type LiqscopeDb } from '../../src/db/connect.ts';
import type { Database } from '../../src/db/schema.ts';
import { analysisWindows, quietGapMs, WINDOW_PIECE_MS } from '../../src/ops/analysis-windows.ts';
import { opsDb } from '../../src/ops/job-runs-table.ts';
import { MAX_PERIODS_PER_RUN, periodLabel, reportPeriods } from '../../src/ops/report-periods.ts';
import { startRunService } from '../../src/ops/run-service.ts';
import { TickSchedule } from '../../src/ops/tick-schedule.ts';
import { forEachDatabase, TEST_DATABASE_URL } from '../helpers/db.ts';

/**
 * The analyze and report jobs of `liqscope run`, one tick at a time on a tiny store whose rows are
 * written here, so every expected window and count is known by hand.
 */
const EVERY_SECOND = '* * * * * *';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const work = mkdtempSync(join(tmpdir(), 'liqscope-jobs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('report periods', () => {
  const daily = new TickSchedule('0 0 * * *');
  it('one period per tick since the last successful run, each from the tick before it', () => {
    // First run, at the tick of Oct 11: yesterday.
    const first = reportPeriods(daily, null, new Date('2025-10-11T00:00:00Z'), new Date('2025-10-11T00:00:00Z'));
    expect(first.periods.map((p) => [p.label, p.from.toISOString(), p.to.toISOString()])).toEqual([['2025-10-10', '2025-10-10T00:00:00.000Z', '2025-10-11T00:00:00.000Z']]);
    // The last success covered Oct 8; the run of Oct 10 failed; this run covers Oct 11: the 8th, 9th and 10th.
    const after = reportPeriods(daily, new Date('2025-10-08T00:00:00Z'), new Date('2025-10-11T00:00:00Z'), new Date('2025-10-11T00:00:00Z'));
    expect(after.periods.map((p) => p.label)).toEqual(['2025-10-08', '2025-10-09', '2025-10-10']);
    expect(after.skipped).toBe(0);
  });

  it('labels days in the schedule\'s time zone (a 25-hour day included) and other periods by their UTC bounds', () => {
    const paris = new TickSchedule('0 0 * * *', 'Europe/Paris');
    // Paris left summer time on 26 October 2025: that day lasted 25 hours (22:00 UTC on the 25th to 23:00 UTC on the 26th).
    const dst = reportPeriods(paris, null, new Date('2025-10-26T23:00:00Z'), new Date('2025-10-26T23:00:00Z')).periods[0]!;
    expect([dst.label, dst.from.toISOString(), dst.to.toISOString()]).toEqual(['2025-10-26', '2025-10-25T22:00:00.000Z', '2025-10-26T23:00:00.000Z']);
    expect(periodLabel(new Date('2025-10-10T00:00:00Z'), new Date('2025-10-10T06:00:00Z'), 'UTC')).toBe('20251010T0000Z-20251010T0600Z');
    expect(periodLabel(new Date('2025-10-10T00:00:00Z'), new Date('2025-10-12T00:00:00Z'), 'UTC')).toBe('20251010T0000Z-20251012T0000Z');
  });

  it(`writes at most the latest ${MAX_PERIODS_PER_RUN} periods of one run and counts the others`, () => {
    const everyMinute = new TickSchedule('* * * * *');
    // Two days of minutes since the last success: 2,880 periods.
    const { periods, skipped } = reportPeriods(everyMinute, new Date('2025-10-09T00:00:00Z'), new Date('2025-10-09T00:01:00Z'), new Date('2025-10-11T00:00:00Z'));
    expect(periods.length).toBe(MAX_PERIODS_PER_RUN);
    expect(skipped).toBe(2880 - MAX_PERIODS_PER_RUN);
    expect(periods[periods.length - 1]!.to.toISOString()).toBe('2025-10-11T00:00:00.000Z');
  });
});

/** A BTC liquidation on Hyperliquid at `time` (ms offsets from the base below), notional $20k. */
const BASE = Date.parse('2025-10-10T21:15:00Z');
async function liquidation(db: Kysely<Database>, uid: string, at: number): Promise<void> {
  await sql`insert into liquidations (venue, market, asset, quote, account, side, size, size_usd, price, time, uid, source_id)
    values ('hyperliquid', 'BTC', 'BTC', 'USD', ${`0x${uid.padStart(40, '0')}`}, 'long', 0.2, 20000, 100000, ${new Date(BASE + at)}, ${uid}, 'test')`.execute(db);
}

forEachDatabase((dbName, open) => {
  describe(`analyze and report jobs on ${dbName}`, () => {
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.close();
    });

    /** Runs one job through a run service until its next run has ended; returns that run's row. */
    async function oneRun(job: string, settings: Record<string, unknown> = {}, during?: () => Promise<void>) {
      const log = opsDb(handle.db);
      const before = await log.selectFrom('job_runs').select('id').where('job', '=', job).execute();
      const config = configSchema.parse({ ...settings, schedule: { analyze: EVERY_SECOND, report: EVERY_SECOND, ...(settings.schedule as object) }, metrics: { port: 0 } });
      const service = await startRunService({ db: handle.db, dbKind: handle.kind, config, protocols: PROTOCOLS, worker: 'test', only: [job], processMetrics: false });
      try {
        await during?.();
        const deadline = Date.now() + 60_000;
        for (;;) {
          const row = await log.selectFrom('job_runs').selectAll().where('job', '=', job).where('outcome', 'is not', null).where('id', 'not in', before.length > 0 ? before.map((r) => r.id) : ['0']).executeTakeFirst();
          if (row) return { ...row, figures: row.figures as Record<string, any> };
          if (Date.now() > deadline) throw new Error(`no run of ${job} ended`);
          await sleep(100);
        }
      } finally {
        await service.stop();
      }
    }
    const analysisRuns = async () =>
      (await sql<{ range_from: Date; range_to: Date }>`select range_from, range_to from analysis_runs order by id`.execute(handle.db)).rows.map((r) => [new Date(r.range_from).getTime() - BASE, new Date(r.range_to).getTime() - BASE]);

    it('analyze: takes the rows stored since its last success, in windows widened to whole clusters', async () => {
      // Cluster A at +0, +2 s, +4 s, a lone row 30 s before it, and B alone 3 hours later. Quiet gap
      // by default: the largest gap swept, 10 s.
      await liquidation(handle.db, 'z0', -30_000);
      await liquidation(handle.db, 'a1', 0);
      await liquidation(handle.db, 'a2', 2_000);
      await liquidation(handle.db, 'a3', 4_000);
      await liquidation(handle.db, 'b1', 3 * 3_600_000);
      const first = await oneRun('analyze');
      expect(first.outcome, first.error ?? '').toBe('ok');
      expect(first.figures.newRows).toBe(5);
      // Rows in one hour (or adjacent hours) form one span; hours apart, two windows. `to` is just after
      // the last event.
      expect(await analysisRuns()).toEqual([
        [-30_000, 4_001],
        [3 * 3_600_000, 3 * 3_600_000 + 1],
      ]);
      expect(first.figures.windows.map((w: { runId: string }) => w.runId)).toHaveLength(2);
      const maxId = async (table: string) => String((await sql<{ id: string }>`select max(id)::text as id from ${sql.table(table)}`.execute(handle.db)).rows[0]!.id ?? '0');
      expect(first.figures.marks.liquidations).toBe(await maxId('liquidations'));

      // Nothing new: no analysis.
      const idle = await oneRun('analyze');
      expect([idle.outcome, idle.figures.newRows]).toEqual(['ok', 0]);
      expect((await analysisRuns()).length).toBe(2);

      // One new liquidation 4 s after A's last joins cascade A (default cascade gap 5 s): its window reaches
      // back through A to the 30 s pause before it, so A is analysed whole with it.
      await liquidation(handle.db, 'a4', 8_000);
      const second = await oneRun('analyze');
      expect(second.figures.newRows).toBe(1);
      expect((await analysisRuns()).slice(2)).toEqual([[0, 8_001]]);
      // A now has four liquidations (a window of the new row alone would leave A at three and a4 apart).
      const cascades = await sql<{ liquidations: number; start_time: Date }>`select liquidations, start_time from cascades order by start_time`.execute(handle.db);
      expect(cascades.rows.map((c) => [new Date(c.start_time).getTime() - BASE, c.liquidations])).toEqual([[0, 4]]);
    });

    it('analyze: a row whose transaction commits after a later one is neither lost nor taken twice', async ({ skip }) => {
      if (dbName !== 'postgres') skip('one connection on the embedded store: no transaction is ever in flight beside another');
      // T1 draws an id first and commits last; T2 draws a later id and commits at once.
      const other = await openDatabase({ url: TEST_DATABASE_URL!, schema: (handle as LiqscopeDb & { schema: string }).schema, poolSize: 2 });
      try {
        let commitT1!: () => void;
        const t1Done = other.db.transaction().execute(async (trx) => {
          await liquidation(trx, 'late', 7 * 3_600_000);
          await new Promise<void>((resolve) => (commitT1 = resolve));
        });
        await sleep(100);
        await liquidation(handle.db, 'early', 10 * 3_600_000);
        const run = await oneRun('analyze', {}, async () => {
          // The run starts within a second; T1 commits 1.5 s from now, while the run waits to read its marks.
          await sleep(1500);
          commitT1();
          await t1Done;
        });
        expect(run.outcome, run.error ?? '').toBe('ok');
        expect(run.figures.newRows).toBe(2);
        const windows = run.figures.windows.map((w: { from: string; to: string }) => [Date.parse(w.from) - BASE, Date.parse(w.to) - BASE]);
        expect(windows).toEqual([
          [7 * 3_600_000, 7 * 3_600_000 + 1],
          [10 * 3_600_000, 10 * 3_600_000 + 1],
        ]);
        const next = await oneRun('analyze');
        expect(next.figures.newRows).toBe(0);
      } finally {
        await other.close();
      }
    });

    it('analysis windows: a long window is cut into pieces of about a day, each cut at a pause no cluster crosses', async () => {
      // 2024: a liquidation every 10 minutes for 50 hours, and a burst every 2 s from 23:59 to 24:01 after the first.
      const t0 = Date.parse('2024-03-01T00:00:00Z');
      const times = [...Array.from({ length: 300 }, (_, k) => t0 + k * 600_000), ...Array.from({ length: 61 }, (_, j) => t0 + 23 * 3_600_000 + 59 * 60_000 + j * 2_000)];
      await sql`insert into liquidations (venue, market, asset, quote, account, side, size_usd, time, uid, source_id)
        select 'hyperliquid', 'SOL', 'SOL', 'USD', '0xabc', 'long', 1000, to_timestamp(t / 1000.0), 'w' || n, 'test'
          from unnest(${times}::bigint[]) with ordinality as u(t, n)`.execute(handle.db);
      const quiet = quietGapMs(configSchema.parse({}).analytics);
      const windows = await analysisWindows(handle.db, [{ first: new Date(t0), last: new Date(t0 + 299 * 600_000), rows: times.length }], quiet);
      const h = 3_600_000;
      expect(windows.map((w) => [w.from.getTime() - t0, w.to.getTime() - t0])).toEqual([
        // The day's cut falls inside the burst: it moves to the burst's end (24:01), the next event being 9 minutes later.
        [0, 24 * h + 60_000 + 1],
        // A day later, the last event before 48:01 is the one at 48:00, alone.
        [24 * h + 60_000 + 1, 48 * h + 1],
        [48 * h + 1, 49 * h + 50 * 60_000 + 1],
      ]);
      expect(WINDOW_PIECE_MS).toBe(24 * h);
    });

    it('report: writes the period the tick ends, waiting for the index jobs that have not run past it (bounded)', async () => {
      // Liquidations every 100 ms from 2 s ago to 10 s ahead: whichever second-long period the run reports holds ten.
      const start = Math.floor(Date.now() / 1000) * 1000 - 2000;
      for (let i = 0; i < 120; i++) {
        await sql`insert into liquidations (venue, market, asset, quote, account, side, size, size_usd, price, time, uid, source_id)
          values ('hyperliquid', 'ETH', 'ETH', 'USD', ${`0x${String(i).padStart(40, '0')}`}, 'short', 1, 4000, 4000, ${new Date(start + i * 100)}, ${`r${i}`}, 'test')`.execute(handle.db);
      }
      // index:ready ran past any period of this test; index:late never did.
      await opsDb(handle.db)
        .insertInto('job_runs')
        .values({ job: 'index:ready', tick: new Date('2100-01-01T00:00:00Z'), first_tick: new Date('2100-01-01T00:00:00Z'), ticks: 1, worker: 'elsewhere', outcome: 'ok', finished_at: new Date() })
        .execute();
      const dir = join(work, `reports-${dbName}`);
      const sources = ['ready', 'late'].map((name) => ({ name, kind: 'files', protocol: 'hyperliquid', paths: [join(work, name)] }));
      const run = await oneRun('report', { sources, schedule: { reportDir: dir, reportFormats: ['json', 'md'], reportWaitSeconds: 1 } });
      expect(run.outcome, run.error ?? '').toBe('ok');
      expect(run.figures.notWaitedFor).toEqual(['index:late']);
      expect(new Date(run.finished_at!).getTime() - new Date(run.started_at).getTime()).toBeGreaterThanOrEqual(1000);
      const [written] = run.figures.reports as { period: string; from: string; to: string; dir: string; files: string[] }[];
      expect(Date.parse(written!.to) - Date.parse(written!.from)).toBe(1000);
      expect(written!.to).toBe(new Date(run.tick).toISOString());
      expect(written!.period).toBe(`${written!.from.slice(0, 16).replace(/[-:]/g, '')}Z-${written!.to.slice(0, 16).replace(/[-:]/g, '')}Z`);
      expect(written!.dir).toBe(join(dir, written!.period));
      expect(written!.files.sort()).toEqual(['json', 'md']);
      // The report holds the liquidations inserted in its period, counted here.
      const expected = Array.from({ length: 120 }, (_, i) => start + i * 100).filter((t) => t >= Date.parse(written!.from) && t < Date.parse(written!.to)).length;
      expect(expected).toBe(10);
      const report = JSON.parse(readFileSync(join(written!.dir, 'report.json'), 'utf8')) as { sections: { figures: { id: string; rows: Record<string, string>[] }[] }[] };
      const byVenue = report.sections.flatMap((s) => s.figures).find((f) => f.id === 'liquidations.by-venue');
      expect(byVenue?.rows.map((r) => [r.venue, Number(r.liquidations), Number(r.short_usd)])).toEqual([['hyperliquid', expected, expected * 4000]]);
    });
  });
});
