import { accountHealth } from './margin.ts';
import type { Side } from './margin.ts';
import type { Random } from './random.ts';
import type { Scenario } from './scenario-schema.ts';
import type { SimAccount } from './types.ts';
import type { SimVenue } from './venues/venue.ts';

/**
 * Draws the traders: venue by traderShare, margin mode, markets, side, log-uniform leverage and
 * size, entries spread around the start price. Collateral is topped up so nobody starts
 * liquidatable (the scenario decides who falls, not the draw). `venues` are the scenario's venue
 * modules, in scenario order.
 */
export function makeAccounts(scenario: Scenario, rng: Random, venues: readonly SimVenue[]): SimAccount[] {
  const accounts: SimAccount[] = [];
  const weights = scenario.venues.map((v) => v.traderShare);
  const t = scenario.traders;
  for (let i = 0; i < t.count; i++) {
    const venue = venues[rng.weighted(weights)]!;
    const listed = scenario.markets.map((m, mi) => ({ m, mi })).filter(({ m }) => m.venues.includes(venue.id));
    // drawn before the check below so that every trader consumes the same draws
    const crossDraw = rng.bool(t.crossShare);
    const nDraw = rng.int(t.crossPositions.min, t.crossPositions.max);
    if (listed.length === 0) continue;
    const mode = venue.crossMargin && crossDraw ? 'cross' : 'isolated';
    const n = mode === 'cross' ? Math.min(nDraw, listed.length) : 1;
    const id = `acct-${String(i).padStart(6, '0')}`;
    const account: SimAccount = {
      id,
      address: venue.accountAddress(scenario.seed, id),
      venue: venue.id,
      venueKind: venue.kind,
      mode,
      collateral: 0,
      initialCollateral: 0,
      positions: [],
      liquidated: false,
    };
    const pool = [...listed];
    let collateral = 0;
    for (let k = 0; k < n; k++) {
      const pick = pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
      const side: Side = rng.bool(t.longShare) ? 'long' : 'short';
      const leverage = Math.min(rng.logUniform(t.leverage.min, t.leverage.max), venue.maxLeverage(pick.m));
      const notional = rng.logUniform(t.sizeUsd.min, t.sizeUsd.max);
      const entry = pick.m.startPrice * (1 + rng.uniform(-t.entrySpreadPct, t.entrySpreadPct) / 100);
      account.positions.push({
        id: `${id}:${k}`,
        accountId: id,
        venue: venue.id,
        market: pick.m.symbol,
        marketIndex: pick.mi,
        side,
        entry,
        size: notional / entry,
        initialSize: notional / entry,
        m: venue.maintenanceRate(pick.m),
        leverage,
        fate: 'survived',
        records: [],
      });
      collateral += notional / leverage;
    }
    const atStart = accountHealth(
      collateral,
      account.positions.map((p) => ({ side: p.side, entry: p.entry, size: p.size, price: scenario.markets[p.marketIndex]!.startPrice, m: p.m })),
    );
    // nobody starts within a 1.5 % move of their maintenance requirement: the scenario's path, not the draw, decides who falls
    const floor = atStart.maintenance + atStart.notional * 0.015;
    if (atStart.equity < floor) collateral += floor - atStart.equity;
    account.collateral = collateral;
    account.initialCollateral = collateral;
    accounts.push(account);
  }
  return accounts;
}
