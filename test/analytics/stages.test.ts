import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analytics/analyze.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { loadSimulation, simulate } from '../helpers/sim-store.ts';
import { truthFills, type TruthFill } from './cascade-truth.ts';
import { resetStore } from './reset-store.ts';

/**
 * The stages of cascades against the simulator's ground truth: where its makers withdrew (the depth
 * minimum of every market, `depthMinimum`), its ADL fills and its accounts. Each scenario is simulated
 * once for the file and loaded into one database per store kind (emptied between scenarios).
 */
interface StageRow {
  cascade_id: string;
  stage: string;
  start_time: Date;
  end_time: Date;
  evidence: Record<string, unknown>;
}
interface CascadeRow {
  cascade_id: string;
  start_time: Date;
  end_time: Date;
}

async function readStages(db: LiqscopeDb['db']): Promise<{ cascades: CascadeRow[]; stages: StageRow[] }> {
  const { rows: cascades } = await sql<CascadeRow>`select cascade_id, start_time, end_time from cascades order by start_time`.execute(db);
  const { rows: stages } = await sql<StageRow>`select cascade_id, stage, start_time, end_time, evidence from cascade_stages order by cascade_id, start_time`.execute(db);
  return { cascades, stages };
}

const inSpan = (fills: readonly TruthFill[], c: CascadeRow) => fills.filter((f) => f.timeMs >= c.start_time.getTime() && f.timeMs <= c.end_time.getTime());

forEachDatabase((dbName, open) => {
  describe(`cascade stages on ${dbName}`, () => {
    let handle: LiqscopeDb;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.close();
    });

    // Both scenarios whose makers withdrew during a cascade: the void lies where the ground truth's
    // depth bottomed out, on every market.
    for (const scenario of ['oct-10-2025', 'two-shocks']) {
      describe(scenario, () => {
        let gt: GroundTruth;
        let fills: TruthFill[];
        let result: Awaited<ReturnType<typeof readStages>>;
        beforeAll(async () => {
          await resetStore(handle.db);
          ({ gt } = await loadSimulation(handle.db, simulate(scenario)));
          fills = truthFills(gt);
          await analyze(handle.db, configSchema.parse({}), { steps: ['cascades'] });
          result = await readStages(handle.db);
        });

        it('claims a liquidity void that holds the depth minimum of every market', () => {
          const voids = result.stages.filter((s) => s.stage === 'liquidity_void');
          expect(gt.depthMinimum.length).toBeGreaterThan(0);
          for (const minimum of gt.depthMinimum) {
            const holding = voids.filter((v) => v.start_time.getTime() <= minimum.timeMs && minimum.untilMs < v.end_time.getTime());
            expect(holding.map((v) => v.cascade_id), `${minimum.market} depth minimum ${minimum.time}–${minimum.until} (factor ${minimum.depthFactor}); voids ${voids.map((v) => `${v.start_time.toISOString()}–${v.end_time.toISOString()}`).join(', ')}`).not.toEqual([]);
          }
        });

        it('starts the ADL stage at the first ADL fill of the cascade and ends it at the last', () => {
          const adlStages = new Map(result.stages.filter((s) => s.stage === 'adl').map((s) => [s.cascade_id, s]));
          for (const c of result.cascades) {
            const adls = inSpan(fills, c).filter((f) => f.kind === 'A');
            const stage = adlStages.get(c.cascade_id);
            if (adls.length === 0) {
              expect(stage, c.cascade_id).toBeUndefined();
              continue;
            }
            expect([stage?.start_time.getTime(), stage?.end_time.getTime()], c.cascade_id).toEqual([Math.min(...adls.map((f) => f.timeMs)), Math.max(...adls.map((f) => f.timeMs))]);
          }
          // The scenario's very first ADL fill opens an ADL stage.
          const first = Math.min(...fills.filter((f) => f.kind === 'A').map((f) => f.timeMs));
          expect([...adlStages.values()].map((s) => s.start_time.getTime())).toContain(first);
        });

        it('names as cross-margin failures the accounts that lost several positions in the cascade', () => {
          const stages = new Map(result.stages.filter((s) => s.stage === 'cross_margin_failure').map((s) => [s.cascade_id, s]));
          for (const c of result.cascades) {
            const positions = new Map<string, { markets: Set<string>; times: number[] }>();
            for (const f of inSpan(fills, c).filter((x) => x.kind === 'L')) {
              const p = positions.get(`${f.venue}|${f.account}`) ?? positions.set(`${f.venue}|${f.account}`, { markets: new Set(), times: [] }).get(`${f.venue}|${f.account}`)!;
              p.markets.add(`${f.asset}|${f.side}`);
              p.times.push(f.timeMs);
            }
            const failed = [...positions.values()].filter((p) => p.markets.size >= 2);
            const stage = stages.get(c.cascade_id);
            if (failed.length === 0) {
              expect(stage, c.cascade_id).toBeUndefined();
              continue;
            }
            expect({ accounts: stage?.evidence.accounts, positions: stage?.evidence.positions, from: stage?.start_time.getTime(), to: stage?.end_time.getTime() }, c.cascade_id).toEqual({
              accounts: failed.length,
              positions: failed.reduce((n, p) => n + p.markets.size, 0),
              from: Math.min(...failed.flatMap((p) => p.times)),
              to: Math.max(...failed.flatMap((p) => p.times)),
            });
          }
        });

        it('starts each trigger no later than the first liquidation, which its evidence names', () => {
          const triggers = new Map(result.stages.filter((s) => s.stage === 'trigger').map((s) => [s.cascade_id, s]));
          for (const c of result.cascades) {
            const first = Math.min(...inSpan(fills, c).filter((f) => f.kind === 'L').map((f) => f.timeMs));
            const trigger = triggers.get(c.cascade_id)!;
            expect(trigger, c.cascade_id).toBeDefined();
            expect(trigger.start_time.getTime()).toBeLessThanOrEqual(first);
            expect(trigger.evidence.firstLiquidation).toBe(new Date(first).toISOString());
          }
        });
      });
    }

    describe('oracle-depeg', () => {
      beforeAll(async () => {
        await resetStore(handle.db);
        await loadSimulation(handle.db, simulate('oracle-depeg'));
      });

      it('claims no liquidity void: the market kept its depth while one oracle fell', async () => {
        await analyze(handle.db, configSchema.parse({}), { steps: ['cascades'] });
        const { stages } = await readStages(handle.db);
        expect(stages.filter((s) => s.stage === 'liquidity_void')).toEqual([]);
      });

      it('claims no liquidity withdrawal or void even when its liquidations are analysed as cascades', async () => {
        // Without the price test the oracle's liquidations form cascades; the trading around them is
        // as deep as before (the ground truth's depth factor stays above 0.99), which the stages must see.
        expect(Math.min(...simulate('oracle-depeg').groundTruth.depthMinimum.map((d) => Number(d.depthFactor)))).toBeGreaterThan(0.99);
        await analyze(handle.db, configSchema.parse({ analytics: { cascades: { minPriceMovePct: 0 } } }), { steps: ['cascades'] });
        const { cascades, stages } = await readStages(handle.db);
        expect(cascades.length).toBeGreaterThan(0);
        expect(stages.filter((s) => s.stage === 'liquidity_void' || s.stage === 'liquidity_withdrawal')).toEqual([]);
      });
    });
  });
});
