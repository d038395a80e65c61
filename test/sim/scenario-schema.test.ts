import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../src/sim/scenario-schema.ts';
import { loadScenario, SCENARIOS_DIR, shippedScenarioNames } from '../../src/sim/load-scenario.ts';

const valid = () => JSON.parse(readFileSync(join(SCENARIOS_DIR, 'stale-oracle.json'), 'utf8'));

function issuesOf(input: unknown): string[] {
  try {
    parseScenario(input, 'test.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario validation', () => {
  it('accepts every shipped scenario', () => {
    for (const name of shippedScenarioNames()) expect(loadScenario(name).scenario.name).toBe(name);
  });

  it('names the field path of a bad number', () => {
    const s = valid();
    s.markets[1].startPrice = -3;
    expect(issuesOf(s)).toContain('markets[1].startPrice: expected a positive number');
  });

  it('names a missing field, an unknown field and a wrong kind', () => {
    const s = valid();
    delete s.traders.count;
    s.venues[0].colour = 'blue';
    s.pricePath.kind = 'brownian';
    const issues = issuesOf(s);
    expect(issues.some((i) => i.startsWith('traders.count:'))).toBe(true);
    expect(issues).toContain('venues[0]: unknown field(s) "colour"');
    expect(issues.some((i) => i.startsWith('pricePath.kind:') || i.startsWith('pricePath:'))).toBe(true);
  });

  it('checks cross references and orderings', () => {
    const s = valid();
    s.markets[0].venues.push('binance');
    s.markets[0].depth = [{ pct: 1, usd: 1000 }, { pct: 0.5, usd: 2000 }];
    s.venues[1].oracle.stale = { fromSecond: 100, toSecond: 50 };
    s.start = '10 October 2025';
    const issues = issuesOf(s);
    expect(issues).toContain('markets[0].venues[3]: unknown venue id "binance"');
    expect(issues).toContain('markets[0].depth[1]: expected pct and usd to increase level by level');
    expect(issues).toContain('venues[1].oracle.stale.toSecond: expected toSecond > fromSecond');
    expect(issues.some((i) => i.startsWith('start:'))).toBe(true);
  });

  it('rejects a step that does not divide a second (the depth and volatility model would never update)', () => {
    for (const stepMs of [300, 400, 750, 999]) {
      const s = valid();
      s.stepMs = stepMs;
      expect(issuesOf(s)).toEqual(['stepMs: expected a divisor of 1000 (10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000)']);
    }
    for (const stepMs of [10, 25, 125, 250, 1000]) {
      const s = valid();
      s.stepMs = stepMs;
      expect(parseScenario(s).stepMs).toBe(stepMs);
    }
  });

  it('rejects a gmx-v2 venue listing a market GMX v2 does not have on Arbitrum, at validation time', () => {
    const s = valid();
    // stale-oracle: markets BTC, ETH listed on hyperliquid (0), gmx (1), dydx (2); HYPE exists on Hyperliquid only
    s.markets.push({ symbol: 'HYPE', startPrice: 40, depth: [{ pct: 1, usd: 1_000_000 }], venues: ['hyperliquid', 'gmx'] });
    expect(issuesOf(s)).toEqual([
      'markets[2].venues[1]: venue "gmx" is gmx-v2, and GMX v2 has no HYPE/USD market with USDC as short token on Arbitrum',
    ]);
    s.markets[2].venues = ['hyperliquid', 'dydx'];
    expect(parseScenario(s).markets[2]!.symbol).toBe('HYPE');
    // SOL and LINK are real GMX v2 Arbitrum markets
    s.markets.push({ symbol: 'SOL', startPrice: 150, depth: [{ pct: 1, usd: 1_000_000 }], venues: ['gmx'] });
    s.markets.push({ symbol: 'LINK', startPrice: 15, depth: [{ pct: 1, usd: 1_000_000 }], venues: ['gmx'] });
    expect(parseScenario(s).markets).toHaveLength(5);
  });

  it('rejects shocks and fault windows past durationSeconds, naming the field', () => {
    const s = valid(); // durationSeconds 900
    s.pricePath.shocks = [
      { atSecond: 880, durationSeconds: 30, movePct: -5 },
      { atSecond: 900, durationSeconds: 1, movePct: -5 },
      { atSecond: 870, durationSeconds: 30, movePct: -5 },
    ];
    s.venues[0].oracle.stale = { fromSecond: 800, toSecond: 901 };
    s.venues[1].oracle.stale = { fromSecond: 900, toSecond: 950 };
    s.venues[2].oracle.congestion = { fromSecond: 100, toSecond: 1000, delaySeconds: 60 };
    s.venues[1].oracle.depeg = { fromSecond: 800, toSecond: 850, dropPct: 10, rampSeconds: 60 };
    s.liquidity.outage = { fromSecond: 850, toSecond: 960, depthFactor: 0.1 };
    expect(issuesOf(s).sort()).toEqual(
      [
        "pricePath.shocks[0].durationSeconds: ends at 910 s, past the scenario's end (durationSeconds 900)",
        "pricePath.shocks[1].atSecond: starts at 900 s, past the scenario's end (durationSeconds 900)",
        "venues[0].oracle.stale.toSecond: ends at 901 s, past the scenario's end (durationSeconds 900)",
        "venues[1].oracle.stale.fromSecond: starts at 900 s, past the scenario's end (durationSeconds 900)",
        "venues[2].oracle.congestion.toSecond: ends at 1000 s, past the scenario's end (durationSeconds 900)",
        "venues[1].oracle.depeg.rampSeconds: ramps out until 910 s, past the scenario's end (durationSeconds 900)",
        "liquidity.outage.toSecond: ends at 960 s, past the scenario's end (durationSeconds 900)",
      ].sort(),
    );
  });

  it('allows one venue of each kind (each kind writes the real venue single layout)', () => {
    const s = valid();
    s.venues.push({ ...s.venues[0], id: 'hyperliquid-2' });
    expect(issuesOf(s)).toEqual(['venues[3].kind: a scenario has at most one hyperliquid venue']);
  });

  it('fills the defaults of background trading, the Hyperliquid info samples and materiality', () => {
    const s = parseScenario(valid());
    expect(s.background).toEqual({ tradesPerMinute: 12, sizeShareOfDepth: 0.001, sizeSigma: 1, halfSpreadBps: 1, informedShare: 0.3, takers: 40, makers: 4 });
    expect(s.hyperliquidInfo).toEqual({ ctxSampleSeconds: 5 });
    expect(s.materiality).toEqual({ parentMinCausedShare: 0.5, oracleErrorMinDistancePct: 0.5 });
    const bad = valid();
    bad.background = { tradesPerMinute: -1, informedShare: 0.7 };
    bad.hyperliquidInfo = { ctxSampleSeconds: 0 };
    expect(issuesOf(bad).sort()).toEqual([
      'background.informedShare: expected a number between 0 and 0.5',
      'background.tradesPerMinute: expected a number ≥ 0',
      'hyperliquidInfo.ctxSampleSeconds: expected an integer between 1 and 3600',
    ]);
  });

  it('says which shipped names exist when neither a file nor a name matches', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/oct-10-2025, oracle-depeg/);
  });
});
