import { sql } from 'kysely';
import { analyze, type AnalyzeSummary } from '../../src/analytics/analyze.ts';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { analysisContextOf } from '../../src/pipeline/protocol.ts';
import { simulatedFeedRules } from '../../src/sim/feed-rules.ts';
import type { GroundTruth } from '../../src/sim/ground-truth.ts';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { loadSimulation, simulate } from '../helpers/sim-store.ts';

/**
 * A report test's database: a simulated scenario in the store as the indexer writes it
 * (test/helpers/sim-store.ts: GMX v2 and Chainlink logs through the real runner and decoders, the
 * Hyperliquid node fill files through the files source, dYdX fills mapped by hand), then
 * `liqscope analyze` over all of it as the demo runs it: every step, the feeds' update rules the
 * scenario declares, the venues' margin rules from the protocols. The simulation is run once per
 * scenario and process (PGlite and Postgres load the same one).
 */
export async function loadAnalysedScenario(handle: LiqscopeDb, scenarioName: string): Promise<{ gt: GroundTruth; analysis: AnalyzeSummary }> {
  const output = simulate(scenarioName);
  const { gt } = await loadSimulation(handle.db, output);
  await sql`analyze`.execute(handle.db);
  const config = configSchema.parse({ analytics: { oracle: { feeds: simulatedFeedRules(loadScenario(scenarioName).scenario) } } });
  const analysis = await analyze(handle.db, config, { context: analysisContextOf(PROTOCOLS) });
  return { gt, analysis };
}
