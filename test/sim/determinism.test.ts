import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/load-scenario.ts';
import { runSimulation, writeSimOutput } from '../../src/sim/run-sim.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function listFiles(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return out;
}

function simulateTo(seed?: number): Map<string, Buffer> {
  const { scenario } = loadScenario('stale-oracle');
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-sim-'));
  dirs.push(dir);
  writeSimOutput(dir, runSimulation(seed === undefined ? scenario : { ...scenario, seed }));
  return listFiles(dir);
}

describe('determinism', () => {
  it('the same seed gives byte-identical events and ground truth', () => {
    const a = simulateTo();
    const b = simulateTo();
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.has('ground-truth.json')).toBe(true);
    expect(a.has('chain/arbitrum-blocks.jsonl')).toBe(true);
    expect([...a.keys()].some((k) => k.startsWith('hyperliquid/node_fills_by_block/hourly/20240805/'))).toBe(true);
    expect([...a.keys()].some((k) => k.startsWith('dydx/v4/fills/'))).toBe(true);
    for (const k of ['hyperliquid/info/index.json', 'hyperliquid/info/metaAndAssetCtxs.jsonl', 'hyperliquid/info/candleSnapshot/ETH/1m.json', 'dydx/v4/candles/perpetualMarkets/ETH-USD/1MIN/page-1.json', 'dydx/v4/historicalFunding/ETH-USD/page-1.json'])
      expect(a.has(k), k).toBe(true);
    for (const [path, bytes] of a) expect(bytes.equals(b.get(path)!), path).toBe(true);
  });

  it('another seed gives other events', () => {
    const a = simulateTo(1);
    const b = simulateTo(2);
    expect(a.get('ground-truth.json')!.equals(b.get('ground-truth.json')!)).toBe(false);
    expect(a.get('chain/arbitrum-blocks.jsonl')!.equals(b.get('chain/arbitrum-blocks.jsonl')!)).toBe(false);
  });
});
