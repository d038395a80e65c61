import type { Scenario } from './scenario-schema.ts';

/**
 * The update rules of a scenario's on-chain oracles, as `analytics.oracle.feeds` entries: what a user
 * who knows the venues' feeds would configure (Chainlink publishes its feeds' heartbeat and deviation;
 * here the scenario declares them). GMX v2's simulated oracle publishes `OraclePriceUpdate` on its own
 * heartbeat and deviation; the Chainlink reference feed on the scenario's `referenceFeed` rule. Venues
 * whose prices the store holds as samples (Hyperliquid's oracle and mark, dYdX's funding ticks) have no
 * update rule: their staleness is judged by the sampled-source limit.
 */
export interface SimulatedFeedRule {
  venue: string;
  heartbeatSeconds: number;
  deviationPct: number;
}

export function simulatedFeedRules(scenario: Scenario): SimulatedFeedRule[] {
  const rules: SimulatedFeedRule[] = [];
  for (const venue of scenario.venues) {
    if (venue.kind === 'gmx-v2') rules.push({ venue: 'gmx-v2', heartbeatSeconds: venue.oracle.heartbeatSeconds, deviationPct: venue.oracle.deviationPct });
  }
  rules.push({ venue: 'chainlink', heartbeatSeconds: scenario.referenceFeed.heartbeatSeconds, deviationPct: scenario.referenceFeed.deviationPct });
  return rules;
}
