import { spawn, type ChildProcess } from 'node:child_process';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { TickSchedule } from '../../src/ops/tick-schedule.ts';
import { CLI, REPO_ROOT } from '../helpers/cli.ts';

/** A spawned `liqscope …` process whose output the test reads as it comes. */
export interface Spawned {
  child: ChildProcess;
  /** Every stderr line so far (JSON log lines and the final `liqscope:` line). */
  lines: string[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr line (already seen or to come) that `match` accepts. */
  waitForLine(match: (line: string, json: Record<string, unknown> | null) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exits, with when (Date.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function spawnLiqscope(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Spawned {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.VITEST; // the child is a normal CLI process, not a test worker
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let out = '';
  let err = '';
  let partial = '';
  const waiters: { match: (line: string, json: Record<string, unknown> | null) => boolean; resolve: (line: string) => void }[] = [];
  const parse = (line: string): Record<string, unknown> | null => {
    try {
      const value = JSON.parse(line) as unknown;
      return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    err += text;
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const json = parse(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line, json)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(match, timeoutMs = 60_000) {
      const seen = lines.find((line) => match(line, parse(line)));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no such line within ${timeoutMs} ms; last lines:\n${lines.slice(-8).join('\n')}`));
        }, timeoutMs);
        waiters.push(waiter);
        void exited.then(() => {
          if (!waiters.includes(waiter)) return;
          waiters.splice(waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(new Error(`the process exited before such a line; last lines:\n${lines.slice(-8).join('\n')}`));
        });
      });
    },
  };
}

/** The port a `liqscope run` worker serves its metrics on, from its start line. */
export async function metricsAddress(worker: Spawned, timeoutMs = 60_000): Promise<string> {
  const line = await worker.waitForLine((_line, json) => typeof json?.metrics === 'string', timeoutMs);
  const url = (JSON.parse(line) as { metrics: string }).metrics;
  return url.replace(/\/metrics$/, '');
}

/** Scrapes and parses /metrics. */
export async function scrape(base: string): Promise<{ text: string; families: PrometheusFamily[] }> {
  const response = await fetch(`${base}/metrics`);
  const text = await response.text();
  return { text, families: parsePrometheusTextFormat(text) };
}

/** The value of one series (0 when absent), by name and labels (a subset match). */
export function sample(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  let total = 0;
  for (const metric of family?.metrics ?? []) {
    if (Object.entries(labels).every(([k, v]) => metric.labels?.[k] === v)) total += Number(metric.value);
  }
  return total;
}

/** A job log row as the coverage check reads it. */
export interface RunRow {
  job: string;
  first_tick: Date;
  tick: Date;
  ticks: number;
  outcome: string | null;
  worker: string;
}

/**
 * Checks that a job's runs cover its schedule's ticks exactly once from its first run on: each run's
 * `ticks` is the number of scheduled ticks from its first_tick to its tick (croner, computed here), and
 * each run starts at the tick right after the previous run's last (no gap, no overlap). Returns the
 * problems found (none: exact).
 */
export function coverageProblems(expression: string, rows: readonly RunRow[]): string[] {
  const schedule = new TickSchedule(expression, 'UTC');
  const problems: string[] = [];
  const sorted = [...rows].sort((a, b) => a.tick.getTime() - b.tick.getTime());
  sorted.forEach((row, i) => {
    const counted = schedule.due(new Date(row.first_tick.getTime() - 1), row.tick);
    if (!counted || counted.first.getTime() !== row.first_tick.getTime() || counted.count !== row.ticks) {
      problems.push(`${row.job} run ${row.first_tick.toISOString()}–${row.tick.toISOString()} says ${row.ticks} ticks, the schedule has ${counted?.count ?? 0}`);
    }
    const previous = sorted[i - 1];
    if (previous) {
      const expected = schedule.next(previous.tick)!;
      if (expected.getTime() !== row.first_tick.getTime()) {
        problems.push(`${row.job}: after the run ending ${previous.tick.toISOString()} the next run starts at ${row.first_tick.toISOString()}, not at the next tick ${expected.toISOString()}`);
      }
    }
  });
  return problems;
}
