import { sql, type Kysely, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/schema.ts';
import type { FeedUpdateRule } from '../../pipeline/feed-rules.ts';
import type { VenueMarginRules } from '../../pipeline/margin-rules.ts';
import type { AnalysisScope, AnalysisStep } from '../step.ts';
import { insertChecks } from './check-columns.ts';
import type { CheckResult } from './check-liquidation.ts';
import type { Episode } from './episodes.ts';
import { writeFeedHealth } from './feed-health.ts';
import { oracleParamsSchema, type OracleParams } from './params.ts';
import { assetsInRange, type LiquidationRow } from './store-pages.ts';
import type { OracleTables } from './tables.ts';
import { walkAsset } from './walk-asset.ts';

/**
 * The `oracle` step of `liqscope analyze` (issue 14): per liquidation, the venue's price against a
 * reference and the position's counterfactual at it (`liquidation_oracle_checks`); per feed update, its
 * trigger (`oracle_feed_health`); stale windows and deviation episodes (`oracle_episodes`). Reads only the
 * canonical tables; the venues' margin rules come from the composition root (each protocol's
 * `marginRules`), since analytics imports no protocol. Re-running a range replaces its results.
 */
export const ORACLE_STEP = 'oracle';

export class OracleParamsError extends Error {
  override name = 'OracleParamsError';
}

/**
 * The step. The venues' margin rules come in the run's context (the composition root's protocols);
 * without rules for a venue, its liquidations get the verdict `unknown` (reason `no_margin_rules`), and
 * the figures list the venues that had rules.
 */
export const oracleStep: AnalysisStep<unknown> = {
  name: ORACLE_STEP,
  run: (trx, scope, params, context) => runOracleStep(trx, scope, params, context?.marginRules ?? [], context?.feedRules ?? []),
};

async function runOracleStep(
  trx: Transaction<Database> | Kysely<Database>,
  scope: AnalysisScope,
  rawParams: unknown,
  marginRules: readonly VenueMarginRules<unknown>[],
  knownFeeds: readonly FeedUpdateRule[],
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const params = parseParams(oracleParamsSchema, rawParams ?? {}, 'analytics.oracle');
  const rulesByVenue = new Map(marginRules.map((r) => [r.venue, r]));
  const ruleParamsByVenue = new Map<string, unknown>();
  for (const rules of marginRules) {
    ruleParamsByVenue.set(rules.venue, parseParams(rules.params, params.margin[rules.venue] ?? {}, `analytics.oracle.margin.${rules.venue}`));
  }
  for (const venue of Object.keys(params.margin)) {
    if (!rulesByVenue.has(venue)) throw new OracleParamsError(`analytics.oracle.margin.${venue}: no venue ${venue} has margin rules (known: ${[...rulesByVenue.keys()].join(', ') || 'none'})`);
  }
  const feedRules = { configured: params.feeds, known: knownFeeds };
  const ownGroup = new Map<string, string>();
  for (const rules of marginRules) for (const venue of rules.ownPriceVenues) ownGroup.set(venue, rules.venue);
  const groupOf = (venue: string) => ownGroup.get(venue) ?? venue;

  const store = trx as Kysely<Database>;
  const db = store.withTables<OracleTables>();
  const { from, to } = scope;
  const venueFilter = (column: string) => (scope.venues.length > 0 ? sql`and ${sql.ref(column)} in (${sql.join(scope.venues)})` : sql``);
  const assetFilter = (column: string) => (scope.assets.length > 0 ? sql`and ${sql.ref(column)} in (${sql.join(scope.assets)})` : sql``);

  // Re-running a range replaces it.
  await sql`delete from liquidation_oracle_checks where time >= ${from} and time < ${to} ${venueFilter('venue')} ${assetFilter('asset')}`.execute(db);
  await sql`delete from oracle_feed_health where time >= ${from} and time < ${to} ${venueFilter('venue')} ${assetFilter('asset')}`.execute(db);
  const episodeVenues = scope.venues.length > 0 ? sql`and (venue in (${sql.join(scope.venues)}) or liquidation_venue in (${sql.join(scope.venues)}))` : sql``;
  await sql`delete from oracle_episodes where start_time >= ${from} and start_time < ${to} ${episodeVenues} ${assetFilter('asset')}`.execute(db);

  const health = await writeFeedHealth(store, {
    runId: scope.runId,
    from,
    to,
    venues: scope.venues,
    assets: scope.assets,
    feeds: feedRules,
    grace: params.heartbeatGracePct / 100,
  });

  const checkParams = checkParamsOf(params, ruleParamsByVenue);
  const verdicts: Record<string, number> = { erroneous: 0, borderline: 0, justified: 0, unknown: 0 };
  const unknownReasons: Record<string, number> = {};
  let dollarsLost = 0;
  const episodes: Episode[] = [];
  const assets = await assetsInRange(store, from, to, scope.assets);
  for (const key of assets) {
    // whose prices liquidate positions of this asset: judged against any reference; other feeds need two
    const liquidatingGroups = new Set([...rulesByVenue.keys(), ...key.liquidatingVenues].map(groupOf));
    const walk = await walkAsset(store, key, key.series, {
      ...(scope.reader ? { reader: scope.reader } : {}),
      liquidatingGroups,
      from,
      to,
      venues: scope.venues,
      params,
      feedRules,
      rulesByVenue,
      ruleParamsByVenue,
      groupOf,
      writeChecks: async (checks) => {
        for (const { result } of checks) {
          verdicts[result.verdict] = (verdicts[result.verdict] ?? 0) + 1;
          if (result.verdict === 'unknown' && result.reason) unknownReasons[result.reason] = (unknownReasons[result.reason] ?? 0) + 1;
          if (result.dollarsLostUsd !== null) dollarsLost += result.dollarsLostUsd;
        }
        await insertChecks(store, checks.map((c) => checkRow(scope.runId, c.liquidation, c.result, checkParams(c.liquidation))));
      },
    });
    episodes.push(...walk.episodes);
  }

  for (let i = 0; i < episodes.length; i += 500) {
    await db
      .insertInto('oracle_episodes')
      .values(episodes.slice(i, i + 500).map((e) => episodeRow(scope.runId, e, params)))
      .onConflict((oc) => oc.columns(['venue', 'market', 'kind', 'start_time']).doNothing())
      .execute();
  }
  // Liquidations inside each episode of this run (of the venue its feed prices), and each check's episode:
  // a deviation episode before a stale window when both hold it. Only the checks inside an episode are
  // updated: setting every check of the run (most to NULL) rewrote a million rows (37.7 s on the bench).
  await sql`
    update oracle_episodes e set liquidations_inside = (
      select count(*) from liquidations l
      where l.venue = e.liquidation_venue and l.asset = e.asset and l.quote = e.quote
        and l.time >= e.start_time and (e.end_time is null or l.time <= e.end_time))
    where e.run_id = ${scope.runId}`.execute(db);
  await sql`
    update liquidation_oracle_checks c set episode_id = m.id
      from (select distinct on (inside.liquidation_id) inside.liquidation_id, e.id
              from oracle_episodes e
              join liquidation_oracle_checks inside
                on inside.venue = e.liquidation_venue and inside.asset = e.asset and inside.quote = e.quote
               and inside.time >= e.start_time and (e.end_time is null or inside.time <= e.end_time)
             where inside.run_id = ${scope.runId}
             order by inside.liquidation_id, (e.kind = 'deviation') desc, e.start_time desc) m
     where c.liquidation_id = m.liquidation_id`.execute(db);

  const byKind: Record<string, number> = {};
  for (const e of episodes) byKind[`${e.kind}:${e.cause}`] = (byKind[`${e.kind}:${e.cause}`] ?? 0) + 1;
  return {
    assets: assets.map((a) => `${a.asset}/${a.quote}`),
    liquidationsChecked: Object.values(verdicts).reduce((a, b) => a + b, 0),
    verdicts,
    unknownReasons,
    dollarsLostUsd: round6(dollarsLost),
    episodes: byKind,
    feedsClassified: health.feeds,
    feedUpdatesClassified: health.updates,
    marginRules: [...rulesByVenue.keys()],
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
}

function parseParams<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = [path, ...issue.path.map(String)].join('.');
  throw new OracleParamsError(`${where}: ${issue.message}`);
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** NUMERIC text of a derived float (micro-units for USD), null when not finite. */
function numeric(x: number | null, places?: number): string | null {
  if (x === null || !Number.isFinite(x)) return null;
  return places === undefined ? String(x) : x.toFixed(places);
}

const float = (x: number | null): number | null => (x === null || Number.isNaN(x) ? null : x);

function checkRow(runId: string, l: LiquidationRow, r: CheckResult, paramsJson: string) {
  return {
    liquidation_id: l.id,
    run_id: runId,
    venue: l.venue,
    market: l.market,
    asset: l.asset,
    quote: l.quote,
    side: l.side,
    time: l.time,
    venue_price: numeric(r.venuePrice),
    venue_price_kind: r.venuePriceKind,
    venue_price_time: r.venuePriceTime,
    venue_price_staleness_s: r.venuePriceStalenessS,
    venue_heartbeat_s: r.venueHeartbeatS,
    venue_price_stale: r.venuePriceStale,
    reference_price: numeric(r.referencePrice),
    reference_method: r.referenceMethod,
    reference_sources: JSON.stringify(r.referenceSources),
    reference_source_count: r.referenceSources.length,
    reference_age_s: r.referenceAgeS,
    reference_dispersion_pct: r.referenceDispersionPct,
    reference_after_price: numeric(r.referenceAfterPrice),
    reference_after_delay_s: r.referenceAfterDelayS,
    deviation_bps: float(r.deviationBps),
    equity_at_reference_usd: numeric(r.equityAtReferenceUsd, 6),
    maintenance_at_reference_usd: numeric(r.maintenanceAtReferenceUsd, 6),
    equity_at_venue_price_usd: numeric(r.equityAtVenuePriceUsd, 6),
    maintenance_at_venue_price_usd: numeric(r.maintenanceAtVenuePriceUsd, 6),
    threshold_price: numeric(r.thresholdPrice),
    distance_to_threshold_pct: float(r.distanceToThresholdPct),
    distance_after_pct: float(r.distanceAfterPct),
    tolerance_pct: r.tolerancePct,
    verdict: r.verdict,
    reason: r.reason,
    detail: r.detail,
    kept_usd: numeric(r.keptUsd, 6),
    dollars_lost_usd: numeric(r.dollarsLostUsd, 6),
    notes: r.notes,
    params: paramsJson,
  };
}

/**
 * Each check's parameters as JSON: the step's, the reference method of its asset and the margin rules'
 * parameters of its venue. One string per (venue, asset), made once: stringifying it per check took
 * about 3 s of the analyze bench's million checks, and the insert encodes a repeated string once.
 */
function checkParamsOf(params: OracleParams, ruleParams: ReadonlyMap<string, unknown>): (l: LiquidationRow) => string {
  const made = new Map<string, string>();
  return (l) => {
    const key = `${l.venue}\u0000${l.asset ?? ''}`;
    let json = made.get(key);
    if (json === undefined) {
      const method = (l.asset && params.reference.assets[l.asset]) || params.reference.default;
      json = JSON.stringify({
        tolerancePct: params.tolerancePct,
        heartbeatGracePct: params.heartbeatGracePct,
        reference: method,
        maxAgeSeconds: params.reference.maxAgeSeconds,
        afterSeconds: params.reference.afterSeconds,
        margin: ruleParams.get(l.venue) ?? null,
      });
      made.set(key, json);
    }
    return json;
  };
}

/** An episode's id: what it is, whose feed, and when it started (stable across re-runs of a range). */
export function episodeId(e: Episode): string {
  return `${e.kind}:${e.feed.venue}:${e.feed.market}:${new Date(e.startMs).toISOString()}`;
}

function episodeRow(runId: string, e: Episode, params: OracleParams) {
  return {
    id: episodeId(e),
    run_id: runId,
    kind: e.kind,
    cause: e.cause,
    venue: e.feed.venue,
    market: e.feed.market,
    asset: e.feed.asset,
    quote: e.feed.quote,
    liquidation_venue: e.feed.liquidationVenue,
    start_time: new Date(e.startMs),
    end_time: e.endMs === null ? null : new Date(e.endMs),
    duration_s: e.endMs === null ? null : (e.endMs - e.startMs) / 1000,
    last_update_time: e.lastUpdateMs === null ? null : new Date(e.lastUpdateMs),
    peak_deviation_pct: e.peakDeviationPct,
    peak_time: e.peakMs === null ? null : new Date(e.peakMs),
    peak_venue_price: numeric(e.peakVenuePrice),
    peak_reference_price: numeric(e.peakReferencePrice),
    threshold_pct: e.thresholdPct,
    heartbeat_s: e.feed.heartbeatMs === null ? null : e.feed.heartbeatMs / 1000,
    evaluations: e.evaluations,
    params: JSON.stringify({ episodes: params.episodes, heartbeatGracePct: params.heartbeatGracePct, deviationPct: e.feed.deviationPct }),
  };
}
