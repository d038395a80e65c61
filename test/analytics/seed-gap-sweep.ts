/**
 * The cascade gap on other seeds (docs/analytics.md, "On scenarios the defaults were not chosen on"): each
 * cascading scenario simulated with ten seeds, and per gap, from the ground truth alone, the share of
 * liquidations of multi-member cascade trees inside a gap cluster that passes the count and notional
 * thresholds, the trees kept whole, the clusters kept and the longest.
 *
 *   npx tsx test/analytics/seed-gap-sweep.ts
 *
 * Not a test: it prints figures and decides nothing by itself.
 */
import { cascadeParamsSchema } from '../../src/analytics/params.ts';
import { simulate } from '../helpers/sim-store.ts';
import { gapClusters, truthFills, usdSum } from './cascade-truth.ts';

const params = cascadeParamsSchema.parse({});
const seeds = ['', '@101', '@202', '@303', '@404', '@505', '@606', '@707', '@808', '@909'];
console.log('| scenario | gap ms | tree liquidations inside | trees whole | clusters kept | longest s |');
console.log('|---|---|---|---|---|---|');
for (const base of ['black-thursday', 'oct-10-2025', 'two-shocks']) {
  const totals = new Map<number, { inside: number; treeLiquidations: number; whole: number; trees: number; kept: number; longest: number }>();
  for (const seed of seeds) {
    const gt = simulate(base + seed).groundTruth;
    const fills = truthFills(gt);
    const treeSize = new Map(gt.cascades.map((c) => [c.id, c.size]));
    const inTrees = fills.filter((f) => f.kind === 'L' && (treeSize.get(f.tree!) ?? 0) >= 2);
    const treeIds = [...new Set(inTrees.map((f) => f.tree!))];
    for (const gapMs of params.sweepGapsMs) {
      const kept = gapClusters(fills, gapMs).filter((c) => {
        const liquidations = c.filter((f) => f.kind === 'L');
        return liquidations.length >= params.minLiquidations && Number(usdSum(liquidations)) >= params.minNotionalUsd;
      });
      const keptFills = new Set(kept.flat());
      const whole = treeIds.filter((tree) => {
        const members = inTrees.filter((f) => f.tree === tree);
        const cluster = kept.find((c) => c.includes(members[0]!));
        return cluster !== undefined && members.every((f) => cluster.includes(f));
      }).length;
      const t = totals.get(gapMs) ?? { inside: 0, treeLiquidations: 0, whole: 0, trees: 0, kept: 0, longest: 0 };
      t.inside += inTrees.filter((f) => keptFills.has(f)).length;
      t.treeLiquidations += inTrees.length;
      t.whole += whole;
      t.trees += treeIds.length;
      t.kept += kept.length;
      t.longest = Math.max(t.longest, ...kept.map((c) => (c.at(-1)!.timeMs - c[0]!.timeMs) / 1000));
      totals.set(gapMs, t);
    }
  }
  for (const [gapMs, t] of totals) {
    console.log(`| ${base} | ${gapMs} | ${t.inside}/${t.treeLiquidations} (${(t.inside / t.treeLiquidations).toFixed(3)}) | ${t.whole}/${t.trees} | ${t.kept} | ${t.longest} |`);
  }
}
