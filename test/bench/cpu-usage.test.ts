import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CpuMeter } from '../../bench/cpu-usage.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';

/** A server on this machine whose processes /proc shows (Linux, the CI machine's Postgres). */
const localServer = TEST_DATABASE_URL && /@(127\.0\.0\.1|localhost)[:/]/.test(TEST_DATABASE_URL) && existsSync('/proc/self/stat') ? TEST_DATABASE_URL : undefined;

describe('CpuMeter', () => {
  it('counts this process’s CPU: at least the user time a busy loop reports for itself', () => {
    const meter = new CpuMeter(undefined);
    const before = process.cpuUsage();
    const until = performance.now() + 300;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const loop = process.cpuUsage(before);
    const usage = meter.stop();
    expect(x).toBeGreaterThan(0);
    expect(usage.nodeSeconds).toBeGreaterThanOrEqual(loop.user / 1e6);
    expect(usage.postgresSeconds).toBeNull();
  });

  it('does not claim to measure a server on another machine', () => {
    expect(new CpuMeter('postgres://analyst@db.example.com:5432/liqscope').stop().postgresSeconds).toBeNull();
  });

  it.skipIf(!localServer)('counts a backend that starts and exits during the measurement, at least half the time the server reports for its CPU-bound query', async () => {
    const meter = new CpuMeter(localServer);
    const client = new pg.Client({ connectionString: localServer });
    await client.connect();
    // CPU-bound on the server, and nothing else: its execution time is CPU time
    const { rows } = await client.query<{ 'QUERY PLAN': string }>('explain (analyze, format text) select count(*) from generate_series(1, 3000000) a cross join generate_series(1, 2) b');
    await client.end();
    // the backend has exited: what it spent is known from the samples taken while it ran
    await new Promise((resolve) => setTimeout(resolve, 50));
    const usage = meter.stop();
    const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(rows.map((r) => r['QUERY PLAN']).join('\n'))![1]);
    expect(executionMs).toBeGreaterThan(200);
    expect(usage.postgresSeconds).not.toBeNull();
    expect(usage.postgresSeconds!).toBeGreaterThanOrEqual((0.5 * executionMs) / 1000);
  });
});
