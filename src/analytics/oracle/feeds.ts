import type { FeedUpdateRule } from '../../pipeline/feed-rules.ts';

/**
 * The feeds' update rules a run knows: the configuration's (`analytics.oracle.feeds`) and the ones the
 * protocols publish (`Protocol.feedRules`, handed over by the composition root).
 */
export interface FeedRules {
  configured: readonly FeedUpdateRule[];
  known: readonly FeedUpdateRule[];
}

/**
 * The update rule of one feed (venue, market, asset): the configuration's most specific entry (market,
 * then asset, then the whole venue), else a known feed's, else null (its updates are not classified and
 * its staleness is judged by the sampled-source limit).
 */
export function feedRule(rules: FeedRules, venue: string, market: string, asset: string | null): FeedUpdateRule | null {
  const m = market.toLowerCase();
  const pick = (list: readonly FeedUpdateRule[]) =>
    list.find((f) => f.venue === venue && f.market === m) ??
    list.find((f) => f.venue === venue && f.market === undefined && f.asset !== undefined && f.asset === asset) ??
    list.find((f) => f.venue === venue && f.market === undefined && f.asset === undefined) ??
    null;
  return pick(rules.configured) ?? pick(rules.known);
}
