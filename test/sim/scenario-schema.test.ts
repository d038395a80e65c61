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

  it('says which shipped names exist when neither a file nor a name matches', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(/oct-10-2025, oracle-depeg/);
  });
});
