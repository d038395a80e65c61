import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { PROTOCOLS } from '../src/cli/protocols.ts';
import { configSchema } from '../src/config/schema.ts';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { indexConfig } from '../src/indexer/index-config.ts';
import { runHlFillsBench, type HlFillsBenchResult } from './hl-fills-bench.ts';

export interface HlImportBenchResult extends Omit<HlFillsBenchResult, 'hlFilesDir'> {
  /** Fills per second of the whole import into Postgres (files source, decoder, runner, store). */
  hl_import_fills_per_s: number | null;
  hl_import_seconds: number | null;
  /** Node's CPU over the import (all threads); the rest of the wall time is waiting on Postgres. */
  hl_import_cpu_seconds?: number | null;
  /**
   * Of which the main thread's (Linux: /proc/self/task): what is left there once the files worker reads,
   * parses and decodes. The rest is the worker's (and V8's helper threads').
   */
  hl_import_main_thread_cpu_seconds?: number | null;
  hl_import_peak_rss_mb: number | null;
  /** The import's rate as a share of the parse limit (read + decompress + JSON.parse only). */
  hl_import_share_of_parse_limit: number | null;
  hl_import_rows: Record<string, number> | null;
}

/**
 * `npm run bench`'s Hyperliquid part: the generated Oct-10 hour (bench/hl-fills-generate.ts), its
 * parse limit and decode rate (bench/hl-fills-bench.ts), then the real import into Postgres through
 * `indexConfig` with a files source, as `liqscope import hyperliquid-fills` runs it. The stored counts
 * are checked against the generator's.
 */
export async function runHlImportBench(opts: { workDir: string; postgresUrl?: string; scale?: number; reuse?: boolean; log?: (line: string) => void }): Promise<HlImportBenchResult> {
  const log = opts.log ?? (() => {});
  const { hlFilesDir, ...figures } = await runHlFillsBench({ workDir: opts.workDir, ...(opts.scale ? { scale: opts.scale } : {}), ...(opts.reuse ? { reuse: true } : {}), log });
  if (!opts.postgresUrl) {
    log('no Postgres configured (LIQSCOPE_BENCH_DATABASE_URL): import not measured');
    return { ...figures, hl_import_fills_per_s: null, hl_import_seconds: null, hl_import_peak_rss_mb: null, hl_import_share_of_parse_limit: null, hl_import_rows: null };
  }
  const schema = `bench_hl_${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase({ url: opts.postgresUrl, schema });
  try {
    await migrateToLatest(handle.db);
    const config = configSchema.parse({ sources: [{ name: 'bench-hl', kind: 'files', protocol: 'hyperliquid', paths: [hlFilesDir] }] });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuSeconds();
    try {
      await indexConfig(handle.db, config, { protocols: PROTOCOLS, dbKind: 'postgres' });
    } finally {
      clearInterval(sampler);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const mainAfter = mainThreadCpuSeconds();
    const mainSeconds = mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore;
    const count = async (table: 'liquidations' | 'adl_events' | 'trade_bars') =>
      Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(handle.db)).rows[0]!.n);
    const rows = { liquidations: await count('liquidations'), adl_events: await count('adl_events'), trade_bars: await count('trade_bars') };
    if (rows.liquidations !== figures.hl_liquidation_fills || rows.adl_events !== figures.hl_adl_fills) {
      throw new Error(`hl import bench: stored ${rows.liquidations} liquidations and ${rows.adl_events} ADL events, generated ${figures.hl_liquidation_fills} and ${figures.hl_adl_fills}`);
    }
    const rate = figures.hl_fills / seconds;
    const mainNote = mainSeconds === null ? '' : `, ${mainSeconds.toFixed(1)} s of it on the main thread`;
    log(`import into Postgres: ${Math.round(rate)} fills/s (${seconds.toFixed(1)} s, ${cpuSeconds.toFixed(1)} s of Node CPU${mainNote}), peak RSS ${Math.round(peak / 2 ** 20)} MB, ${rows.trade_bars} bars`);
    return {
      ...figures,
      hl_import_fills_per_s: Math.round(rate),
      hl_import_seconds: Math.round(seconds * 10) / 10,
      hl_import_cpu_seconds: Math.round(cpuSeconds * 10) / 10,
      hl_import_main_thread_cpu_seconds: mainSeconds === null ? null : Math.round(mainSeconds * 10) / 10,
      hl_import_peak_rss_mb: Math.round(peak / 2 ** 20),
      hl_import_share_of_parse_limit: Math.round((rate / figures.hl_parse_limit_fills_per_s) * 100) / 100,
      hl_import_rows: rows,
    };
  } finally {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db).catch(() => {});
    await handle.close();
  }
}

/** CPU seconds of this process's main thread (its task id is the process id), or null where /proc is absent. */
function mainThreadCpuSeconds(): number | null {
  try {
    // fields after the parenthesised command name: state is the 1st, utime the 12th, stime the 13th (proc(5))
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / sysconfClockTicks;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const sysconfClockTicks = 100;
