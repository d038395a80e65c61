import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { JobKind, JobRunContext } from '../../src/ops/job-kind.ts';
import { opsDb } from '../../src/ops/job-runs-table.ts';
import { scheduledJobs } from '../../src/ops/jobs.ts';
import { OpsMetrics } from '../../src/ops/metrics.ts';
import { Scheduler } from '../../src/ops/scheduler.ts';
import { TickSchedule } from '../../src/ops/tick-schedule.ts';
import { clearSecrets, registerUrlSecrets } from '../../src/secrets.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { coverageProblems, type RunRow } from './support.ts';

const EVERY_SECOND = '* * * * * *';

describe('tick schedule', () => {
  it('counts the ticks of an expression between two times as cron defines them', () => {
    const everyTwo = new TickSchedule('*/2 * * * * *');
    // Seconds 2, 4, 6 and 8 of the minute lie in (00:00:01, 00:00:09].
    const due = everyTwo.due(new Date('2025-10-10T00:00:01Z'), new Date('2025-10-10T00:00:09Z'))!;
    expect([due.first.toISOString(), due.last.toISOString(), due.count]).toEqual(['2025-10-10T00:00:02.000Z', '2025-10-10T00:00:08.000Z', 4]);
    // A tick exactly at `after` is not due again; one exactly at `until` is.
    expect(everyTwo.due(new Date('2025-10-10T00:00:02Z'), new Date('2025-10-10T00:00:03Z'))).toBeNull();
    expect(everyTwo.due(new Date('2025-10-10T00:00:03Z'), new Date('2025-10-10T00:00:04Z'))!.count).toBe(1);
    // Daily at midnight UTC: Oct 9, 10 and 11 lie in (Oct 8 12:00, Oct 11 00:00].
    const daily = new TickSchedule('0 0 * * *').due(new Date('2025-10-08T12:00:00Z'), new Date('2025-10-11T00:00:00Z'))!;
    expect([daily.first.toISOString(), daily.last.toISOString(), daily.count]).toEqual(['2025-10-09T00:00:00.000Z', '2025-10-11T00:00:00.000Z', 3]);
    // Midnight in Paris in October (summer time, UTC+2) is 22:00 UTC the day before.
    expect(new TickSchedule('0 0 * * *', 'Europe/Paris').next(new Date('2025-10-10T12:00:00Z'))!.toISOString()).toBe('2025-10-10T22:00:00.000Z');
  });

  it('reads schedule.jobs overrides, turns jobs off with false, and refuses an override naming no job', () => {
    const config = configSchema.parse({
      sources: [
        { name: 'a', kind: 'files', protocol: 'hyperliquid', paths: ['/x'] },
        { name: 'b', kind: 'files', protocol: 'hyperliquid', paths: ['/y'] },
      ],
      schedule: { index: '*/5 * * * *', jobs: { 'index:b': false } },
    });
    // analyze by its default expression; no report job without schedule.reportDir.
    expect(scheduledJobs(config).map((j) => [j.name, j.schedule.expression])).toEqual([
      ['index:a', '*/5 * * * *'],
      ['analyze', '*/5 * * * *'],
    ]);
    const reporting = configSchema.parse({ ...config, schedule: { ...config.schedule, reportDir: 'reports', jobs: { 'index:b': false, analyze: false } } });
    expect(scheduledJobs(reporting).map((j) => [j.name, j.schedule.expression])).toEqual([
      ['index:a', '*/5 * * * *'],
      ['report', '0 0 * * *'],
    ]);
    const wrong = configSchema.parse({ ...config, schedule: { jobs: { 'index:c': '* * * * *' } } });
    expect(() => scheduledJobs(wrong, { origin: 'liqscope.config.json' })).toThrow('liqscope.config.json: schedule.jobs.index:c: no such job (jobs: index:a, index:b, analyze)');
    expect(() => configSchema.parse({ schedule: { index: 'every minute' } })).toThrow(/schedule\.index|not a cron expression/);
  });
});

interface Call {
  worker: string;
  first: Date;
  tick: Date;
  ticks: number;
  since: Date | null;
  start: number;
  end: number;
}

/** A job kind `probe` that records its runs; each run lasts `runMs(call number)` unless aborted. */
function probeKind(options: { name: string; runMs: (n: number) => number; fail?: (n: number) => Error | null; worker: () => string }): { kind: JobKind; calls: Call[] } {
  const calls: Call[] = [];
  const kind: JobKind = {
    kind: options.name,
    jobs: () => [{ name: options.name }],
    defaultExpression: () => EVERY_SECOND,
    async run(_job, context: JobRunContext) {
      const n = calls.length;
      const call: Call = { worker: options.worker(), first: context.firstTick, tick: context.tick, ticks: context.ticks, since: context.since, start: Date.now(), end: 0 };
      calls.push(call);
      await abortableSleep(options.runMs(n), context.signal);
      call.end = Date.now();
      const failure = options.fail?.(n);
      if (failure) throw failure;
      return { outcome: context.signal.aborted ? 'interrupted' : 'ok', figures: { n }, summary: `call ${n}` };
    },
  };
  return { kind, calls };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function schedulerFor(handle: LiqscopeDb, kind: JobKind, worker: string): Scheduler {
  const config = configSchema.parse({});
  return new Scheduler({
    db: handle.db,
    dbKind: handle.kind,
    config,
    protocols: [],
    jobs: scheduledJobs(config, { kinds: [kind] }),
    metrics: new OpsMetrics({ processMetrics: false }),
    worker,
  });
}

async function runRows(handle: LiqscopeDb, job: string): Promise<(RunRow & { error: string | null; figures: unknown })[]> {
  const rows = await opsDb(handle.db).selectFrom('job_runs').selectAll().where('job', '=', job).orderBy('tick').execute();
  return rows.map((r) => ({ job: r.job, first_tick: new Date(r.first_tick), tick: new Date(r.tick), ticks: r.ticks, outcome: r.outcome, worker: r.worker, error: r.error, figures: r.figures }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

forEachDatabase((dbName, open) => {
  describe(`scheduler on ${dbName}`, () => {
    // One database for the file (each test its own job): opening and migrating one costs seconds.
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('two workers: every tick run exactly once, never two runs at once, ticks due during a long run coalesced into the holder\'s next run', async () => {
      {
        // The first run lasts 2.6 s: the ticks that come due meanwhile find the job locked (the other
        // worker) or busy (this one), and must be covered by the next run, not lost and not run twice.
        let current = 'a';
        const { kind, calls } = probeKind({ name: 'two-workers', runMs: (n) => (n === 0 ? 2600 : 150), worker: () => current });
        const a = schedulerFor(handle, kind, 'a');
        const b = schedulerFor(handle, kind, 'b');
        // Which worker is running is read from the job log below; `current` only names the caller for calls.
        await Promise.all([a.start(), b.start()]);
        await sleep(6500);
        await Promise.all([a.stop(), b.stop()]);
        current = '';
        const rows = await runRows(handle, 'two-workers');
        expect(rows.length).toBe(calls.length);
        expect(coverageProblems(EVERY_SECOND, rows)).toEqual([]);
        expect(rows.every((r) => r.outcome === 'ok' || (r === rows[rows.length - 1] && r.outcome === 'interrupted'))).toBe(true);
        // The run after the long one covers the ticks that came due during it (2 or 3 of them).
        expect(rows[0]!.ticks).toBe(1);
        expect(rows[1]!.ticks).toBeGreaterThanOrEqual(2);
        // Runs never overlap in time.
        const byStart = [...calls].sort((x, y) => x.start - y.start);
        for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.start).toBeGreaterThanOrEqual(byStart[i - 1]!.end);
        // A run's window starts where the last successful run ended.
        expect(calls[1]!.since?.getTime()).toBe(rows[0]!.tick.getTime());
        expect(rows.length).toBeGreaterThanOrEqual(4);
      }
    });

    it('a run left open by a dead worker is marked abandoned, and the next run covers every tick since', async () => {
      {
        const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 10_000);
        await opsDb(handle.db).insertInto('job_runs').values({ job: 'after-dead', tick: now, first_tick: now, ticks: 1, worker: 'dead:1', started_at: now }).execute();
        const { kind } = probeKind({ name: 'after-dead', runMs: () => 50, worker: () => 'a' });
        const a = schedulerFor(handle, kind, 'a');
        await a.start();
        await sleep(2300);
        await a.stop();
        const rows = await runRows(handle, 'after-dead');
        expect(rows[0]).toMatchObject({ worker: 'dead:1', outcome: 'abandoned' });
        expect(rows[0]!.error).toContain('worker dead:1 stopped during the run');
        // The first run after it covers the ~10 ticks from the abandoned one on, in one run.
        expect(rows[1]!.ticks).toBeGreaterThanOrEqual(10);
        expect(coverageProblems(EVERY_SECOND, rows)).toEqual([]);
      }
    });

    it('a failing run is recorded as failed, its error without the key, and the next tick runs again', async () => {
      const key = 'SECRETKEY0fail42';
      registerUrlSecrets(`https://rpc.example.com/v2/${key}`);
      try {
        const { kind } = probeKind({ name: 'failing', runMs: () => 20, worker: () => 'a', fail: (n) => (n === 0 ? new Error(`eth_getLogs on https://rpc.example.com/v2/${key} failed: rpc.example.com/v2/${key} answered 500`) : null) });
        const a = schedulerFor(handle, kind, 'a');
        await a.start();
        await sleep(2300);
        await a.stop();
        const rows = await runRows(handle, 'failing');
        expect(rows[0]!.outcome).toBe('failed');
        expect(rows[0]!.error).toContain('answered 500');
        expect(JSON.stringify(rows)).not.toContain(key);
        expect(rows[1]!.outcome).toBe('ok');
        expect(coverageProblems(EVERY_SECOND, rows)).toEqual([]);
      } finally {
        clearSecrets();
      }
    });

    it('stop() interrupts a running job at once; its row says interrupted', async () => {
      {
        const { kind, calls } = probeKind({ name: 'long', runMs: () => 60_000, worker: () => 'a' });
        const a = schedulerFor(handle, kind, 'a');
        await a.start();
        while (calls.length === 0) await sleep(50);
        expect(a.running()).toEqual(['long']);
        const asked = Date.now();
        await a.stop();
        expect(Date.now() - asked).toBeLessThan(5000); // the job would run 60 s
        const rows = await runRows(handle, 'long');
        expect(rows.map((r) => r.outcome)).toEqual(['interrupted']);
      }
    });
  });
});
