import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { REPORT_FORMAT, type Figure, type Report, type Section } from './figure.ts';
import { formatTime } from './format-cell.ts';
import { inReadOnlySnapshot, type ReportDb } from './run-figure.ts';
import { resolveScope, type ReportRequest, type ReportScope } from './scope.ts';
import { createSectionContext, type SectionContext } from './sections/section-context.ts';
import { isEmptyScope, keyFigures, peaks, summarySection } from './sections/summary.ts';
import { liquidationsSection } from './sections/liquidations.ts';
import { methodologySection } from './sections/methodology.ts';
import { assetsToDraw, pricePath } from './sections/price-path.ts';
import { cascadesInScope } from './sections/cascades.ts';
import { analyticsAtAGlance } from './sections/analytics-summary.ts';
import { timelineSection } from './sections/timeline.ts';
import { adlSection } from './sections/adl.ts';
import { oracleSection } from './sections/oracle.ts';
import { cascadeAssetFigures } from './sections/microstructure.ts';
import { dynamicsSection } from './sections/dynamics.ts';
import { comparisonSection } from './sections/comparison.ts';
import { analysisRunFigures } from './sections/analysis-runs.ts';
import { REPORT_VERSION } from './version.ts';

export interface BuildReportOptions {
  /** Report time (the JSON's generatedAt); tests pass a fixed one. */
  now?: Date;
  title?: string;
}

/**
 * Resolves the scope and runs every figure of every section in one read-only snapshot. A scope with
 * no liquidation and no ADL gives the short form: the key figures (all zero) and the data coverage,
 * which says whether the store held data for that range at all.
 */
export async function buildReport(db: Kysely<Database>, request: ReportRequest, options: BuildReportOptions = {}): Promise<Report> {
  return inReadOnlySnapshot(db, async (trx) => {
    const scope = await resolveScope(trx, request);
    const ctx = createSectionContext(trx, scope, await relationsOf(trx));
    const key = await keyFigures(ctx);
    const empty = isEmptyScope(key);
    const sections = empty ? await shortForm(ctx, key) : await fullForm(ctx, key);
    return {
      format: REPORT_FORMAT,
      title: options.title ?? defaultTitle(scope),
      generatedAt: (options.now ?? new Date()).toISOString(),
      generator: { name: 'liqscope', version: REPORT_VERSION },
      scope: scopeJson(scope),
      empty,
      sections,
    } satisfies Report;
  });
}

async function shortForm(ctx: SectionContext, key: Awaited<ReturnType<typeof keyFigures>>): Promise<Section[]> {
  const what = [ctx.scope.venues.length ? `on ${ctx.scope.venues.join(', ')}` : '', ctx.scope.assets.length ? `for ${ctx.scope.assets.join(', ')}` : ''].filter(Boolean).join(' ');
  return [
    summarySection(key, null, [], [
      `No liquidation and no ADL fill ${what ? `${what} ` : ''}between ${formatTime(ctx.scope.from.toISOString())} and ${formatTime(ctx.scope.to.toISOString())} UTC. The section below shows what the store holds for this window, so that "nothing happened" can be told from "nothing was indexed".`,
    ]),
    await methodologySection(ctx, [], []),
  ];
}

async function fullForm(ctx: SectionContext, key: Awaited<ReturnType<typeof keyFigures>>): Promise<Section[]> {
  const glance = await analyticsAtAGlance(ctx);
  const cascades = ctx.has('cascades') ? await cascadesInScope(ctx) : null;
  const summaryFigures = [...(glance ? [glance] : []), ...(cascades && cascades.rows.length > 0 ? [cascades] : [])];
  const summary = summarySection(key, await peaks(ctx), summaryFigures, summaryParagraphs(cascades));
  const timeline = await timelineSection(ctx);
  const liquidations = await liquidationsSection(ctx);
  const adl = await adlSection(ctx);
  const oracle = await oracleSection(ctx);
  const byAsset = liquidations.figures.find((f) => f.id === 'liquidations.by-asset');
  const prices = [];
  for (const asset of assetsToDraw(byAsset, ctx.scope.assets)) prices.push(await pricePath(ctx, asset));
  const assetFigures = (await cascadeAssetFigures(ctx)).filter((f) => f.rows.length > 0);
  const microstructure: Section = {
    id: 'microstructure',
    title: 'Microstructure',
    paragraphs: [
      "The price path of the most liquidated assets (what traded, each venue's oracle or mark, the reference feeds), then the price move, recovery and liquidity proxies analytics measured for each asset of the cascade before and during it.",
      ...(assetFigures.length === 0 ? ['Analytics recorded no cascade asset in this scope, so there is no measured price move, recovery or liquidity change to show: only the prices themselves.'] : []),
    ],
    figures: [...prices.filter((f) => f.rows.length > 0), ...assetFigures],
  };
  const dynamics = await dynamicsSection(ctx);
  const comparison = await comparisonSection(ctx);
  const methodology = await methodologySection(ctx, await analysisRunFigures(ctx), [
    '`liqscope verify` results are not kept in the store (the command prints them), so they cannot be shown here: run `liqscope verify --source S --against receipts --from B --to B` over the blocks listed below to check that the store holds exactly what the chain emitted.',
  ]);
  return [summary, timeline, liquidations, adl, oracle, microstructure, dynamics, comparison, methodology];
}

function summaryParagraphs(cascades: Figure | null): string[] {
  const out: string[] = [];
  if (!cascades) out.push('Analytics tables are missing from this database: run `liqscope analyze` for the timeline, ADL waves, oracle checks and dynamics.');
  else if (cascades.rows.length === 0) out.push('Analytics found no cascade in this range: the liquidations below did not cluster past its thresholds (or the range was not analysed).');
  return out;
}

/** Tables and views on the search path: analytics sections render only from tables that exist. */
async function relationsOf(db: ReportDb): Promise<Set<string>> {
  const result = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(current_schemas(false)) and c.relkind in ('r', 'v', 'm', 'p')`.execute(db);
  return new Set(result.rows.map((r) => r.name));
}

function defaultTitle(scope: ReportScope): string {
  if (scope.cascadeId) return `Liquidation cascade ${scope.cascadeId}`;
  return `Liquidations ${formatTime(scope.from.toISOString()).slice(0, 16)} – ${formatTime(scope.to.toISOString()).slice(0, 16)} UTC`;
}

function scopeJson(scope: ReportScope): Report['scope'] {
  return {
    cascadeId: scope.cascadeId,
    from: scope.from.toISOString(),
    to: scope.to.toISOString(),
    windowFrom: scope.windowFrom.toISOString(),
    windowTo: scope.windowTo.toISOString(),
    venues: [...scope.venues],
    assets: [...scope.assets],
  };
}
