import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GroundTruth } from '../ground-truth.ts';
import { dydxDemoSource } from './dydx-demo-source.ts';
import { startDydxIndexerServer } from './dydx-indexer-server.ts';
import { hyperliquidInfoSourceConfig, startHyperliquidInfoServer } from './hyperliquid-info-server.ts';

/** A count the demo prints: rows of `table` for `venue` (of one bar `interval`) in the database against the ground truth. */
export interface DemoCountCheck {
  label: string;
  table: 'liquidations' | 'adl_events' | 'oracle_prices' | 'trade_bars';
  venue: string;
  interval?: string;
  groundTruth: number;
}

export interface DemoApiServers {
  /** The `sources` entries that index the venues' APIs through the local servers. */
  sources: Record<string, unknown>[];
  /** What those sources must store, from the ground truth. */
  checks: DemoCountCheck[];
  /** One line per server, for the demo's progress. */
  started: string[];
  close(): Promise<void>;
}

/**
 * The venues the demo reads through an API, served in-process from the simulator's output:
 * - dYdX v4 through the local indexer server (every market's trades, 1MIN candles and funding, every
 *   subaccount's liquidation fills): its liquidations and deleveraging events are the ground truth's;
 * - Hyperliquid's info API through the local info server (`candleSnapshot` and the recorded
 *   `metaAndAssetCtxs` samples of every simulated coin): the reference prices oracle checks compare
 *   with for coins that have no Chainlink feed on the local chain (SOL, DOGE, LINK…). Its fills are
 *   read from the node fill files already, so no user is watched through the API.
 * Call `close()` when indexing is done (also on failure).
 */
export async function startDemoApiServers(outDir: string, gt: GroundTruth): Promise<DemoApiServers> {
  const sources: Record<string, unknown>[] = [];
  const checks: DemoCountCheck[] = [];
  const started: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const dydx = gt.venues.find((v) => v.kind === 'dydx');
    if (dydx && existsSync(join(outDir, 'dydx', 'index.json'))) {
      const server = await startDydxIndexerServer({ outDir });
      closers.push(() => server.close());
      sources.push(dydxDemoSource(outDir, server.url)!);
      started.push(`local dYdX v4 indexer at ${server.url}`);
      checks.push(
        { label: 'liquidations (dydx-v4)', table: 'liquidations', venue: 'dydx-v4', groundTruth: gt.liquidations.filter((l) => l.venue === dydx.id).length },
        { label: 'adl_events (dydx-v4)', table: 'adl_events', venue: 'dydx-v4', groundTruth: gt.adlEvents.filter((a) => a.venue === dydx.id).length },
      );
      const series = gt.referenceSeries?.dydx;
      if (series) {
        checks.push(
          { label: 'trade_bars 1m (dydx-v4)', table: 'trade_bars', venue: 'dydx-v4', interval: '1m', groundTruth: sum(series.candles) },
          // Funding ticks carry the oracle price; the simulator writes them from the scenario's start on.
          { label: 'oracle_prices (dydx-v4)', table: 'oracle_prices', venue: 'dydx-v4', groundTruth: sum(series.fundingTicks) },
        );
      }
    }
    const hl = gt.referenceSeries?.hyperliquid;
    if (hl && existsSync(join(outDir, 'hyperliquid', 'info', 'index.json'))) {
      const server = await startHyperliquidInfoServer({ outDir });
      closers.push(() => server.close());
      sources.push(hyperliquidInfoSourceConfig(server, { name: 'demo-hyperliquid-api', watch: 0 }));
      started.push(`local Hyperliquid info API at ${server.url}`);
      const coins = Object.keys(hl.candles).length;
      checks.push(
        { label: 'trade_bars 1m (hyperliquid)', table: 'trade_bars', venue: 'hyperliquid', interval: '1m', groundTruth: sum(hl.candles) },
        // One row per sample and coin, the oracle price and the mark price as two venues.
        { label: 'oracle_prices (hyperliquid)', table: 'oracle_prices', venue: 'hyperliquid', groundTruth: hl.ctxSamples * coins },
        { label: 'oracle_prices (hyperliquid-mark)', table: 'oracle_prices', venue: 'hyperliquid-mark', groundTruth: hl.ctxSamples * coins },
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { sources, checks, started, close };
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
