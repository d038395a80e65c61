import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../../src/analytics/analyze.ts';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database } from '../../../src/db/schema.ts';
import { analysisContextOf } from '../../../src/pipeline/protocol.ts';
import { forEachDatabase } from '../../helpers/db.ts';
import { at, BLOCKS, HAND_ORACLE_PARAMS, HAND_SOURCES, TRADERS } from './hand-gmx.ts';
import { storeLogs } from './log-store.ts';

/**
 * A GMX v2 liquidation is stamped with its block's second, so the reference is the other venues' prices
 * as they stood at the end of that second. The hand-computed liquidation of trader A (hand-gmx.ts, as in
 * store-verdicts.test.ts): a 10 ETH long at GMX's 1,910, liquidatable below 1,922, at 21:00:30 while
 * Chainlink said 1,950 (its update of 21:00:00). Here Hyperliquid also traded ETH:
 *
 * - one-second bar [21:00:30, 21:00:31): last trade at 21:00:30.400 at 1,915: inside A's second, so it
 *   counts, as fresh as the event (age 0);
 * - one-second bar [21:00:31, 21:00:32): last trade at 21:00:31.200 at 1,900: the next second, so it does
 *   not count at the liquidation (it does in the reference just after).
 *
 * By hand, at the liquidation: median(1,950, 1,915) = 1,932.5; the sources' median absolute deviation
 * 17.5, 0.9056 % of it; distance to the threshold (1,932.5 − 1,922) / 1,932.5 = 0.5433 %. Just after (no
 * Chainlink update within 60 s, so the wait ends at 21:01:30.999): median(1,950, 1,900) = 1,925, deviation
 * 25 = 1.2987 %, distance (1,925 − 1,922) / 1,925 = 0.1558 %. The tolerance is the widest of 0.5 % and the
 * two dispersions, 1.2987 %: both distances are inside it, so the verdict is `borderline`, where Chainlink
 * alone (the reference at 21:00:30.000) made it `erroneous`.
 */
const config = configSchema.parse({ analytics: { oracle: HAND_ORACLE_PARAMS } });
const context = analysisContextOf(PROTOCOLS);

const bar = (start: Date, lastTradeAt: Date, close: string) => ({
  venue: 'hyperliquid',
  market: 'ETH',
  asset: 'ETH',
  quote: 'USD',
  interval: '1s' as const,
  time: start,
  trades: '1',
  volume: '1',
  open: close,
  high: close,
  low: close,
  close,
  first_trade_at: lastTradeAt,
  last_trade_at: lastTradeAt,
});

interface CheckOfA {
  verdict: string;
  reason: string | null;
  reference_price: string;
  reference_sources: { venue: string; kind: string; price: number; ageS: number }[] | string;
  reference_age_s: number;
  reference_dispersion_pct: number;
  reference_after_price: string;
  distance_to_threshold_pct: number;
  distance_after_pct: number;
  tolerance_pct: number;
}

forEachDatabase((dbName, open) => {
  describe(`a block-stamped liquidation against the reference at the end of its second, on ${dbName}`, () => {
    let handle: LiqscopeDb;
    let db: Kysely<Database>;
    let a: CheckOfA;
    beforeAll(async () => {
      handle = await open();
      db = handle.db;
      await storeLogs(db, HAND_SOURCES, BLOCKS);
      await db
        .insertInto('trade_bars')
        .values([bar(at(30), new Date(at(30).getTime() + 400), '1915'), bar(at(31), new Date(at(31).getTime() + 200), '1900')])
        .execute();
      await analyze(db, config, { steps: ['oracle'], context });
      const { rows } = await sql<CheckOfA>`
        select c.verdict, c.reason, c.reference_price::text, c.reference_sources, c.reference_age_s, c.reference_dispersion_pct,
               c.reference_after_price::text, c.distance_to_threshold_pct, c.distance_after_pct, c.tolerance_pct
        from liquidation_oracle_checks c join liquidations l on l.id = c.liquidation_id
        where lower(l.account) = ${TRADERS.A}`.execute(db);
      expect(rows).toHaveLength(1);
      a = rows[0]!;
    }, 60_000);
    afterAll(() => handle?.close());

    it('counts a price of the same second, as fresh as the event, and not one of the next second', () => {
      const sources = typeof a.reference_sources === 'string' ? (JSON.parse(a.reference_sources) as Exclude<CheckOfA['reference_sources'], string>) : a.reference_sources;
      expect(sources.map((s) => [s.venue, s.kind, s.price, s.ageS])).toEqual([
        ['chainlink', 'oracle', 1950, 30],
        ['hyperliquid', 'bar', 1915, 0],
      ]);
      expect(Number(a.reference_price)).toBe(1932.5);
      expect(a.reference_age_s).toBe(30);
      expect(a.reference_dispersion_pct).toBeCloseTo((100 * 17.5) / 1932.5, 9);
      expect(a.distance_to_threshold_pct).toBeCloseTo((100 * (1932.5 - 1922)) / 1932.5, 9);
    });

    it('the reference just after takes the next second; the verdict holds against both, within their disagreement', () => {
      expect(Number(a.reference_after_price)).toBe(1925);
      expect(a.distance_after_pct).toBeCloseTo((100 * (1925 - 1922)) / 1925, 9);
      expect(a.tolerance_pct).toBeCloseTo((100 * 25) / 1925, 9);
      expect(a.verdict).toBe('borderline');
      expect(a.reason).toBeNull();
    });
  });
});
