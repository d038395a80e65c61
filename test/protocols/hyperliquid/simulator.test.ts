import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compressFrameSync } from 'lz4-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAdlEvent, NewLiquidation } from '../../../src/db/schema.ts';
import { Registry } from '../../../src/pipeline/registry.ts';
import type { SourceInfo } from '../../../src/pipeline/source-info.ts';
import { hyperliquid } from '../../../src/protocols/hyperliquid/index.ts';
import { loadScenario } from '../../../src/sim/load-scenario.ts';
import { runSimulation } from '../../../src/sim/run-sim.ts';
import type { SimOutput } from '../../../src/sim/run-sim.ts';
import { FilesSource } from '../../../src/sources/files/files-source.ts';
import { encodeLz4Frame } from '../../../src/sources/files/lz4-frame-encode.ts';
import type { TradeBarRow } from '../../../src/protocols/hyperliquid/trade-bar.ts';

/**
 * The simulator's Hyperliquid node fills, written plain and LZ4-compressed, read back through the
 * files source and the decoder: exactly the ground truth's Hyperliquid liquidations and ADL events.
 */
const info: SourceInfo = { id: 'hl-sim', kind: 'files', protocol: 'hyperliquid', venue: 'hyperliquid', chain: 'hyperliquid', chainId: null, addresses: [], options: {} };
const registry = Registry.scoped(hyperliquid.markets ?? [], [], 'hyperliquid', null);

let sim: SimOutput;
let root: string;
beforeAll(() => {
  sim = runSimulation(loadScenario('oct-10-2025').scenario);
  root = mkdtempSync(join(tmpdir(), 'liqscope-hl-sim-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Variant = 'plain' | 'lz4-streaming-encoder' | 'lz4-napi-frame';

async function writeVariant(variant: Variant): Promise<string> {
  const dir = join(root, variant);
  for (const [rel, content] of sim.files) {
    // the node's output only (the simulator also writes info API responses under hyperliquid/info)
    if (!/^hyperliquid\/node_fills(_by_block)?\//.test(rel)) continue;
    const path = join(dir, rel.slice('hyperliquid/'.length));
    mkdirSync(dirname(path), { recursive: true });
    if (variant === 'plain') writeFileSync(path, content);
    else if (variant === 'lz4-napi-frame') writeFileSync(`${path}.lz4`, compressFrameSync(Buffer.from(content)));
    else {
      const parts: Buffer[] = [];
      for await (const part of encodeLz4Frame([Buffer.from(content)])) parts.push(part);
      writeFileSync(`${path}.lz4`, Buffer.concat(parts));
    }
  }
  return dir;
}

/** Decodes every file under `dir` in batches of a few blocks, as a run would. */
async function importDir(dir: string) {
  const source = new FilesSource({ info, paths: [dir], compareFiles: hyperliquid.files!.compareFiles, batchLines: 7 });
  const liquidations: NewLiquidation[] = [];
  const adlEvents: NewAdlEvent[] = [];
  const bars: TradeBarRow[] = [];
  let batches = 0;
  for await (const item of source.pull({ cursors: new Map(), signal: new AbortController().signal })) {
    if (item.type !== 'batch') continue;
    batches += 1;
    const out = await hyperliquid.files!.decoder.decode(item.records, { source: info, registry, pending: { find: async () => new Map() } });
    liquidations.push(...out.liquidations);
    adlEvents.push(...out.adlEvents);
    bars.push(...(out.tradeBarParts as unknown as TradeBarRow[]));
  }
  return { liquidations, adlEvents, bars, batches };
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

describe('Hyperliquid node fills from the simulator (oct-10-2025)', () => {
  for (const variant of ['plain', 'lz4-streaming-encoder', 'lz4-napi-frame'] as const) {
    it(`decodes exactly the ground truth's liquidations and ADL events (${variant})`, async () => {
      const gt = sim.groundTruth;
      const gtLiquidations = gt.liquidations.filter((l) => l.venue === 'hyperliquid');
      const gtAdl = gt.adlEvents.filter((a) => a.venue === 'hyperliquid');
      expect(gtLiquidations.length).toBeGreaterThan(100);
      expect(gtAdl.length).toBeGreaterThan(100);

      const { liquidations, adlEvents, bars, batches } = await importDir(await writeVariant(variant));
      expect(batches).toBeGreaterThan(3);

      const expectedLiquidations = gtLiquidations
        .map((l) => ({ account: l.account, market: l.market, side: l.side, size: l.size, price: l.price, mark: l.markPrice, timeMs: l.timeMs }))
        .map((x) => ({ ...x, key: JSON.stringify(x) }))
        .sort(byKey);
      const actualLiquidations = liquidations
        .map((r) => ({ account: r.account, market: r.market, side: r.side, size: r.size, price: r.price, mark: r.mark_price, timeMs: (r.time as Date).getTime() }))
        .map((x) => ({ ...x, key: JSON.stringify(x) }))
        .sort(byKey);
      expect(actualLiquidations).toEqual(expectedLiquidations);

      const expectedAdl = gtAdl
        .map((a) => ({ account: a.account, market: a.market, side: a.side, size: a.size, price: a.price, mark: a.markPrice, timeMs: a.timeMs, counterparty: a.liquidatedAccount }))
        .map((x) => ({ ...x, key: JSON.stringify(x) }))
        .sort(byKey);
      const actualAdl = adlEvents
        .map((r) => ({ account: r.account, market: r.market, side: r.side, size: r.size, price: r.price, mark: r.mark_price, timeMs: (r.time as Date).getTime(), counterparty: r.counterparty }))
        .map((x) => ({ ...x, key: JSON.stringify(x) }))
        .sort(byKey);
      expect(actualAdl).toEqual(expectedAdl);

      // every coin the scenario trades is known: no row is flagged
      expect([...liquidations, ...adlEvents].filter((r) => (r.flags ?? []).length > 0)).toEqual([]);
      // bars (merged across batches here by summing, as the store does): per coin, the ordinary trades
      // plus the market liquidations (sent to the book); ADL and backstop liquidations are no book trades
      const background = gt.background.venues.hyperliquid?.markets ?? {};
      expect(Object.keys(background).length).toBeGreaterThan(0);
      const coins = new Set([...Object.keys(background), ...gtLiquidations.map((l) => l.market)]);
      for (const coin of coins) {
        const market = gtLiquidations.filter((l) => l.market === coin && l.method === 'market');
        const expectedTrades = (background[coin]?.trades ?? 0) + market.length;
        const expectedUsd = Number(background[coin]?.notionalUsd ?? 0) + market.reduce((sum, l) => sum + Number(l.sizeUsd), 0);
        const coinBars = bars.filter((b) => b.market === coin);
        expect(coinBars.reduce((sum, b) => sum + b.trades, 0), coin).toBe(expectedTrades);
        const usd = coinBars.reduce((sum, b) => sum + Number(b.volume_usd), 0);
        expect(Math.abs(usd - expectedUsd), coin).toBeLessThanOrEqual(expectedUsd * 1e-9 + 1e-6);
      }
      // uids are unique (tid:user)
      expect(new Set(liquidations.map((r) => r.uid)).size).toBe(liquidations.length);
      expect(new Set(adlEvents.map((r) => r.uid)).size).toBe(adlEvents.length);
    });
  }
});
