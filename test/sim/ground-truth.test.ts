import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { runSimulation } from '../../src/sim/run-sim.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { GROUND_TRUTH_FORMAT } from '../../src/sim/ground-truth.ts';
import { toRaw, fromRaw } from '../../src/sim/units.ts';

/**
 * The ground truth's account liquidations, cascade trees, causal figures, ADL equity, oracle fault
 * windows and depth minima, checked against recomputations from its own fills, positions and series
 * (and against the scenario file), never against the engine's figures themselves.
 */
const truths = new Map<string, GroundTruth>();
const gtOf = (name: string): GroundTruth => {
  if (!truths.has(name)) truths.set(name, runSimulation(loadScenario(name).scenario).groundTruth);
  return truths.get(name)!;
};

describe.each(['oct-10-2025', 'stale-oracle'])('%s: account liquidations and cascade trees', (name) => {
  let gt: GroundTruth;
  beforeAll(() => {
    gt = gtOf(name);
  });

  it('has format /2 and every fill belongs to exactly one account liquidation of its account, venue and time', () => {
    expect(gt.format).toBe(GROUND_TRUTH_FORMAT);
    expect(GROUND_TRUTH_FORMAT).toBe('liqscope-ground-truth/2');
    const fills = new Map(gt.liquidations.map((l) => [l.id, l]));
    const seen = new Set<string>();
    for (const g of gt.accountLiquidations) {
      expect(g.fills.length).toBeGreaterThan(0);
      for (const id of g.fills) {
        const l = fills.get(id)!;
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        expect(l.groupId).toBe(g.id);
        expect([l.account, l.venue, l.timeMs]).toEqual([g.account, g.venue, g.timeMs]);
      }
      expect(g.sizeUsd).toBe(fromRaw(g.fills.reduce((s, id) => s + toRaw(fills.get(id)!.sizeUsd, 6), 0n), 6));
    }
    expect(seen.size).toBe(gt.liquidations.length);
    // each account is liquidated at most once
    expect(new Set(gt.accountLiquidations.map((g) => `${g.venue}|${g.account}`)).size).toBe(gt.accountLiquidations.length);
    // some account liquidations have several fills (cross accounts, ADL matches)
    expect(gt.accountLiquidations.some((g) => g.fills.length > 1)).toBe(true);
  });

  it('cascades partition the account liquidations into trees: root first, parents earlier, depth = parent depth + 1', () => {
    const groups = new Map(gt.accountLiquidations.map((g) => [g.id, g]));
    const inTree = new Set<string>();
    let fillCount = 0;
    for (const c of gt.cascades) {
      expect(c.size).toBe(c.groups.length);
      expect(c.groups[0]!.id).toBe(c.id);
      expect(c.groups[0]!.parentGroupId).toBeNull();
      expect(c.groups[0]!.depth).toBe(0);
      const depth = new Map<string, number>();
      for (const node of c.groups) {
        expect(inTree.has(node.id)).toBe(false);
        inTree.add(node.id);
        const g = groups.get(node.id)!;
        expect(g.cascadeId).toBe(c.id);
        expect(node.parentGroupId).toBe(g.parentGroupId);
        if (node.parentGroupId) {
          expect(depth.has(node.parentGroupId)).toBe(true);
          expect(node.depth).toBe(depth.get(node.parentGroupId)! + 1);
          expect(groups.get(node.parentGroupId)!.timeMs).toBeLessThan(g.timeMs);
        }
        depth.set(node.id, node.depth);
      }
      const members = c.groups.flatMap((node) => groups.get(node.id)!.fills);
      expect([...c.members].sort()).toEqual([...members].sort());
      expect(c.fills).toBe(members.length);
      fillCount += c.fills;
    }
    expect(inTree.size).toBe(gt.accountLiquidations.length);
    expect(fillCount).toBe(gt.liquidations.length);
  });

  it('parent links exactly where the stated materiality says so; every fill carries its group figures', () => {
    const m = gt.materiality;
    expect(m).toEqual({ parentMinCausedShare: 0.5, oracleErrorMinDistancePct: 0.5 });
    for (const g of gt.accountLiquidations) {
      const share = Number(g.causedShare);
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
      expect(g.exogenous).toBe(Number(g.noImpactDistancePct) <= 0);
      const material = !g.exogenous && g.contributorGroupId !== null && share >= m.parentMinCausedShare;
      expect(g.parentGroupId).toBe(material ? g.contributorGroupId : null);
      expect(g.oracleError).toBe(Number(g.referenceDistancePct) >= m.oracleErrorMinDistancePct);
      expect(g.solventAtReference).toBe(Number(g.referenceDistancePct) > 0);
    }
    const groups = new Map(gt.accountLiquidations.map((g) => [g.id, g]));
    for (const l of gt.liquidations) {
      const g = groups.get(l.groupId)!;
      expect([l.causedShare, l.referenceDistancePct, l.oracleError, l.parentGroupId, l.cascadeId]).toEqual([
        g.causedShare,
        g.referenceDistancePct,
        g.oracleError,
        g.parentGroupId,
        g.cascadeId,
      ]);
      if (l.parentId) expect(groups.get(l.parentGroupId!)!.fills).toContain(l.parentId);
    }
    expect(gt.oracleErrors).toEqual(gt.liquidations.filter((l) => l.oracleError).map((l) => l.id));
  });

  it('the distance to the threshold at the reference equals the % move from the reference to the isolated liquidation price', () => {
    const positions = new Map(gt.positions.map((p) => [p.id, p]));
    const groups = new Map(gt.accountLiquidations.map((g) => [g.id, g]));
    let checked = 0;
    for (const g of gt.accountLiquidations) {
      if (g.marginMode !== 'isolated') continue;
      const fills = g.fills.map((id) => gt.liquidations.find((l) => l.id === id)!);
      const p = positions.get(fills[0]!.positionId)!;
      // only positions never touched by ADL keep the liquidation price they were opened with
      if (p.records.some((r) => r.includes(':adl:'))) continue;
      const pStar = Number(p.liquidationPrice);
      const ref = Number(fills[0]!.referencePrice);
      const expected = p.side === 'long' ? (100 * (ref - pStar)) / ref : (100 * (pStar - ref)) / ref;
      expect(Number(groups.get(g.id)!.referenceDistancePct)).toBeCloseTo(expected, 3);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('summary: notional by side adds up exactly, per venue', () => {
    for (const v of gt.venues) {
      const s = gt.summary[v.id]!;
      const sum = (xs: { sizeUsd: string }[]) => fromRaw(xs.reduce((a, x) => a + toRaw(x.sizeUsd, 6), 0n), 6);
      const liqs = gt.liquidations.filter((l) => l.venue === v.id);
      const adls = gt.adlEvents.filter((a) => a.venue === v.id);
      expect(s.liquidatedUsdBySide).toEqual({ long: sum(liqs.filter((l) => l.side === 'long')), short: sum(liqs.filter((l) => l.side === 'short')) });
      expect(s.adlUsdBySide).toEqual({ long: sum(adls.filter((a) => a.side === 'long')), short: sum(adls.filter((a) => a.side === 'short')) });
      expect(s.accountLiquidations).toBe(gt.accountLiquidations.filter((g) => g.venue === v.id).length);
    }
  });
});

describe('oct-10-2025: ADL fills carry the liquidated account equity', () => {
  it("each Hyperliquid and dYdX ADL fill's equity is its liquidated account's, recomputed from the liquidation fills at their marks", () => {
    const gt = gtOf('oct-10-2025');
    const positions = new Map(gt.positions.map((p) => [p.id, p]));
    const fills = new Map(gt.liquidations.map((l) => [l.id, l]));
    const groups = new Map(gt.accountLiquidations.map((g) => [g.id, g]));
    const offChain = gt.adlEvents.filter((a) => a.venueKind !== 'gmx-v2');
    expect(offChain.length).toBeGreaterThan(100);
    for (const a of offChain) {
      const l = fills.get(a.liquidationId!)!;
      const g = groups.get(l.groupId)!;
      expect(a.liquidatedEquityUsd).toBe(g.equityUsd);
      expect(Number(a.liquidatedDeficitUsd)).toBeCloseTo(Math.max(0, -Number(g.equityUsd)), 6);
    }
    // equity = collateral + Σ side·size·(mark − entry) over the account's fills (no position of these was ADL'd before)
    let checked = 0;
    for (const g of gt.accountLiquidations) {
      if (g.venueKind === 'gmx-v2' || !g.fills.some((id) => fills.get(id)!.adlId)) continue;
      const fs = g.fills.map((id) => fills.get(id)!);
      if (fs.some((l) => positions.get(l.positionId)!.records.some((r) => r.includes(':adl:')))) continue;
      const equity = fs.reduce((e, l) => {
        const entry = Number(positions.get(l.positionId)!.entryPrice);
        return e + Number(l.collateralUsd) + (l.side === 'long' ? 1 : -1) * Number(l.size) * (Number(l.markPrice) - entry);
      }, 0);
      const notional = fs.reduce((n, l) => n + Number(l.size) * Number(l.markPrice), 0);
      expect(Math.abs(equity - Number(g.equityUsd))).toBeLessThan(1e-6 * notional + 0.01);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(50);
    // GMX ADL reduces the pool's exposure, not a liquidated trader's
    for (const a of gt.adlEvents.filter((x) => x.venueKind === 'gmx-v2')) expect([a.liquidatedEquityUsd, a.liquidatedDeficitUsd]).toEqual([null, null]);
  });

  it('the depth minimum per market is the lowest depth factor of the per-second series, first reached at its time', () => {
    const gt = gtOf('oct-10-2025');
    expect(gt.depthMinimum.map((d) => d.market)).toEqual(gt.markets.map((m) => m.symbol));
    for (const d of gt.depthMinimum) {
      const points = gt.series.filter((p) => p.market === d.market);
      const low = Math.min(...points.map((p) => Number(p.depthFactor)));
      expect(Number(d.depthFactor)).toBeCloseTo(low, 4);
      const at = points.find((p) => p.time === d.time)!;
      expect(Number(at.depthFactor)).toBe(low);
      expect(at.depth1PctUsd).toBe(d.depth1PctUsd);
      expect(d.untilMs).toBeGreaterThanOrEqual(d.timeMs);
      // the void is the cascade's: well under the full book, inside the liquidation window
      expect(Number(d.depth1PctUsd)).toBeLessThan(0.6 * Number(d.fullDepth1PctUsd));
      expect(d.timeMs).toBeGreaterThan(Date.parse(gt.summary.hyperliquid!.firstLiquidation!));
      expect(d.timeMs).toBeLessThan(Date.parse(gt.summary.hyperliquid!.lastEvent!));
    }
  });
});

describe('oracle fault windows', () => {
  it("oracle-depeg: the scenario's depeg window, and the span its publications deviated ≥ 0.5 % recomputed from them", () => {
    const gt = gtOf('oracle-depeg');
    const { scenario } = loadScenario('oracle-depeg');
    const depeg = scenario.venues.find((v) => v.id === 'gmx')!.oracle.depeg!;
    const start = Date.parse(scenario.start);
    expect(gt.oracleFaults).toHaveLength(1);
    const f = gt.oracleFaults[0]!;
    expect([f.venue, f.market, f.kind, f.dropPct, f.rampSeconds]).toEqual(['gmx', 'ETH', 'depeg', 35, 120]);
    expect([f.fromMs, f.toMs]).toEqual([start + depeg.fromSecond * 1000, start + depeg.toSecond * 1000]);
    expect(Number(f.maxDeviationPct)).toBeCloseTo(35, 1);
    const deviating = gt.oracleUpdates.filter((u) => u.venue === 'gmx' && u.market === 'ETH' && Number(u.deviationPct) >= 0.5);
    // the price in force changes at publications: the material span starts at the first deviating one, and ends
    // just before the first publication back within 0.5 % (one engine step, 500 ms)
    expect(Date.parse(f.materialFrom!)).toBe(deviating[0]!.timeMs);
    const back = gt.oracleUpdates.find((u) => u.venue === 'gmx' && u.market === 'ETH' && u.timeMs > deviating.at(-1)!.timeMs)!;
    expect(Date.parse(f.materialTo!)).toBe(back.timeMs - scenario.stepMs);
    // every GMX ETH liquidation (all oracle errors) lies inside it
    for (const l of gt.liquidations) {
      expect(l.oracleError).toBe(true);
      expect(l.timeMs).toBeGreaterThanOrEqual(Date.parse(f.materialFrom!));
      expect(l.timeMs).toBeLessThanOrEqual(Date.parse(f.materialTo!));
    }
  });

  it('stale-oracle: both GMX markets are stale for the declared window; the price in force only deviates once the fall starts', () => {
    const gt = gtOf('stale-oracle');
    const start = Date.parse(gt.scenario.start);
    expect(gt.oracleFaults.map((f) => [f.venue, f.market, f.kind, f.fromMs - start, f.toMs - start])).toEqual([
      ['gmx', 'BTC', 'stale', 180_000, 420_000],
      ['gmx', 'ETH', 'stale', 180_000, 420_000],
    ]);
    for (const f of gt.oracleFaults) {
      // the shock starts at 240 s: the frozen price deviates materially only after it
      expect(Date.parse(f.materialFrom!) - start).toBeGreaterThan(240_000);
      expect(Date.parse(f.materialTo!) - start).toBeLessThan(420_000 + 3_000 + 1_000);
      // no GMX publication lands inside the window
      const landed = gt.oracleUpdates.filter((u) => u.venue === 'gmx' && u.market === f.market && u.timeMs >= f.fromMs && u.timeMs < f.toMs);
      expect(landed).toEqual([]);
    }
  });
});
