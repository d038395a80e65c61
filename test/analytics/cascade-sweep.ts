/**
 * The sweep behind the cascade defaults (docs/analytics.md, "Cascades"): every shipped scenario is
 * simulated, stored on Postgres through the real decoders, and analysed at each gap of the sweep and
 * with the thresholds off; the figures are measured against the simulator's ground truth.
 *
 *   LIQSCOPE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/analytics/cascade-sweep.ts
 *
 * Prints Markdown tables. Not a test: it takes minutes and decides nothing by itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { analyze } from '../../src/analytics/analyze.ts';
import { DEFAULT_SWEEP_GAPS_MS } from '../../src/analytics/params.ts';
import { configSchema } from '../../src/config/schema.ts';
import { openPostgresTestDb } from '../helpers/db.ts';
import { loadSimulation, simulate, storeTimeMs } from '../helpers/sim-store.ts';
import { fillKey, shippedScenarios, truthFills } from './cascade-truth.ts';
import { resetStore } from './reset-store.ts';

const quantile = (sorted: readonly number[], q: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

const handle = await openPostgresTestDb();
const delays: number[] = [];
const gapRows: string[] = [];
const thresholdClusters: { scenario: string; liquidations: number; usd: number; move: number | null; treeLiquidations: number; oracleErrors: number }[] = [];
const treeTotals = new Map<string, number>();

for (const scenario of shippedScenarios()) {
  await resetStore(handle.db);
  const { gt } = await loadSimulation(handle.db, simulate(scenario));
  const fills = truthFills(gt);

  // Parent → child delays of the ground truth's material links, in store time.
  const groupTime = new Map(gt.accountLiquidations.map((g) => [g.id, storeTimeMs(gt, g.fills.length > 0 ? { venue: g.venue, timeMs: g.timeMs, blockTimestamp: gt.liquidations.find((l) => l.id === g.fills[0])?.blockTimestamp ?? null } : { venue: g.venue, timeMs: g.timeMs, blockTimestamp: null })]));
  for (const g of gt.accountLiquidations) if (g.parentGroupId) delays.push((groupTime.get(g.id)! - groupTime.get(g.parentGroupId)!) / 1000);

  const treeSize = new Map(gt.cascades.map((c) => [c.id, c.size]));
  const trees = new Map<string, string[]>();
  for (const f of fills) if (f.kind === 'L' && (treeSize.get(f.tree!) ?? 0) >= 2) (trees.get(f.tree!) ?? trees.set(f.tree!, []).get(f.tree!)!).push(fillKey(f));
  const treeLiquidations = [...trees.values()].reduce((n, t) => n + t.length, 0);
  treeTotals.set(scenario, treeLiquidations);

  for (const gapMs of DEFAULT_SWEEP_GAPS_MS) {
    await analyze(handle.db, configSchema.parse({ analytics: { cascades: { gapMs, sweepGapsMs: [gapMs], hawkes: { enabled: false } } } }), { steps: ['cascades'] });
    const { rows } = await sql<{ kind: string; venue: string; account: string | null; asset: string | null; side: string; time: Date; size: string; cascade_id: string | null }>`
      select kind, venue, account, asset, side, time, size::text as size, cascade_id from liquidation_events where kind = 'liquidation'`.execute(handle.db);
    const cascadeOf = new Map(rows.map((r) => [fillKey({ kind: 'L', venue: r.venue, account: r.account, asset: r.asset, side: r.side, timeMs: r.time.getTime(), size: r.size }), r.cascade_id]));
    const { rows: counts } = await sql<{ cascades: number; longest: number | null; median: number | null }>`
      select count(*)::integer as cascades, max(duration_seconds) as longest, percentile_cont(0.5) within group (order by liquidations) as median from cascades`.execute(handle.db);
    const inside = [...trees.values()].flat().filter((k) => cascadeOf.get(k)).length;
    const whole = [...trees.values()].filter((t) => new Set(t.map((k) => cascadeOf.get(k))).size === 1 && cascadeOf.get(t[0]!)).length;
    const { rows: sweep } = await sql<{ clusters: number }>`select clusters from cascade_gap_sweep order by run_id desc limit 1`.execute(handle.db);
    gapRows.push(`| ${scenario} | ${gapMs} | ${sweep[0]?.clusters ?? 0} | ${counts[0]!.cascades} | ${fmt(Number(counts[0]!.median ?? Number.NaN), 0)} | ${fmt(counts[0]!.longest ?? Number.NaN, 1)} | ${treeLiquidations === 0 ? '–' : fmt(inside / treeLiquidations)} | ${trees.size === 0 ? '–' : `${whole}/${trees.size}`} |`);
  }

  // Thresholds: every cluster of the default gap, with the figures the thresholds read.
  await analyze(handle.db, configSchema.parse({ analytics: { cascades: { minLiquidations: 1, minNotionalUsd: 0, minPriceMovePct: 0, hawkes: { enabled: false } } } }), { steps: ['cascades'] });
  const { rows: clusters } = await sql<{ cascade_id: string; liquidations: number; usd: number | null; move: number | null }>`
    select cascade_id, liquidations, liquidated_usd::float8 as usd, price_move_pct as move from cascades`.execute(handle.db);
  const { rows: members } = await sql<{ cascade_id: string; venue: string; account: string | null; asset: string | null; side: string; time: Date; size: string }>`
    select m.cascade_id, l.venue, l.account, l.asset, l.side, l.time, l.size::text as size from cascade_members m join liquidations l on l.id = m.liquidation_id`.execute(handle.db);
  const treeKeys = new Set([...trees.values()].flat());
  const oracleErrorKeys = new Set(fills.filter((f) => f.kind === 'L' && gt.oracleErrors.includes(f.id)).map(fillKey));
  for (const c of clusters) {
    const own = members.filter((m) => m.cascade_id === c.cascade_id).map((m) => fillKey({ kind: 'L', venue: m.venue, account: m.account, asset: m.asset, side: m.side, timeMs: m.time.getTime(), size: m.size }));
    thresholdClusters.push({ scenario, liquidations: c.liquidations, usd: c.usd ?? 0, move: c.move, treeLiquidations: own.filter((k) => treeKeys.has(k)).length, oracleErrors: own.filter((k) => oracleErrorKeys.has(k)).length });
  }
}
await handle.close();

delays.sort((a, b) => a - b);
console.log(`## Parent → child delays of the ground truth's material links (${delays.length} links, all scenarios)\n`);
console.log(`median ${fmt(quantile(delays, 0.5))} s, p90 ${fmt(quantile(delays, 0.9))} s, p95 ${fmt(quantile(delays, 0.95))} s, p99 ${fmt(quantile(delays, 0.99))} s, max ${fmt(delays.at(-1) ?? Number.NaN)} s; share ≤ 1 s ${fmt(delays.filter((d) => d <= 1).length / delays.length)}, ≤ 5 s ${fmt(delays.filter((d) => d <= 5).length / delays.length)}, ≤ 10 s ${fmt(delays.filter((d) => d <= 10).length / delays.length)}\n`);

console.log('## Gap sweep (default thresholds)\n');
console.log('| scenario | gap ms | clusters | cascades | median liquidations | longest s | tree liquidations inside | trees whole |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of gapRows) console.log(row);

console.log('\n## Threshold sweep (default gap; each threshold alone, the others off)\n');
const totalTree = [...treeTotals.values()].reduce((a, b) => a + b, 0);
const report = (label: string, keep: (c: (typeof thresholdClusters)[number]) => boolean) => {
  const kept = thresholdClusters.filter(keep);
  const perScenario = shippedScenarios().map((s) => `${s} ${kept.filter((c) => c.scenario === s).length}`).join(', ');
  const tree = kept.reduce((n, c) => n + c.treeLiquidations, 0);
  const oracle = kept.reduce((n, c) => n + c.oracleErrors, 0);
  console.log(`| ${label} | ${kept.length} | ${fmt(tree / totalTree)} | ${oracle} | ${perScenario} |`);
};
console.log('| threshold | cascades | tree liquidations kept | oracle-error liquidations kept | per scenario |');
console.log('|---|---|---|---|---|');
for (const n of [1, 2, 3, 5, 10]) report(`≥ ${n} liquidations`, (c) => c.liquidations >= n);
for (const usd of [0, 1_000, 10_000, 100_000, 1_000_000]) report(`≥ $${usd.toLocaleString('en-US')}`, (c) => c.usd >= usd);
for (const pct of [0, 0.1, 0.25, 0.5, 1, 2, 5]) report(`move ≥ ${pct} %`, (c) => c.move === null || c.move >= pct);
report('defaults (2, $10,000, 1 %)', (c) => c.liquidations >= 2 && c.usd >= 10_000 && (c.move === null || c.move >= 1));

// How often a calm market moves that much anyway: the real Chainlink ETH/USD rounds of
// ../shared/data (0.5 % deviation, 1 h heartbeat; 10 months of 2023), the share of 5-minute
// windows in which the price in force moved at least x % (peak to trough or trough to peak).
const csv = resolve(import.meta.dirname, '../../../shared/data/chainlink/eth-usd.csv');
if (existsSync(csv)) {
  const rounds = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','))
    .map((f) => ({ time: Number(f[4]), price: Number(f[2]) / 1e8 })).filter((r) => r.price > 0).sort((a, b) => a.time - b.time);
  const windowSeconds = 300;
  const windows = Math.floor((rounds.at(-1)!.time - rounds[0]!.time) / windowSeconds);
  console.log(`\n## Real ETH/USD (Chainlink, ${rounds.length} rounds, ${fmt((rounds.at(-1)!.time - rounds[0]!.time) / 86_400, 0)} days): 5-minute windows with a move of at least x %\n`);
  console.log('| x | windows | share |');
  console.log('|---|---|---|');
  for (const x of [0.25, 0.5, 1, 2, 5]) {
    const hit = new Set<number>();
    let first = 0;
    for (let i = 0; i < rounds.length; i++) {
      while (rounds[first]!.time < rounds[i]!.time - windowSeconds) first++;
      // the price in force when the window opened is the round before its first
      const from = Math.max(0, first - 1);
      let high = -Infinity;
      let low = Infinity;
      for (let j = from; j <= i; j++) {
        high = Math.max(high, rounds[j]!.price);
        low = Math.min(low, rounds[j]!.price);
      }
      if (((high - low) / high) * 100 >= x) hit.add(Math.floor(rounds[i]!.time / windowSeconds));
    }
    console.log(`| ${x} % | ${hit.size} of ${windows} | ${fmt((100 * hit.size) / windows, 3)} % |`);
  }
}
