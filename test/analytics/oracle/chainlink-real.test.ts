import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../../src/analytics/analyze.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import type { Database, NewOraclePrice } from '../../../src/db/schema.ts';
import { REPO_ROOT } from '../../helpers/cli.ts';
import { forEachDatabase } from '../../helpers/db.ts';

/**
 * Real Chainlink round histories (shared/data/chainlink/README.md) through the oracle step:
 * - ETH/USD (0.5 % / 3600 s): every update classified heartbeat- or deviation-triggered; the test
 *   classifies each round itself from the file with the rule docs/analytics.md states (heartbeat when the
 *   heartbeat was due, i.e. the gap reached 3600 s less the 2 % grace, and the answer moved less than
 *   0.5 %; deviation otherwise) and compares row by row, then the shares, the longest gap and the stale
 *   windows (gaps past 3600 s plus the grace and a second of timestamp resolution);
 * - stETH/ETH (0.5 % / 86400 s) against a 1.0 peg: the 2022 discount as a deviation episode, with the
 *   episodes the test finds itself by walking the file with the stated rule (enter at ≥ 0.5 % from the
 *   peg, over below half of it, ended when back within 0.5 % for good; each answer in force until the next).
 * The rows are those the Chainlink decoder stores (test/protocols/chainlink/e2e-real-data.test.ts replays
 * the ETH/USD file through anvil and checks them): venue chainlink, market = feed address, price =
 * answer / 10^decimals exactly, time = updatedAt; the zero round is skipped as the decoder rejects it.
 */
const DATA = join(REPO_ROOT, '..', 'shared', 'data', 'chainlink');
const ETH_USD = join(DATA, 'eth-usd.csv');
const STETH_ETH = join(DATA, 'steth-eth.csv');
const present = existsSync(ETH_USD) && existsSync(STETH_ETH);
if (!present) console.warn(`skipping the Chainlink real-data oracle tests: ${DATA} is absent (it ships beside the repository, not in it)`);

const ETH_FEED = '0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419';
const STETH_FEED = '0x86392dc19c0b719886221c78ab11eb8cf5c52812';
const GRACE = 0.02;

interface Round {
  round: bigint;
  answer: bigint;
  updatedAt: number;
}

/** Valid rounds, oldest first (the file is newest first and ends with a zero round). */
function readRounds(path: string): { rounds: Round[]; zero: number } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  expect(lines[0]).toBe(',round,answer,start,update,answeredInRound');
  const all = lines.slice(1).map((line) => {
    const [, round, answer, , update] = line.split(',');
    return { round: BigInt(round!), answer: BigInt(answer!), updatedAt: Number(update) };
  });
  const rounds = all.filter((r) => r.answer > 0n).sort((a, b) => a.updatedAt - b.updatedAt || (a.round < b.round ? -1 : 1));
  return { rounds, zero: all.length - rounds.length };
}

/** answer / 10^decimals as a decimal string, by hand. */
function decimal(answer: bigint, decimals: number): string {
  const s = answer.toString().padStart(decimals + 1, '0');
  const fraction = s.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${s.slice(0, -decimals)}.${fraction}` : s.slice(0, -decimals);
}

function rows(rounds: readonly Round[], feed: string, asset: string, quote: string, decimals: number): NewOraclePrice[] {
  return rounds.map((r) => ({
    venue: 'chainlink',
    chain: 'ethereum',
    chain_id: 1,
    market: feed,
    symbol: `${asset}/${quote}`,
    asset,
    quote,
    price: decimal(r.answer, decimals),
    price_min: null,
    price_max: null,
    price_raw: r.answer.toString(),
    decimals,
    round_id: r.round.toString(),
    time: new Date(r.updatedAt * 1000),
    block_number: null,
    tx_hash: null,
    log_index: null,
    block_time: null,
    uid: `${feed}:${r.round}`,
    source_id: null,
    flags: [],
    extra: '{}',
  }));
}

/** The rule, applied by the test: per update after the first, its trigger, gap and whether it was late. */
function classify(rounds: readonly Round[], heartbeatS: number, deviationPct: number) {
  return rounds.slice(1).map((r, i) => {
    const prev = rounds[i]!;
    const gap = r.updatedAt - prev.updatedAt;
    const moveAbs = r.answer > prev.answer ? r.answer - prev.answer : prev.answer - r.answer;
    // |Δ| / prev ≥ deviationPct % ⇔ |Δ| · 100 ≥ deviationPct · prev (exact: deviationPct = 0.5 → 200 |Δ| ≥ prev)
    const moved = moveAbs * 1000n >= BigInt(Math.round(deviationPct * 10)) * prev.answer;
    const trigger = gap >= heartbeatS * (1 - GRACE) && !moved ? 'heartbeat' : 'deviation';
    return { time: r.updatedAt, prev: prev.updatedAt, gap, trigger, moved, late: gap > heartbeatS * (1 + GRACE) + 1 };
  });
}

/**
 * Deviation episodes against a peg, walked by the test: one starts at an answer ≥ threshold from the peg,
 * is over at an answer below half of it, and ended at the first answer back within the threshold after the
 * last one past it.
 */
function pegEpisodes(rounds: readonly Round[], decimals: number, thresholdPct: number, minDurationS: number) {
  const one = 10n ** BigInt(decimals);
  const episodes: { start: number; end: number | null; trough: bigint; troughAt: number }[] = [];
  let open: ((typeof episodes)[number] & { backWithin: number | null }) | null = null;
  for (const r of rounds) {
    const dev = Number(((r.answer - one) * 10n ** 9n) / one) / 1e7; // % of the peg
    if (!open) {
      if (Math.abs(dev) >= thresholdPct) open = { start: r.updatedAt, end: null, trough: r.answer, troughAt: r.updatedAt, backWithin: null };
      continue;
    }
    if (r.answer < open.trough) {
      open.trough = r.answer;
      open.troughAt = r.updatedAt;
    }
    if (Math.abs(dev) >= thresholdPct) open.backWithin = null;
    else open.backWithin ??= r.updatedAt;
    if (Math.abs(dev) < thresholdPct / 2) {
      const { backWithin, ...episode } = open;
      episode.end = backWithin;
      if (episode.end! - episode.start >= minDurationS) episodes.push(episode);
      open = null;
    }
  }
  if (open) {
    const { backWithin: _backWithin, ...episode } = open;
    episodes.push(episode);
  }
  return episodes;
}

const config = configSchema.parse({
  analytics: {
    oracle: {
      feeds: [
        { venue: 'chainlink', market: ETH_FEED, heartbeatSeconds: 3600, deviationPct: 0.5 },
        { venue: 'chainlink', market: STETH_FEED, heartbeatSeconds: 86400, deviationPct: 0.5 },
      ],
      reference: { assets: { STETH: { kind: 'peg', price: 1 } } },
    },
  },
});

forEachDatabase((dbName, open) => {
  describe.skipIf(!present)(`Chainlink real rounds through the oracle step on ${dbName}`, () => {
    let handle: LiqscopeDb;
    let db: Kysely<Database>;
    const eth = present ? readRounds(ETH_USD) : { rounds: [], zero: 0 };
    const steth = present ? readRounds(STETH_ETH) : { rounds: [], zero: 0 };

    beforeAll(async () => {
      handle = await open();
      db = handle.db;
      const all = [...rows(eth.rounds, ETH_FEED, 'ETH', 'USD', 8), ...rows(steth.rounds, STETH_FEED, 'STETH', 'ETH', 18)];
      for (let i = 0; i < all.length; i += 2000) await db.insertInto('oracle_prices').values(all.slice(i, i + 2000)).execute();
      await analyze(db, config, { steps: ['oracle'] });
    }, 120_000);
    afterAll(() => handle?.close());

    it('reads the files as the README describes them', () => {
      expect(eth.rounds).toHaveLength(11_106);
      expect(eth.zero).toBe(1);
      expect(steth.rounds).toHaveLength(745);
    });

    it('ETH/USD: every update classified as the rule says, row by row; the shares and the longest gap', async () => {
      const expected = classify(eth.rounds, 3600, 0.5);
      const { rows: health } = await sql<{ t: number; trigger: string | null; gap_s: number | null; late: boolean | null; deviation_met: boolean | null }>`
        select extract(epoch from time)::float8 as t, trigger, gap_s, late, deviation_met
        from oracle_feed_health where market = ${ETH_FEED} order by time, oracle_price_id`.execute(db);
      expect(health).toHaveLength(11_106);
      // The first update the store holds has no previous update to measure from: the only one unclassified.
      expect(health[0]!.trigger).toBeNull();
      expect(health.slice(1).map((h) => [h.t, h.trigger, h.gap_s, h.late, h.deviation_met])).toEqual(
        expected.map((e) => [e.time, e.trigger, e.gap, e.late, e.moved]),
      );

      const heartbeats = expected.filter((e) => e.trigger === 'heartbeat').length;
      const deviations = expected.filter((e) => e.trigger === 'deviation').length;
      expect(heartbeats + deviations).toBe(11_105);
      // both kinds are common in this feed: a rule that put everything in one bucket fails here
      expect(heartbeats).toBeGreaterThan(3000);
      expect(deviations).toBeGreaterThan(3000);
      const { rows: summary } = await sql<{ updates: string; classified: string; heartbeat_share: number; deviation_share: number; longest_gap_s: number; late_updates: string }>`
        select updates::text, classified::text, heartbeat_share, deviation_share, longest_gap_s, late_updates::text
        from oracle_feed_summary where market = ${ETH_FEED}`.execute(db);
      expect(summary).toHaveLength(1);
      const s = summary[0]!;
      expect(Number(s.updates)).toBe(11_106);
      expect(Number(s.classified)).toBe(11_105);
      expect(s.heartbeat_share).toBeCloseTo(heartbeats / 11_105, 12);
      expect(s.deviation_share).toBeCloseTo(deviations / 11_105, 12);
      expect(s.longest_gap_s).toBe(Math.max(...expected.map((e) => e.gap)));
      expect(Number(s.late_updates)).toBe(expected.filter((e) => e.late).length);
    });

    it('ETH/USD: a stale window for every gap past the heartbeat, from when it was due to the next update', async () => {
      const late = classify(eth.rounds, 3600, 0.5).filter((e) => e.late);
      expect(late.length).toBeGreaterThan(0);
      const { rows: stale } = await sql<{ start: number; end: number | null; last: number }>`
        select extract(epoch from start_time)::float8 as start, extract(epoch from end_time)::float8 as end,
               extract(epoch from last_update_time)::float8 as last
        from oracle_episodes where market = ${ETH_FEED} and kind = 'stale' order by start_time`.execute(db);
      expect(stale).toEqual(late.map((e) => ({ start: e.prev + 3600, end: e.time, last: e.prev })));
    });

    it('stETH/ETH against a 1.0 peg: the 2022 discount is an episode (start, trough about 0.935, end)', async () => {
      const expected = pegEpisodes(steth.rounds, 18, 0.5, 60);
      const discount = expected.find((e) => e.trough < 95n * 10n ** 16n)!;
      // what the README says of the file, checked on the test's own walk
      expect(Number(discount.trough) / 1e18).toBeCloseTo(0.935, 3);
      expect(new Date(discount.start * 1000).toISOString().slice(0, 7)).toBe('2022-05');

      const { rows: episodes } = await sql<{ start: number; end: number | null; peak_venue_price: string; peak_time: number; peak_deviation_pct: number; cause: string; threshold_pct: number }>`
        select extract(epoch from start_time)::float8 as start, extract(epoch from end_time)::float8 as end, peak_venue_price::text,
               extract(epoch from peak_time)::float8 as peak_time, peak_deviation_pct, cause, threshold_pct
        from oracle_episodes where market = ${STETH_FEED} and kind = 'deviation' order by start_time`.execute(db);
      expect(episodes.map((e) => [e.start, e.end])).toEqual(expected.map((e) => [e.start, e.end]));
      const found = episodes.find((e) => e.start === discount.start)!;
      expect(found.end).toBe(discount.end);
      expect(found.peak_venue_price).toBe(decimal(discount.trough, 18));
      expect(found.peak_time).toBe(discount.troughAt);
      expect(found.peak_deviation_pct).toBeCloseTo((Number(discount.trough) / 1e18 - 1) * 100, 9);
      // a price below its peg by a published answer: the feed reported the market (no missed heartbeat)
      expect(found.cause).toBe('published');
      expect(found.threshold_pct).toBe(0.5);
    });

    it('re-running the range changes nothing', async () => {
      const snapshot = async () => ({
        health: (await sql`select oracle_price_id, trigger, gap_s, move_pct, late from oracle_feed_health order by oracle_price_id`.execute(db)).rows,
        episodes: (await sql`select kind, cause, venue, market, start_time, end_time, peak_deviation_pct, peak_venue_price from oracle_episodes order by market, kind, start_time`.execute(db)).rows,
      });
      const before = await snapshot();
      await analyze(db, config, { steps: ['oracle'] });
      expect(await snapshot()).toEqual(before);
    }, 60_000);
  });
});
