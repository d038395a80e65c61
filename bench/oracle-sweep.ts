import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/connect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { checkRows, episodeRows, grade, matchChecks, runOracle, storeScenario, withReference } from '../test/analytics/oracle/sim-oracle.ts';

/**
 * The sweep behind the oracle step's defaults (docs/analytics.md, "Oracle-driven errors"): every shipped
 * scenario, plus two variants of `oracle-depeg` that no test grades (a 4 % depeg of ETH and BTC in a
 * volatile market with a −6 % shock inside it; a 1.2 % depeg, close to the tolerance), each analysed with
 * the borderline tolerance and the after-reference wait (or, with `--episodes`, the episode threshold, exit
 * ratio and minimum duration) varied one at a time around the defaults.
 * Per run: liquidations flagged `erroneous`, the ground truth's material oracle errors, hits, precision
 * and recall (over liquidations whose asset has a reference in the store), and how far the deviation
 * episodes of faulted feeds start and end from the ground truth's material window.
 *
 *   npx tsx bench/oracle-sweep.ts [--episodes] [scenario …]   (PGlite in memory; prints a Markdown table)
 */
const SHIPPED = ['oracle-depeg', 'stale-oracle', 'quiet-day', 'oct-10-2025', 'two-shocks', 'black-thursday'];

function variants(dir: string): string[] {
  const base = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'scenarios', 'oracle-depeg.json'), 'utf8')) as Record<string, unknown> & {
    venues: { kind: string; oracle: Record<string, unknown> }[];
  };
  const make = (name: string, seed: number, depeg: Record<string, unknown>, pricePath: Record<string, unknown>, durationSeconds: number) => {
    const scenario = structuredClone(base);
    Object.assign(scenario, { name, seed, pricePath, durationSeconds });
    for (const v of scenario.venues) if (v.kind === 'gmx-v2') v.oracle.depeg = depeg;
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(scenario));
    return path;
  };
  return [
    make('depeg-volatile', 777, { fromSecond: 600, toSecond: 1500, dropPct: 4, rampSeconds: 60, markets: ['ETH', 'BTC'] }, { kind: 'stochastic', volatility: 0.0002, drift: 0, shocks: [{ atSecond: 900, durationSeconds: 120, movePct: -6 }] }, 2400),
    make('depeg-small', 31, { fromSecond: 300, toSecond: 1500, dropPct: 1.2, rampSeconds: 120, markets: ['ETH'] }, { kind: 'stochastic', volatility: 0.00005, drift: 0, shocks: [] }, 1800),
  ];
}

const VERDICT_RUNS: { label: string; oracle: Record<string, unknown> }[] = [
  { label: 'defaults', oracle: {} },
  ...[0.1, 0.25, 1, 2].map((t) => ({ label: `tolerance ${t} %`, oracle: { tolerancePct: t } })),
  ...[0, 15].map((a) => ({ label: `after ${a} s`, oracle: { reference: { afterSeconds: a } } })),
];
/** `--episodes`: the episode parameters instead (threshold, exit ratio, minimum duration). */
const EPISODE_RUNS: { label: string; oracle: Record<string, unknown> }[] = [
  { label: 'defaults', oracle: {} },
  ...[0.25, 1].map((t) => ({ label: `threshold ${t} %`, oracle: { episodes: { thresholdPct: t } } })),
  ...[0.25, 1].map((r) => ({ label: `exit ratio ${r}`, oracle: { episodes: { exitRatio: r } } })),
  ...[0, 300].map((d) => ({ label: `min duration ${d} s`, oracle: { episodes: { minDurationSeconds: d } } })),
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-oracle-sweep-'));
  const args = process.argv.slice(2);
  const runs = args.includes('--episodes') ? EPISODE_RUNS : VERDICT_RUNS;
  const chosen = args.filter((a) => !a.startsWith('--'));
  const all = [...SHIPPED, ...variants(dir)];
  const names = chosen.length > 0 ? all.filter((n) => chosen.some((c) => n === c || n.endsWith(`/${c}.json`))) : all;
  const lines = [
    '| scenario | run | flagged | ground-truth errors | hits | precision | recall | faulted feeds: episode start / end − truth (s) | deviation episodes on feeds without a fault |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  try {
    for (const name of names) {
      const handle = await openDatabase({ url: 'memory://' });
      try {
        await migrateToLatest(handle.db);
        const gt = await storeScenario(handle.db, name);
        for (const run of runs) {
          await runOracle(handle.db, name, run.oracle);
          const pairs = matchChecks(gt, await checkRows(handle.db));
          const g = grade(await withReference(handle.db, pairs));
          const timing: string[] = [];
          const episodes = await episodeRows(handle.db);
          for (const f of gt.oracleFaults) {
            if (!f.materialFrom || !f.materialTo) continue;
            const e = episodes.find((x) => x.kind === 'deviation' && x.asset === f.market && x.venue === 'gmx-v2');
            timing.push(e ? `${f.market} ${((e.start_time.getTime() - Date.parse(f.materialFrom)) / 1000).toFixed(1)} / ${e.end_time ? ((e.end_time.getTime() - Date.parse(f.materialTo)) / 1000).toFixed(1) : 'open'}` : `${f.market} none`);
          }
          const faulted = new Set(gt.oracleFaults.map((f) => f.market));
          const spurious = episodes.filter((e) => e.kind === 'deviation' && !(e.venue === 'gmx-v2' && e.asset !== null && faulted.has(e.asset))).length;
          const pct = (x: number | null) => (x === null ? '—' : x.toFixed(3));
          const label = name.endsWith('.json') ? name.replace(/^.*\//, '').replace(/\.json$/, '') : name;
          lines.push(`| ${label} | ${run.label} | ${g.flagged} | ${g.errors} | ${g.hits} | ${pct(g.precision)} | ${pct(g.recall)} | ${timing.join('; ') || '—'} | ${spurious} |`);
          process.stderr.write(`${lines[lines.length - 1]}\n`);
        }
      } finally {
        await handle.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
