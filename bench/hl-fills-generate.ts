import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encodeLz4Frame } from '../src/sources/files/lz4-frame-encode.ts';

/**
 * An hour of Hyperliquid node fills at 10 October 2025 scale (incidents.md: 63,637 liquidation and
 * 34,983 ADL fills between 21:15:03.127 and 21:26:57.421; the largest same-millisecond batch 11,279
 * liquidations + 11,279 ADL fills at 21:16:04.831), in the `node_fills_by_block` layout of the
 * public archive (`{local_time, block_time, block_number, events: [[user, fill], …]}`), one
 * LZ4-compressed file `hourly/20251010/21.lz4`. Both sides of every trade are written (taker
 * `crossed: true`, maker `false`, one tid), so the hour holds about 3.2M fills.
 *
 * Deterministic: the same seed and scale give the same bytes. Streamed: memory stays flat however
 * large the hour is.
 */
export interface HlFillsHourOptions {
  /** Directory the archive tree is written under (`<dir>/hourly/20251010/21.lz4`). */
  dir: string;
  seed?: number;
  /** 1 = Oct-10 scale (about 3.2M fills); 0.01 for a quick run. */
  scale?: number;
}

export interface HlFillsHourSummary {
  path: string;
  blocks: number;
  fills: number;
  /** Fills with dir `Liquidated …` (the liquidated users' side). */
  liquidationFills: number;
  adlFills: number;
  /** Trades of the book (ordinary and market liquidations): what one-second bars count. */
  bookTrades: number;
  /** Book trades on coins the registry does not know (spot pairs, builder perps). */
  unknownCoinTrades: number;
  uncompressedBytes: number;
  compressedBytes: number;
}

/** Coin, weight in ordinary volume, start price, price decimals, size decimals, typical size. */
const COINS: ReadonlyArray<readonly [string, number, number, number, number, number]> = [
  ['BTC', 30, 121_500, 0, 5, 0.05],
  ['ETH', 20, 4_350, 1, 4, 1],
  ['SOL', 10, 218, 2, 2, 20],
  ['HYPE', 8, 44.5, 3, 2, 80],
  ['XPL', 4, 0.95, 5, 0, 3_000],
  ['DOGE', 4, 0.245, 5, 0, 20_000],
  ['XRP', 4, 2.78, 4, 0, 1_500],
  ['AVAX', 3, 28.4, 3, 2, 100],
  ['LINK', 3, 21.9, 3, 1, 150],
  ['SUI', 3, 3.4, 4, 1, 1_000],
  ['BNB', 2, 1_130, 1, 3, 2],
  ['ENA', 2, 0.62, 5, 0, 5_000],
  ['kPEPE', 2, 0.0102, 6, 0, 300_000],
  ['@107', 2, 44.4, 3, 2, 50], // HYPE/USDC spot: not in the registry
  ['xyz:XYZ100', 1, 24_800, 0, 4, 0.2], // a builder-deployed perp: not in the registry
];

const HOUR_START_MS = Date.UTC(2025, 9, 10, 21, 0, 0);
const WINDOW_START_MS = Date.UTC(2025, 9, 10, 21, 15, 3, 127);
const WINDOW_END_MS = Date.UTC(2025, 9, 10, 21, 26, 57, 421);
const BIG_BATCH_MS = Date.UTC(2025, 9, 10, 21, 16, 4, 831);
const BLOCK_MS = 100;
const FIRST_BLOCK = 750_000_000;
const USERS = 60_000;
/** The liquidator vault named in backstop fills. */
const HLP = '0x2e3d94f0562703b25c83308a05046ddaf9a8dd14';

/** mulberry32: a small, fast, seeded PRNG (the bench's own, so the simulator's streams stay untouched). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Block time as the node writes it: nanoseconds, no zone. */
function nodeTime(ms: number, nanos: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(nanos).padStart(6, '0')}`;
}

interface Plan {
  /** Market liquidation fills and backstop ones, by block index. */
  market: Map<number, number>;
  backstop: Map<number, number>;
  /** ADL pairs by block index. */
  adl: Map<number, number>;
}

/**
 * Where the forced fills go: ADL in 16 waves (the first, at 21:16:04.831, with 11,279 pairs), the
 * other liquidations spread over the 12-minute window in same-millisecond bursts.
 */
function planForced(scale: number, random: () => number): Plan {
  const blockOf = (ms: number) => Math.floor((ms - HOUR_START_MS) / BLOCK_MS);
  const adlTotal = Math.round(34_983 * scale);
  const liqTotal = Math.round(63_637 * scale);
  const plan: Plan = { market: new Map(), backstop: new Map(), adl: new Map() };
  const add = (m: Map<number, number>, block: number, n: number) => m.set(block, (m.get(block) ?? 0) + n);
  const first = Math.min(adlTotal, Math.round(11_279 * scale));
  add(plan.adl, blockOf(BIG_BATCH_MS), first);
  let left = adlTotal - first;
  for (let wave = 1; wave < 16 && left > 0; wave++) {
    const n = wave === 15 ? left : Math.min(left, Math.round((adlTotal - first) / 15));
    const at = BIG_BATCH_MS + 6_000 + Math.floor(((WINDOW_END_MS - BIG_BATCH_MS - 7_000) * wave) / 15);
    add(plan.adl, blockOf(at), n);
    left -= n;
  }
  // the other liquidated users' fills: 90 % sent to the book, 10 % taken by the backstop vault
  let others = liqTotal - adlTotal;
  const span = WINDOW_END_MS - WINDOW_START_MS;
  add(plan.market, blockOf(WINDOW_START_MS), 1);
  add(plan.market, blockOf(WINDOW_END_MS), 1);
  others -= 2;
  while (others > 0) {
    const burst = Math.min(others, 1 + Math.floor(random() ** 3 * 400));
    const block = blockOf(WINDOW_START_MS + Math.floor(random() * span));
    const backstop = Math.floor(burst / 10);
    add(plan.market, block, burst - backstop);
    if (backstop > 0) add(plan.backstop, block, backstop);
    others -= burst;
  }
  return plan;
}

/** Writes the hour and returns what it holds (for the bench to check the decoder's counts). */
export async function generateHlFillsHour(options: HlFillsHourOptions): Promise<HlFillsHourSummary> {
  const scale = options.scale ?? 1;
  const random = prng(options.seed ?? 20251010);
  const path = join(options.dir, 'hourly/20251010/21.lz4');
  mkdirSync(dirname(path), { recursive: true });
  const summary: HlFillsHourSummary = {
    path,
    blocks: 0,
    fills: 0,
    liquidationFills: 0,
    adlFills: 0,
    bookTrades: 0,
    unknownCoinTrades: 0,
    uncompressedBytes: 0,
    compressedBytes: 0,
  };
  const users = Array.from({ length: USERS }, (_, i) => `0x${hex(Math.floor(random() * 2 ** 32), 8)}${hex(i, 32)}`);
  const user = () => users[Math.floor(random() * USERS)]!;
  const hashPrefix = Array.from({ length: 6 }, () => hex(Math.floor(random() * 2 ** 32), 8)).join('');
  const prices = COINS.map((c) => c[2]);
  const weightSum = COINS.reduce((s, c) => s + c[1], 0);
  const pickCoin = (): number => {
    let r = random() * weightSum;
    for (let i = 0; i < COINS.length; i++) {
      r -= COINS[i]![1];
      if (r < 0) return i;
    }
    return 0;
  };
  const plan = planForced(scale, random);
  const blocks = 3_600_000 / BLOCK_MS;
  // ordinary trades: about 1.5M an Oct-10 hour, four times as dense inside the cascade window
  const ordinaryTotal = 1_535_000 * scale;
  const windowBlocks = (WINDOW_END_MS - WINDOW_START_MS) / BLOCK_MS;
  const perBlockOutside = ordinaryTotal / (blocks - windowBlocks + 4 * windowBlocks);
  let tid = 900_000_000_000_000;
  let oid = 180_000_000_000;
  let hashSeq = 0;

  const fill = (u: string, coin: number, px: string, sz: string, side: 'A' | 'B', time: number, dir: string, crossed: boolean, t: number, start: string, pnl: string, liquidation: string): string => {
    const [name] = COINS[coin]!;
    oid += 1;
    hashSeq += 1;
    return (
      `["${u}",{"coin":"${name}","px":"${px}","sz":"${sz}","side":"${side}","time":${time},"startPosition":"${start}","dir":"${dir}",` +
      `"closedPnl":"${pnl}","hash":"0x${hashPrefix}${hex(hashSeq, 16)}","oid":${oid},"crossed":${crossed},"fee":"${crossed ? '0.3612' : '-0.0361'}",` +
      `"tid":${t},"feeToken":"USDC","twapId":null${liquidation}}]`
    );
  };
  const priceText = (coin: number, drift: number): string => {
    const [, , , places] = COINS[coin]!;
    prices[coin] = prices[coin]! * (1 + drift + (random() - 0.5) * 0.0004);
    return prices[coin]!.toFixed(places);
  };
  const sizeText = (coin: number): string => {
    const [, , , , places, typical] = COINS[coin]!;
    const step = 10 ** -places;
    const size = Math.max(step, typical * (0.05 + random() ** 2 * 4));
    return size.toFixed(places);
  };
  const knownCoin = (coin: number) => !COINS[coin]![0].startsWith('@') && !COINS[coin]![0].includes(':');

  async function* text(): AsyncGenerator<Buffer> {
    let pending: string[] = [];
    let pendingLength = 0;
    for (let b = 0; b < blocks; b++) {
      const ms = HOUR_START_MS + b * BLOCK_MS + Math.floor(random() * 20);
      const inWindow = ms >= WINDOW_START_MS && ms <= WINDOW_END_MS;
      // the cascade: prices fall about 15 % over the window's first half and recover a third after
      const drift = inWindow ? (ms < (WINDOW_START_MS + WINDOW_END_MS) / 2 ? -0.0000435 : 0.0000145) : 0;
      const events: string[] = [];
      const forcedMs = ms; // forced fills of a block share its millisecond
      const liquidated = (coin: number, n: number, method: 'market' | 'backstop'): void => {
        for (let k = 0; k < n; k++) {
          tid += 1;
          const px = priceText(coin, drift / 4);
          const mark = priceText(coin, 0);
          const sz = sizeText(coin);
          const long = random() < 0.87; // Oct-10: $16.7B of longs, $2.5B of shorts
          const victim = user();
          const liq = `,"liquidation":{"liquidatedUser":"${victim}","markPx":"${mark}","method":"${method}"}`;
          const dir = `Liquidated ${random() < 0.7 ? 'Cross' : 'Isolated'} ${long ? 'Long' : 'Short'}`;
          events.push(fill(victim, coin, px, sz, long ? 'A' : 'B', forcedMs, dir, true, tid, long ? sz : `-${sz}`, '-1520.25', liq));
          const counterparty = method === 'market' ? user() : HLP;
          events.push(fill(counterparty, coin, px, sz, long ? 'B' : 'A', forcedMs, long ? 'Open Long' : 'Open Short', false, tid, '0.0', '0.0', ''));
          summary.liquidationFills += 1;
          if (method === 'market') {
            summary.bookTrades += 1;
            if (!knownCoin(coin)) summary.unknownCoinTrades += 1;
          }
        }
      };
      const forcedCoin = (): number => {
        const c = pickCoin();
        return knownCoin(c) ? c : 0;
      };
      const market = plan.market.get(b) ?? 0;
      const backstop = plan.backstop.get(b) ?? 0;
      const adl = plan.adl.get(b) ?? 0;
      // liquidations come first in a block, their ADL fills after them
      for (let k = 0; k < market; k++) liquidated(forcedCoin(), 1, 'market');
      for (let k = 0; k < backstop; k++) liquidated(forcedCoin(), 1, 'backstop');
      if (adl > 0) {
        const pairs: [string, string][] = [];
        for (let k = 0; k < adl; k++) {
          tid += 1;
          const coin = forcedCoin();
          const px = priceText(coin, 0);
          const sz = sizeText(coin);
          const victim = user();
          const winner = user();
          const liq = `,"liquidation":{"liquidatedUser":"${victim}","markPx":"${px}","method":"backstop"}`;
          const loserFill = fill(victim, coin, px, sz, 'A', forcedMs, 'Liquidated Cross Long', true, tid, sz, '-2210.5', liq);
          const adlFill = fill(winner, coin, px, sz, 'B', forcedMs, 'Auto-Deleveraging', true, tid, `-${sz}`, '4310.75', liq);
          pairs.push([loserFill, adlFill]);
        }
        for (const [loser] of pairs) events.push(loser);
        for (const [, winner] of pairs) events.push(winner);
        summary.liquidationFills += adl;
        summary.adlFills += adl;
      }
      const expected = perBlockOutside * (inWindow ? 4 : 1);
      const trades = Math.floor(expected * (0.25 + random() * 1.5) + random());
      for (let k = 0; k < trades; k++) {
        tid += 1;
        const coin = pickCoin();
        const px = priceText(coin, drift);
        const sz = sizeText(coin);
        const takerBuys = random() < (inWindow ? 0.35 : 0.5);
        const taker = user();
        const maker = user();
        const takerDir = takerBuys ? (random() < 0.5 ? 'Open Long' : 'Close Short') : random() < 0.5 ? 'Open Short' : 'Close Long';
        const makerDir = takerBuys ? (random() < 0.5 ? 'Open Short' : 'Close Long') : random() < 0.5 ? 'Open Long' : 'Close Short';
        events.push(fill(taker, coin, px, sz, takerBuys ? 'B' : 'A', ms, takerDir, true, tid, '0.0', '0.0', ''));
        events.push(fill(maker, coin, px, sz, takerBuys ? 'A' : 'B', ms, makerDir, false, tid, '0.0', '0.0', ''));
        summary.bookTrades += 1;
        if (!knownCoin(coin)) summary.unknownCoinTrades += 1;
      }
      if (events.length === 0) continue;
      summary.blocks += 1;
      summary.fills += events.length;
      const nanos = Math.floor(random() * 1_000_000);
      const line = `{"local_time":"${nodeTime(ms + 2, nanos)}","block_time":"${nodeTime(ms, nanos)}","block_number":${FIRST_BLOCK + b},"events":[${events.join(',')}]}\n`;
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= 4 << 20) {
        const chunk = Buffer.from(pending.join(''));
        summary.uncompressedBytes += chunk.length;
        yield chunk;
        pending = [];
        pendingLength = 0;
      }
    }
    if (pending.length > 0) {
      const chunk = Buffer.from(pending.join(''));
      summary.uncompressedBytes += chunk.length;
      yield chunk;
    }
  }

  const out = createWriteStream(path);
  await pipeline(Readable.from(encodeLz4Frame(text())), out);
  summary.compressedBytes = out.bytesWritten;
  return summary;
}
