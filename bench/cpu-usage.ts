import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds spent during a measurement, by this Node process and by the Postgres server when it runs
 * on this machine. A wall-time target on a 2-core machine is a CPU budget: 30 s of wall time holds at
 * most 60 s of CPU across Node and Postgres together, so the two figures say whether a target can be
 * met by overlapping work or only by doing less of it.
 *
 * Postgres is measured from /proc (Linux): every process named `postgres`, sampled every 200 ms, each
 * counted from its first sample (a backend that starts during the measurement from zero), so backends
 * that exit before the end (the run's snapshot reader) still count up to their last sample. That
 * includes the server's own background processes (checkpointer, autovacuum): they are part of the cost.
 */
export interface CpuUsage {
  nodeSeconds: number;
  /** null when the server is not on this machine or /proc cannot be read. */
  postgresSeconds: number | null;
}

/** Linux reports process times in clock ticks of USER_HZ, 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 200;

export class CpuMeter {
  private readonly nodeStart = process.cpuUsage();
  /** Per Postgres pid: ticks at its first sample (0 when it started after the meter) and at its last. */
  private readonly ticks = new Map<number, { first: number; last: number }>();
  private readonly timer: NodeJS.Timeout | null;

  /** Starts measuring. `postgresUrl` decides whether the server is local (a host of this machine or a socket). */
  constructor(postgresUrl: string | undefined) {
    const start = postgresUrl !== undefined && isLocalServer(postgresUrl) ? readPostgresTicks() : null;
    if (!start) {
      this.timer = null;
      return;
    }
    for (const [pid, t] of start) this.ticks.set(pid, { first: t, last: t });
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Stops measuring and returns what was spent since the meter started. */
  stop(): CpuUsage {
    const node = process.cpuUsage(this.nodeStart);
    const nodeSeconds = (node.user + node.system) / 1e6;
    if (!this.timer) return { nodeSeconds, postgresSeconds: null };
    clearInterval(this.timer);
    this.sample();
    let spent = 0;
    for (const { first, last } of this.ticks.values()) spent += last - first;
    return { nodeSeconds, postgresSeconds: spent / TICKS_PER_SECOND };
  }

  private sample(): void {
    const now = readPostgresTicks();
    if (!now) return;
    for (const [pid, t] of now) {
      const seen = this.ticks.get(pid);
      if (seen) seen.last = Math.max(seen.last, t);
      else this.ticks.set(pid, { first: 0, last: t });
    }
  }
}

function isLocalServer(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  // an empty host is a Unix socket (postgres:///db?host=/var/run/postgresql)
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

/** utime + stime of every `postgres` process, or null where /proc is not readable. */
function readPostgresTicks(): Map<number, number> | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // the name is in parentheses and may hold spaces: the fields after it are fixed
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      // fields from the state on: utime and stime are the 14th and 15th of the whole line
      ticks.set(Number(pid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process exited between the listing and the read
    }
  }
  return ticks;
}
