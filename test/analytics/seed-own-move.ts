/**
 * A price test measured and not taken (docs/analytics.md, "On scenarios the defaults were not chosen on"):
 * a cluster that starts within the price lookback of a kept cascade judged on its own move only, from that
 * cascade's last event on. Per shipped scenario over ten seeds, from the ground truth alone: the cascades
 * kept by the documented test and by this one, the tree liquidations inside them, and every cluster the two
 * decide differently (with whether it shares a ground-truth tree with the cascade before it).
 *
 *   npx tsx test/analytics/seed-own-move.ts
 *
 * Not a test: it prints figures and decides nothing by itself.
 */
import { cascadeParamsSchema } from '../../src/analytics/params.ts';
import { simulate } from '../helpers/sim-store.ts';
import { gapClusters, largestMovePct, referenceBySecond, shippedScenarios, truthFills, usdSum, type TruthFill } from './cascade-truth.ts';

const params = cascadeParamsSchema.parse({});
const seeds = ['', '@101', '@202', '@303', '@404', '@505', '@606', '@707', '@808', '@909'];

for (const base of shippedScenarios()) {
  let keptNow = 0;
  let keptOwn = 0;
  let treeNow = 0;
  let treeOwn = 0;
  let treeAll = 0;
  const differences: string[] = [];
  for (const seed of seeds) {
    const gt = simulate(base + seed).groundTruth;
    const reference = referenceBySecond(gt);
    const fills = truthFills(gt);
    const treeSize = new Map(gt.cascades.map((c) => [c.id, c.size]));
    const inTree = (f: TruthFill) => f.kind === 'L' && (treeSize.get(f.tree!) ?? 0) >= 2;
    treeAll += fills.filter(inTree).length;
    let previousEnd: number | null = null;
    let previousTrees = new Set<string>();
    for (const cluster of gapClusters(fills, params.gapMs)) {
      const liquidations = cluster.filter((f) => f.kind === 'L');
      if (liquidations.length < params.minLiquidations || Number(usdSum(liquidations)) < params.minNotionalUsd) continue;
      const start = Math.floor(cluster[0]!.timeMs / 1000);
      const end = Math.floor(cluster.at(-1)!.timeMs / 1000);
      const moveFrom = (from: number) => {
        let move: number | null = null;
        for (const asset of new Set(cluster.map((f) => f.asset))) {
          const m = largestMovePct(reference.get(asset), from, end);
          if (m !== null) move = Math.max(move ?? 0, m);
        }
        return move;
      };
      const lookbackFrom = start - params.priceMoveLookbackSeconds;
      const now = moveFrom(lookbackFrom);
      const own = moveFrom(previousEnd === null ? lookbackFrom : Math.max(lookbackFrom, previousEnd + 1));
      const keepNow = now === null || now >= params.minPriceMovePct;
      const keepOwn = own === null || own >= params.minPriceMovePct;
      const trees = new Set(liquidations.filter(inTree).map((f) => f.tree!));
      const treeLiquidations = liquidations.filter(inTree).length;
      if (keepNow) {
        keptNow++;
        treeNow += treeLiquidations;
      }
      if (keepOwn) {
        keptOwn++;
        treeOwn += treeLiquidations;
      }
      if (keepNow !== keepOwn) {
        const sharesTree = [...trees].some((t) => previousTrees.has(t));
        differences.push(`${seed || 'shipped'}: ${liquidations.length} liquidations ${previousEnd === null ? '' : `${start - previousEnd} s after the cascade before, `}move ${now?.toFixed(2)} % → own ${own?.toFixed(2)} %, tree liquidations ${treeLiquidations}${sharesTree ? ' (its tree)' : ''}`);
      }
      // The cascade before, under the own-move test: the one whose move a later cluster's is counted from.
      if (keepOwn) {
        previousEnd = end;
        previousTrees = trees;
      }
    }
  }
  console.log(`${base}: cascades ${keptNow} → ${keptOwn}; tree liquidations inside ${treeNow}/${treeAll} → ${treeOwn}/${treeAll}`);
  for (const line of differences) console.log(`  ${line}`);
}
