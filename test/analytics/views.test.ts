import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analytics/analyze.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { Dec } from '../helpers/exact-decimal.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { loadSimulation, simulate } from '../helpers/sim-store.ts';
import { numericText, truthFills, type TruthFill } from './cascade-truth.ts';

/**
 * The analysts' views (migration 0004) against counts and sums computed from the simulator's ground
 * truth of two-shocks (three venues, both sides, ADL): every liquidation and ADL fill across venues
 * in USD with asset, side and cascade; per second and per minute per venue, asset, side and kind.
 */
interface Bucket {
  events: number;
  usd: Dec;
  accounts: Set<string>;
}

function aggregate(fills: readonly TruthFill[], unitMs: number): Map<string, Bucket> {
  const out = new Map<string, Bucket>();
  for (const f of fills) {
    const key = [new Date(Math.floor(f.timeMs / unitMs) * unitMs).toISOString(), f.venue, f.asset, f.side, f.kind === 'L' ? 'liquidation' : 'adl'].join('|');
    const b = out.get(key) ?? out.set(key, { events: 0, usd: Dec.zero(), accounts: new Set() }).get(key)!;
    b.events++;
    b.usd = b.usd.plus(f.usd);
    b.accounts.add(f.account);
  }
  return out;
}

forEachDatabase((dbName, open) => {
  describe(`analysts' views on ${dbName} (two-shocks)`, () => {
    let handle: LiqscopeDb;
    let fills: TruthFill[];
    beforeAll(async () => {
      handle = await open();
      const { gt } = await loadSimulation(handle.db, simulate('two-shocks'));
      fills = truthFills(gt);
      await analyze(handle.db, configSchema.parse({}), { steps: ['cascades'] });
    });
    afterAll(async () => {
      await handle?.close();
    });

    it('liquidation_events lists every fill of every venue once, in USD, with asset, side and its cascade', async () => {
      const { rows } = await sql<{ kind: string; venue: string; asset: string; side: string; n: number; usd: string; in_cascade: number }>`
        select kind, venue, asset, side, count(*)::integer as n, sum(usd)::text as usd, count(cascade_id)::integer as in_cascade
          from liquidation_events group by 1, 2, 3, 4 order by 1, 2, 3, 4`.execute(handle.db);
      const { rows: spans } = await sql<{ cascade_id: string; start_time: Date; end_time: Date }>`select cascade_id, start_time, end_time from cascades where scope = 'all'`.execute(handle.db);
      expect(spans).toHaveLength(2);
      const expected = new Map<string, { n: number; usd: Dec; inCascade: number }>();
      for (const f of fills) {
        const key = [f.kind === 'L' ? 'liquidation' : 'adl', f.venue, f.asset, f.side].join('|');
        const e = expected.get(key) ?? expected.set(key, { n: 0, usd: Dec.zero(), inCascade: 0 }).get(key)!;
        e.n++;
        e.usd = e.usd.plus(f.usd);
        if (spans.some((c) => c.start_time.getTime() <= f.timeMs && f.timeMs <= c.end_time.getTime())) e.inCascade++;
      }
      expect(Object.fromEntries(rows.map((r) => [[r.kind, r.venue, r.asset, r.side].join('|'), { n: r.n, usd: numericText(r.usd), inCascade: r.in_cascade }]))).toEqual(
        Object.fromEntries([...expected].map(([k, e]) => [k, { n: e.n, usd: e.usd.toString(), inCascade: e.inCascade }])),
      );
    });

    for (const [view, unit, ms] of [['liquidations_per_second', 'second', 1_000], ['liquidations_per_minute', 'minute', 60_000]] as const) {
      it(`${view} holds, per ${unit}, venue, asset, side and kind, the fills, notional and accounts of the ground truth`, async () => {
        const { rows } = await sql<{ t: Date; venue: string; asset: string; side: string; kind: string; events: string; usd: string; accounts: string }>`
          select ${sql.ref(unit)} as t, venue, asset, side, kind, events::text as events, usd::text as usd, accounts::text as accounts from ${sql.table(view)}`.execute(handle.db);
        const actual = Object.fromEntries(rows.map((r) => [[r.t.toISOString(), r.venue, r.asset, r.side, r.kind].join('|'), { events: Number(r.events), usd: numericText(r.usd), accounts: Number(r.accounts) }]));
        const expected = Object.fromEntries([...aggregate(fills, ms)].map(([k, b]) => [k, { events: b.events, usd: b.usd.toString(), accounts: b.accounts.size }]));
        expect(Object.keys(actual).length).toBeGreaterThan(unit === 'second' ? 20 : 2);
        expect(actual).toEqual(expected);
      });
    }
  });
});
