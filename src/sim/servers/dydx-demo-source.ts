import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dydxSimAccounts } from './dydx-indexer-rows.ts';

/**
 * The `sources` entry that indexes a simulator output's dYdX venue through the local indexer server
 * (`startDydxIndexerServer({ outDir })` answering at `url`): every market (trades, funding, 1MIN candles)
 * and every subaccount (liquidation fills), from the scenario's start. Null when the output has no dYdX
 * venue. The local server has no rate limit, so the client's pacing is set well above the real
 * indexer's 100 requests per 10 s (a real source keeps the default or lower).
 */
export function dydxDemoSource(outDir: string, url: string, name = 'demo-dydx'): Record<string, unknown> | null {
  if (!existsSync(join(outDir, 'dydx', 'index.json'))) return null;
  const scenario = JSON.parse(readFileSync(join(outDir, 'scenario.json'), 'utf8')) as { start: string };
  const { markets, subaccounts } = dydxSimAccounts(outDir);
  return {
    name,
    kind: 'http',
    protocol: 'dydx-v4',
    url,
    weightPerMinute: 60_000,
    options: { markets, subaccounts, from: scenario.start },
  };
}
