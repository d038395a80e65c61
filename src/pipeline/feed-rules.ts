/**
 * A price feed's published update rule: it publishes when the price moves `deviationPct` from its last
 * answer, and at least every `heartbeatSeconds`. Protocol knowledge: a protocol lists the rules of the
 * feeds it knows (`Protocol.feedRules`); the composition root hands them to the oracle analysis, which
 * classifies each update (deviation, heartbeat) and judges staleness with them. The configuration's
 * `analytics.oracle.feeds` come first.
 */
export interface FeedUpdateRule {
  /** The `oracle_prices` venue. */
  venue: string;
  /** The feed's market (lower case); every market of the venue (or of `asset`) when absent. */
  market?: string | undefined;
  /** Or every market of this canonical asset on the venue. */
  asset?: string | undefined;
  heartbeatSeconds: number;
  /** 0 for a feed that publishes on every tick. */
  deviationPct: number;
}
