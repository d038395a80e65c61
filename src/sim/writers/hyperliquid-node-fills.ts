import { keccak256, stringToHex } from 'viem';
import type { GroundTruth, GtAdl, GtLiquidation } from '../ground-truth.ts';
import { hyperliquidLiquidationDir } from '../venues/hyperliquid.ts';
import { fromRaw, toRaw } from '../units.ts';

/**
 * Hyperliquid node fills in the `node_fills_by_block` layout (formats.md §6): one JSON line per
 * block `{local_time, block_time, block_number, events}` with `[user, fill]` pairs, fills in the
 * API fills format, files under `hyperliquid/node_fills_by_block/hourly/<YYYYMMDD>/<hour>`.
 * Only the liquidated and ADL'd users' fills are written (the book side of a market liquidation
 * is not simulated as accounts). Liquidations come before the ADL fills of the same block.
 */
export interface NodeFill {
  coin: string;
  px: string;
  sz: string;
  side: 'A' | 'B';
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
  feeToken: string;
  twapId: null;
  liquidation?: { liquidatedUser: string; markPx: string; method: 'market' | 'backstop' };
}

export interface NodeFillsBlock {
  local_time: string;
  block_time: string;
  block_number: number;
  events: [string, NodeFill][];
}

/** Synthetic block height of scenario time 0 (Hyperliquid blocks are ~0.1 s apart). */
const BASE_BLOCK = 750_000_000;

/** Files (relative path → content) for every Hyperliquid venue of the ground truth. */
export function hyperliquidNodeFiles(gt: GroundTruth): Map<string, string> {
  const venues = new Set(gt.venues.filter((v) => v.kind === 'hyperliquid').map((v) => v.id));
  const files = new Map<string, string>();
  if (venues.size === 0) return files;
  const startMs = Date.parse(gt.scenario.start);
  const sizeDecimals = new Map(gt.markets.map((m) => [m.symbol, m.sizePlaces]));
  const positions = new Map(gt.positions.map((p) => [p.id, p]));
  const modeOf = new Map(gt.positions.map((p) => [p.id, p.marginMode]));
  /** Remaining signed size per position, to write startPosition exactly. */
  const remaining = new Map<string, bigint>();
  const signedStart = (positionId: string, market: string): bigint => {
    if (!remaining.has(positionId)) {
      const p = positions.get(positionId)!;
      const raw = toRaw(p.size, sizeDecimals.get(market)!);
      remaining.set(positionId, p.side === 'long' ? raw : -raw);
    }
    return remaining.get(positionId)!;
  };
  let seq = 0;
  const hashOf = (id: string) => keccak256(stringToHex(`hl-fill:${id}`));
  const fill = (
    r: GtLiquidation | GtAdl,
    dir: string,
    closedPnl: string,
    fee: string,
    liquidation: NodeFill['liquidation'],
  ): NodeFill => {
    const d = sizeDecimals.get(r.market)!;
    const start = signedStart(r.positionId, r.market);
    const size = toRaw(r.size, d);
    remaining.set(r.positionId, r.side === 'long' ? start - size : start + size);
    seq += 1;
    return {
      coin: r.market,
      px: r.price,
      sz: r.size,
      side: r.side === 'long' ? 'A' : 'B',
      time: r.timeMs,
      startPosition: fromRaw(start, d),
      dir,
      closedPnl,
      hash: hashOf(r.id),
      oid: 90_000_000_000 + seq,
      crossed: true,
      fee,
      tid: 800_000_000_000_000 + seq,
      feeToken: 'USDC',
      twapId: null,
      ...(liquidation ? { liquidation } : {}),
    };
  };

  const byTime = new Map<number, { liqs: GtLiquidation[]; adls: GtAdl[] }>();
  const slot = (t: number) => {
    if (!byTime.has(t)) byTime.set(t, { liqs: [], adls: [] });
    return byTime.get(t)!;
  };
  for (const l of gt.liquidations) if (venues.has(l.venue)) slot(l.timeMs).liqs.push(l);
  for (const a of gt.adlEvents) if (venues.has(a.venue)) slot(a.timeMs).adls.push(a);
  const adlById = new Map(gt.adlEvents.map((a) => [a.id, a]));

  const lines = new Map<string, string[]>();
  for (const t of [...byTime.keys()].sort((a, b) => a - b)) {
    const { liqs, adls } = byTime.get(t)!;
    const events: [string, NodeFill][] = [];
    for (const l of liqs) {
      const adl = l.adlId ? adlById.get(l.adlId) : undefined;
      const method = l.method === 'market' ? 'market' : 'backstop';
      events.push([
        l.account,
        fill(l, hyperliquidLiquidationDir(l.side, modeOf.get(l.positionId) ?? 'cross'), l.pnlUsd, l.feeUsd, {
          liquidatedUser: l.account,
          markPx: adl ? adl.markPrice : l.markPrice,
          method,
        }),
      ]);
    }
    for (const a of adls) {
      events.push([a.account, fill(a, 'Auto-Deleveraging', a.pnlUsd, '0', { liquidatedUser: a.liquidatedAccount ?? '', markPx: a.markPrice, method: 'backstop' })]);
    }
    const blockTime = new Date(t).toISOString().replace('Z', '');
    const block: NodeFillsBlock = {
      local_time: `${blockTime}000000`.replace(/(\.\d{3})000000$/, '$1123456'),
      block_time: blockTime,
      block_number: BASE_BLOCK + Math.round((t - startMs) / 100),
      events,
    };
    const date = new Date(t);
    const path = `hyperliquid/node_fills_by_block/hourly/${date.toISOString().slice(0, 10).replace(/-/g, '')}/${date.getUTCHours()}`;
    if (!lines.has(path)) lines.set(path, []);
    lines.get(path)!.push(JSON.stringify(block));
  }
  for (const [path, content] of lines) files.set(path, `${content.join('\n')}\n`);
  return files;
}
