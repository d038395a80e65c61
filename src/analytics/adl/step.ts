import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { adlParamsSchema, type AdlParams } from '../params.ts';
import { scopeKey } from '../scope.ts';
import type { AnalysisScope, AnalysisStep } from '../step.ts';
import { sweepWaveGaps } from './gap-sweep.ts';
import { writeHaircut } from './haircut.ts';
import { writeLosersDeficit } from './losers-deficit.ts';
import { writeRankingCheck } from './ranking-check.ts';
import { createWaveFills, WAVE_FILLS } from './wave-fills.ts';

/**
 * ADL waves (docs/analytics.md, "ADL waves"): per venue, the ADL fills split by a gap (arXiv
 * 2512.01112's method), with per wave its fills, accounts and notional, the needed budget
 * Σ|mark − exec|·|q|, the PnL the deleveraged accounts realised, the losers' deficit where account
 * equity is known, the production haircut at the wave's end and the overshoot, and a rank-correlation
 * check of the order accounts were picked in against the venue's documented ranking. All in SQL: the
 * fills never come into JavaScript.
 */
export const adlWavesStep: AnalysisStep<unknown> = {
  name: 'adl',
  // a wave names the cascade it started in
  after: ['cascades'],
  async run(trx, scope, rawParams, context) {
    const params = parseAdlParams(rawParams);
    // The configuration's rankings override the ones the protocols declare (the venue knowledge the engine may not import).
    return runAdlWaves(trx, scope, { ...params, rankings: { ...context?.adlRankings, ...params.rankings } });
  },
};

/** Parameters that do not validate: the message names each field as the configuration spells it. */
export class AdlParamsError extends Error {
  override name = 'AdlParamsError';
}

function parseAdlParams(raw: unknown): AdlParams {
  const parsed = adlParamsSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const where = (path: readonly PropertyKey[]) => `analytics.adl${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
  throw new AdlParamsError(parsed.error.issues.map((issue) => `${where(issue.path)}: ${issue.message}`).join('; '));
}

/** The id of a wave: its venue and first fill, and the scope when the run was limited (as wave-fills.ts builds it in SQL). */
export function waveId(venue: string, startMs: number, scope: string): string {
  const id = `W-${venue}-${new Date(startMs).toISOString()}`;
  return scope === 'all' ? id : `${id}@${scope}`;
}

async function runAdlWaves(trx: Transaction<Database>, scope: AnalysisScope, params: AdlParams): Promise<Record<string, unknown>> {
  const started = performance.now();
  const key = scopeKey(scope.venues, scope.assets);
  const deleted = await sql`delete from adl_waves where scope = ${key} and start_time < ${scope.to} and end_time >= ${scope.from}`.execute(trx);
  const fills = await createWaveFills(trx, scope, key, params);

  const sweep = await sweepWaveGaps(trx, [...params.sweepGapsMs, params.gapMs]);
  for (const row of sweep) {
    await sql`insert into adl_gap_sweep (run_id, venue, gap_ms, waves, median_fills, max_fills, median_seconds, is_default)
      values (${scope.runId}, ${row.venue}, ${row.gapMs}, ${row.waves}, ${row.medianFills}, ${row.maxFills}, ${row.medianSeconds}, ${row.gapMs === params.gapMs})`.execute(trx);
  }

  const paramsJson = JSON.stringify({ ...params, scope: key });
  const inserted = await sql`insert into adl_waves (wave_id, run_id, scope, params, venue, start_time, end_time, fills, accounts, liquidated_accounts, assets,
      notional_usd, long_usd, short_usd, needed_budget_usd, budget_fills, realised_pnl_usd, ranking_key, evidence)
    select wave_id, ${scope.runId}, ${key}, ${paramsJson}::jsonb, venue, min(time), max(time), count(*),
           count(distinct account), count(distinct counterparty),
           coalesce(array_agg(distinct asset order by asset) filter (where asset is not null), '{}'),
           sum(size_usd), coalesce(sum(size_usd) filter (where side = 'long'), 0), coalesce(sum(size_usd) filter (where side = 'short'), 0),
           sum(abs(mark - price) * abs(size)) filter (where mark is not null and price is not null and size is not null),
           count(*) filter (where mark is not null and price is not null and size is not null),
           sum(pnl_usd), min(ranking),
           jsonb_build_object(
             'markSources', jsonb_build_object('row', count(*) filter (where mark_source = 'row'), 'venueOracle', count(*) filter (where mark_source = 'oracle'), 'none', count(*) filter (where mark is null)),
             'fillsWithPnl', count(*) filter (where pnl_usd is not null),
             'fillsWithCounterparty', count(*) filter (where counterparty is not null),
             'gapMs', ${params.gapMs}::integer)
      from ${WAVE_FILLS} group by wave_id, venue`.execute(trx);

  await writeLosersDeficit(trx, scope.runId);
  await writeHaircut(trx, scope.runId);
  await writeRankingCheck(trx, scope.runId);
  // A wave belongs to the cascade (of the same scope) it started in; the cascades step runs first.
  await sql`update adl_waves w set cascade_id = c.cascade_id from cascades c
    where w.run_id = ${scope.runId} and c.scope = w.scope and c.start_time <= w.start_time and c.end_time >= w.start_time`.execute(trx);

  return {
    fills,
    deletedWaves: Number(deleted.numAffectedRows ?? 0),
    waves: Number(inserted.numAffectedRows ?? 0),
    gapMs: params.gapMs,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
}
