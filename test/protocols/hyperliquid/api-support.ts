import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema.ts';

/**
 * Test support for the Hyperliquid info API tests: a synthetic recording in the simulator's output
 * layout (the server reads it as it reads `liqscope sim --out`), built so that paging meets the hard
 * cases, and snapshots of what the store holds for comparing runs.
 */

export const MINUTE = 60_000;
/** 2025-10-01T00:00:00Z */
export const T0 = Date.UTC(2025, 9, 1);

export interface SyntheticFill {
  user: string;
  fill: Record<string, unknown>;
}

export interface SyntheticRecording {
  /** coin → candles as written (ascending). */
  candles: Map<string, Record<string, unknown>[]>;
  /** In the order written to the node fill file (time order). */
  fills: SyntheticFill[];
  /** The server's now for this recording (after everything). */
  now: number;
}

/** A price with a varying number of decimals, so that exact strings matter (`60123.5`, `60124.25`, `60125`). */
function price(base: number, i: number): string {
  const cents = [50, 25, 0, 75, 5][i % 5]!;
  return cents === 0 ? String(base + i) : `${base + i}.${String(cents).padStart(2, '0').replace(/0$/, '')}`;
}

function candles(coin: string, count: number, base: number, firstMs: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0, t = firstMs; out.length < count; i++, t += MINUTE) {
    // a minute without trades every 97 minutes has no candle
    if (i % 97 === 96) continue;
    const o = price(base, i);
    const c = price(base, i + 1);
    out.push({ t, T: t + MINUTE - 1, s: coin, i: '1m', o, c, h: price(base, i + 3), l: price(base - 10, i), v: `${(i % 13) + 1}.${i % 1000}`, n: (i % 29) + 1 });
  }
  return out;
}

/**
 * Writes `<dir>/hyperliquid/info/candleSnapshot/<coin>/1m.json` and a node fill file, in the layouts the
 * simulator writes:
 * - BTC: 4,321 candles (9 answers of 500), all within the newest 5,000 minutes at the recording's end;
 * - ETH: 6,000 candles over about 6,060 minutes: only those of the newest 5,000 minutes are served;
 * - user `heavy`: 12,000 fills (only the newest 10,000 are served), with 1,500 fills in one millisecond
 *   that a 2,000-fill page boundary cuts through, liquidation and ADL fills among them;
 * - user `crowded`: 2,100 fills in one millisecond (more than one answer holds), then 10 more.
 * `small`: BTC's first 2,100 candles (5 answers) and `crowded` only, for tests that run the CLI.
 */
export function writeSyntheticRecording(dir: string, users: { heavy: string; crowded: string }, size: 'full' | 'small' = 'full'): SyntheticRecording {
  const small = size === 'small';
  // ETH from T0 (about 6,060 minutes with its gaps); BTC ends about when ETH does
  const eth = small ? [] : candles('ETH', 6_000, 4_000, T0);
  const btc = candles('BTC', small ? 2_100 : 4_321, 60_000, T0 + 1_700 * MINUTE);
  const fills: SyntheticFill[] = [];
  let tid = 900_000_000;
  const fill = (user: string, time: number, i: number, kind: 'trade' | 'liquidation' | 'adl'): SyntheticFill => {
    const f: Record<string, unknown> = {
      coin: i % 2 === 0 ? 'BTC' : 'ETH',
      px: price(i % 2 === 0 ? 60_000 : 4_000, i % 500),
      sz: `0.${(i % 97) + 1}`,
      side: i % 3 === 0 ? 'B' : 'A',
      time,
      startPosition: i % 3 === 0 ? '-1.5' : '2.25',
      dir: kind === 'liquidation' ? (i % 3 === 0 ? 'Liquidated Cross Short' : 'Liquidated Cross Long') : kind === 'adl' ? 'Auto-Deleveraging' : i % 3 === 0 ? 'Open Long' : 'Close Long',
      closedPnl: i % 4 === 0 ? '0.0' : `-${i % 50}.125`,
      hash: `0x${(tid + 1).toString(16).padStart(64, '0')}`,
      oid: 5_000_000 + i,
      crossed: true,
      fee: '0.0123',
      tid: tid++,
      feeToken: 'USDC',
      twapId: null,
    };
    if (kind === 'liquidation') f.liquidation = { liquidatedUser: user, markPx: f.px, method: 'market' };
    if (kind === 'adl') f.liquidation = { liquidatedUser: '0x00000000000000000000000000000000000000aa', markPx: f.px, method: 'backstop' };
    return { user, fill: f };
  };
  // heavy: 12,000 fills, 2 s apart, except a block of 1,500 in one millisecond at index 5,200 (the newest
  // 10,000 start at index 2,000, so that block spans kept indices 3,200–4,699: the second 2,000-page ends
  // inside it)
  let t = T0 + 3_600_000;
  for (let i = 0; i < (small ? 0 : 12_000); ) {
    if (i === 5_200) {
      for (let k = 0; k < 1_500; k++, i++) fills.push(fill(users.heavy, t, i, k % 10 === 0 ? 'liquidation' : k % 10 === 1 ? 'adl' : 'trade'));
    } else {
      fills.push(fill(users.heavy, t, i, i % 50 === 7 ? 'liquidation' : i % 50 === 8 ? 'adl' : 'trade'));
      i++;
    }
    t += 2_000;
  }
  const crowdedAt = T0 + 3_600_000 + 777;
  for (let i = 0; i < 2_100; i++) fills.push(fill(users.crowded, crowdedAt, i, i % 7 === 0 ? 'liquidation' : 'trade'));
  for (let i = 0; i < 10; i++) fills.push(fill(users.crowded, crowdedAt + 1_000 * (i + 1), 2_100 + i, 'trade'));
  fills.sort((a, b) => (a.fill.time as number) - (b.fill.time as number));

  const write = (rel: string, text: string) => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  write('hyperliquid/info/candleSnapshot/BTC/1m.json', `${JSON.stringify(btc)}\n`);
  if (!small) write('hyperliquid/info/candleSnapshot/ETH/1m.json', `${JSON.stringify(eth)}\n`);
  // one block per millisecond, [user, fill] pairs, as node_fills_by_block writes them
  const lines: string[] = [];
  let block = 1;
  for (let i = 0; i < fills.length; ) {
    const time = fills[i]!.fill.time as number;
    const events: unknown[] = [];
    for (; i < fills.length && fills[i]!.fill.time === time; i++) events.push([fills[i]!.user, fills[i]!.fill]);
    lines.push(JSON.stringify({ local_time: new Date(time).toISOString(), block_time: new Date(time).toISOString(), block_number: block++, events }));
  }
  write('hyperliquid/node_fills_by_block/hourly/20251001/1', `${lines.join('\n')}\n`);
  const lastCandle = Math.max(btc.at(-1)!.T as number, (eth.at(-1)?.T as number | undefined) ?? 0);
  const lastFill = fills.at(-1)!.fill.time as number;
  return { candles: new Map([['BTC', btc], ['ETH', eth]]), fills, now: Math.max(lastCandle, lastFill) + 1 };
}

/** Everything a source wrote, comparable across runs and stores (no ids, no write times). */
export interface StoredSnapshot {
  bars: unknown[];
  oracle: unknown[];
  liquidations: unknown[];
  adl: unknown[];
  trades: unknown[];
  gaps: unknown[];
}

export async function storedSnapshot(db: Kysely<Database>, sourceId: string): Promise<StoredSnapshot> {
  const q = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  return {
    bars: await q(sql`select venue, chain, market, asset, quote, interval, time, trades, volume::text, volume_usd, open::text, high::text, low::text, close::text, flags
      from trade_bars where source_id = ${sourceId} order by venue, market, interval, time`),
    oracle: await q(sql`select venue, chain, market, asset, time, price::text, uid, flags, extra from oracle_prices where source_id = ${sourceId} order by venue, uid`),
    liquidations: await q(sql`select venue, market, asset, account, side, size::text, price::text, mark_price::text, pnl_usd::text, fee_usd::text, time, uid, flags
      from liquidations where source_id = ${sourceId} order by venue, uid`),
    adl: await q(sql`select venue, market, account, counterparty, side, size::text, price::text, time, uid from adl_events where source_id = ${sourceId} order by venue, uid`),
    trades: await q(sql`select venue, market, account, side, action, size::text, price::text, time, uid, flags from trades where source_id = ${sourceId} order by venue, uid`),
    gaps: await q(sql`select record_ref, event, reason from decode_errors where source_id = ${sourceId} order by record_ref`),
  };
}
