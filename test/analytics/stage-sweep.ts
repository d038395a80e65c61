/**
 * The sweep behind the liquidity stages' thresholds (docs/analytics.md, "Stages"): every cascade of
 * every shipped scenario (oracle-depeg with the price test off, so that its oracle-driven liquidations
 * are analysed too), its illiquidity index peak against the simulator's depth factor (the share of
 * their book the makers kept) during the cascade and its trailing window.
 *
 *   LIQSCOPE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/analytics/stage-sweep.ts
 *
 * Prints Markdown tables. Not a test.
 */
import { sql } from 'kysely';
import { analyze } from '../../src/analytics/analyze.ts';
import { cascadeParamsSchema } from '../../src/analytics/params.ts';
import { configSchema } from '../../src/config/schema.ts';
import { openPostgresTestDb } from '../helpers/db.ts';
import { loadSimulation, simulate } from '../helpers/sim-store.ts';
import { shippedScenarios } from './cascade-truth.ts';
import { resetStore } from './reset-store.ts';

interface Row {
  scenario: string;
  cascade: string;
  peak: number;
  scale: number;
  minDepth: number;
}

const defaults = cascadeParamsSchema.parse({}).stages;
const handle = await openPostgresTestDb();
const rows: Row[] = [];
for (const scenario of shippedScenarios()) {
  await resetStore(handle.db);
  const { gt } = await loadSimulation(handle.db, simulate(scenario));
  const overrides = scenario === 'oracle-depeg' ? { minPriceMovePct: 0 } : {};
  await analyze(handle.db, configSchema.parse({ analytics: { cascades: { ...overrides, hawkes: { enabled: false } } } }), { steps: ['cascades'] });
  const { rows: cascades } = await sql<{ cascade_id: string; start_time: Date; end_time: Date; assets: string[]; notes: { liquidityIndex?: { peakIndex: number | null; withdrawalThreshold: number } } }>`
    select cascade_id, start_time, end_time, assets, notes from cascades order by start_time`.execute(handle.db);
  // Per second, the median across markets of the ground truth's depth factor.
  const depth = new Map<string, Map<number, number>>();
  for (const p of gt.series) {
    const m = depth.get(p.market) ?? depth.set(p.market, new Map()).get(p.market)!;
    m.set(Math.floor(Date.parse(p.time) / 1000), Number(p.depthFactor));
  }
  for (const c of cascades) {
    const figures = c.notes.liquidityIndex;
    if (!figures || figures.peakIndex === null) continue;
    let minDepth = Infinity;
    for (let s = Math.floor(c.start_time.getTime() / 1000); s <= Math.floor(c.end_time.getTime() / 1000) + defaults.windowSeconds; s++) {
      const values = c.assets.map((a) => depth.get(a)?.get(s)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
      if (values.length > 0) minDepth = Math.min(minDepth, values[values.length >> 1]!);
    }
    rows.push({ scenario, cascade: c.cascade_id, peak: figures.peakIndex, scale: figures.withdrawalThreshold / defaults.withdrawalRatio, minDepth });
  }
}
await handle.close();

console.log(`## Liquidity stages: ${rows.length} cascades with a baseline\n`);
console.log('| scenario | cascade | index peak | threshold scale | lowest depth factor (median over its markets) |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.scenario} | ${r.cascade} | ${r.peak.toFixed(2)} | ${r.scale.toFixed(2)} | ${r.minDepth.toFixed(2)} |`);

const classify = (label: string, truth: (r: Row) => boolean) => {
  console.log(`\n### Claims at ratio r (× the noise scale) against "${label}"\n`);
  console.log('| r | claimed | of which true | true cases found | precision | recall |');
  console.log('|---|---|---|---|---|---|');
  const positives = rows.filter(truth).length;
  for (const r of [1.5, 2, 3, 4, 6, 8, 12]) {
    const claimed = rows.filter((x) => x.peak >= r * x.scale);
    const right = claimed.filter(truth).length;
    console.log(`| ${r} | ${claimed.length} | ${right} | ${right}/${positives} | ${claimed.length ? (right / claimed.length).toFixed(2) : '–'} | ${positives ? (right / positives).toFixed(2) : '–'} |`);
  }
};
classify('makers withdrew: depth factor ≤ 0.8', (r) => r.minDepth <= 0.8);
classify('a void: depth factor ≤ 0.5', (r) => r.minDepth <= 0.5);
