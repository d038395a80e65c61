import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecodeContext, DecodeOutput } from '../../../src/pipeline/decode.ts';
import type { JsonLine } from '../../../src/pipeline/records.ts';
import { Registry } from '../../../src/pipeline/registry.ts';
import type { SourceInfo } from '../../../src/pipeline/source-info.ts';
import { hyperliquid } from '../../../src/protocols/hyperliquid/index.ts';
import { NodeFillError } from '../../../src/protocols/hyperliquid/errors.ts';
import { compareNodeFillFiles } from '../../../src/protocols/hyperliquid/file-order.ts';
import type { TradeBarRow } from '../../../src/protocols/hyperliquid/trade-bar.ts';
import { FilesSource } from '../../../src/sources/files/files-source.ts';
import { A, B, C, D, FIXTURE_LINES, HLP, M, MALFORMED_LINE, T1, T2, T3 } from './fixture.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sourceInfo(options: Record<string, unknown> = {}): SourceInfo {
  return { id: 'hl-test', kind: 'files', protocol: 'hyperliquid', venue: 'hyperliquid', chain: 'hyperliquid', chainId: null, addresses: [], options };
}

function context(options: Record<string, unknown> = {}): DecodeContext {
  return {
    source: sourceInfo(options),
    registry: Registry.scoped(hyperliquid.markets ?? [], [], 'hyperliquid', null),
    pending: { find: async () => new Map() },
  };
}

/** Writes `lines` as the node would (`hourly/20251010/21`) and returns the JSON lines FilesSource reads back. */
async function readThroughFiles(lines: string[]): Promise<JsonLine[]> {
  const root = mkdtempSync(join(tmpdir(), 'liqscope-hl-'));
  dirs.push(root);
  mkdirSync(join(root, 'hourly/20251010'), { recursive: true });
  writeFileSync(join(root, 'hourly/20251010/21'), `${lines.join('\n')}\n`);
  const source = new FilesSource({ info: sourceInfo(), paths: [root], compareFiles: hyperliquid.files!.compareFiles });
  const out: JsonLine[] = [];
  for await (const item of source.pull({ cursors: new Map(), signal: new AbortController().signal })) {
    if (item.type === 'batch') out.push(...item.records);
  }
  return out;
}

async function decode(lines: JsonLine[], options: Record<string, unknown> = {}): Promise<DecodeOutput> {
  return hyperliquid.files!.decoder.decode(lines, context(options));
}

const T03_127 = new Date('2025-10-10T21:15:03.127Z');
const T03_950 = new Date('2025-10-10T21:15:03.950Z');
const hash = (n: number) => `0x${String(n).padStart(64, '0')}`;
const base = { venue: 'hyperliquid', chain: 'hyperliquid', chain_id: null, log_index: null, source_id: 'hl-test', quote: 'USD' };

describe('Hyperliquid node fills decoder: hand-written fixture', () => {
  it('turns liquidation fills into liquidations: account, side, size, price, mark, time with ms, PnL, fee, method', async () => {
    const out = await decode(await readThroughFiles(FIXTURE_LINES));
    const liquidations = out.liquidations.map((r) => ({ ...r, extra: JSON.parse(r.extra as string) }));
    expect(liquidations).toEqual([
      {
        ...base,
        market: 'BTC',
        symbol: 'BTC',
        asset: 'BTC',
        time: T03_127,
        block_number: '750000001',
        tx_hash: hash(2),
        uid: `102:${A}`,
        account: A,
        liquidator: null,
        side: 'long',
        size: '0.2',
        size_raw: null,
        size_usd: '20900', // 104500.0 × 0.2
        price: '104500.0',
        price_raw: null,
        mark_price: '104560.1',
        oracle_price: null,
        collateral_token: null,
        collateral_amount: null,
        collateral_usd: null,
        pnl_usd: '-1234.5',
        fee_usd: '10.449',
        bad_debt_usd: null,
        flags: [],
        extra: {
          dir: 'Liquidated Cross Long',
          oid: 9002,
          crossed: true,
          startPosition: '0.2',
          fee: '10.449',
          feeToken: 'USDC',
          method: 'market',
          markPx: '104560.1',
          liquidatedUser: A,
          local_time: '2025-10-10T21:15:03.129812306',
          block_time: '2025-10-10T21:15:03.127417529',
        },
      },
      expect.objectContaining({
        market: 'ETH',
        asset: 'ETH',
        time: T03_950,
        block_number: '750000002',
        uid: `104:${B}`,
        account: B,
        side: 'short', // "Liquidated Isolated Short"
        size: '3.5',
        size_usd: '12110.7', // 3460.2 × 3.5
        price: '3460.2',
        mark_price: '3459.9',
        pnl_usd: '-2101.4',
        fee_usd: '0.0',
        flags: [],
        extra: expect.objectContaining({ method: 'backstop', dir: 'Liquidated Isolated Short' }),
      }),
      expect.objectContaining({
        market: 'SOL',
        asset: 'SOL',
        uid: `105:${C}`,
        account: C,
        side: 'long',
        size: '120.5',
        size_usd: '21949.075', // 182.15 × 120 + 182.15 × 0.5
        price: '182.15',
        mark_price: '182.2',
        pnl_usd: '-5010.25',
        extra: expect.objectContaining({ method: 'backstop' }),
      }),
    ]);
  });

  it('turns the ADL fill into an ADL event whose counterparty is the liquidated user', async () => {
    const out = await decode(await readThroughFiles(FIXTURE_LINES));
    expect(out.adlEvents.map((r) => ({ ...r, extra: JSON.parse(r.extra as string) }))).toEqual([
      {
        ...base,
        market: 'SOL',
        symbol: 'SOL',
        asset: 'SOL',
        time: T03_950,
        block_number: '750000002',
        tx_hash: hash(5),
        uid: `105:${D}`,
        account: D, // lower-cased from the file's 0xD4D4…
        counterparty: C,
        side: 'short', // startPosition -500.0
        size: '120.5',
        size_raw: null,
        size_usd: '21949.075',
        price: '182.15',
        price_raw: null,
        mark_price: '182.2',
        pnl_usd: '4321.0',
        fee_usd: '0.0',
        flags: [],
        extra: {
          dir: 'Auto-Deleveraging',
          oid: 9006,
          crossed: true,
          startPosition: '-500.0',
          fee: '0.0',
          feeToken: 'USDC',
          method: 'backstop',
          markPx: '182.2',
          liquidatedUser: C,
          local_time: '2025-10-10T21:15:03.952000001',
          block_time: '2025-10-10T21:15:03.950000000',
        },
      },
    ]);
  });

  it('folds book trades into one-second bars: taker side once per trade, market liquidations in, backstop, ADL and unknown dirs out', async () => {
    const out = await decode(await readThroughFiles(FIXTURE_LINES));
    const bars = out.tradeBarParts as unknown as TradeBarRow[];
    const byKey = new Map(bars.map((b) => [`${b.market} ${b.time.toISOString()}`, b]));
    expect([...byKey.keys()].sort()).toEqual(['BTC 2025-10-10T21:15:03.000Z', 'ETH 2025-10-10T21:15:04.000Z', 'XYZ 2025-10-10T21:15:03.000Z']);

    // BTC 21:15:03: tid 101 (T1 buys 0.5 @ 104582.5), tid 102 (A's market liquidation sells 0.2 @ 104500.0),
    // tid 103 (T2 sells 0.3 @ 104400). Not tid 106 (unknown dir). Makers never count.
    const btc = byKey.get('BTC 2025-10-10T21:15:03.000Z')!;
    expect({ ...btc, volume: undefined, volume_usd: undefined, buy_volume: undefined, sell_volume: undefined, vwap: undefined }).toEqual({
      venue: 'hyperliquid',
      chain: 'hyperliquid',
      market: 'BTC',
      asset: 'BTC',
      quote: 'USD',
      interval: '1s',
      time: new Date('2025-10-10T21:15:03.000Z'),
      trades: 3,
      volume: undefined,
      volume_usd: undefined,
      buy_volume: undefined,
      sell_volume: undefined,
      open: '104582.5', // first at .127 (tid 101 before tid 102 in the same millisecond)
      high: '104582.5',
      low: '104400',
      close: '104400', // .950
      vwap: undefined,
      first_trade_at: T03_127,
      last_trade_at: T03_950,
      source_id: 'hl-test',
      flags: [],
      extra: '{}',
    });
    // 0.5 + 0.2 + 0.3 = 1.0; 52,291.25 + 20,900 + 31,320 = 104,511.25; buys 0.5, sells 0.2 + 0.3
    expect(Number(btc.volume)).toBeCloseTo(1.0, 12);
    expect(Number(btc.volume_usd)).toBeCloseTo(104511.25, 8);
    expect(Number(btc.buy_volume)).toBeCloseTo(0.5, 12);
    expect(Number(btc.sell_volume)).toBeCloseTo(0.5, 12);
    expect(Number(btc.vwap)).toBeCloseTo(104511.25, 8);

    // ETH: the backstop liquidation at :03 (tid 104) makes no bar; T1's taker buy at :04.010 does
    const eth = byKey.get('ETH 2025-10-10T21:15:04.000Z')!;
    expect([eth.trades, eth.open, eth.high, eth.low, eth.close, Number(eth.volume), Number(eth.volume_usd), Number(eth.buy_volume), Number(eth.sell_volume)]).toEqual([
      1, '3461.0', '3461.0', '3461.0', '3461.0', 1, 3461, 1, 0,
    ]);
    // SOL: the ADL pair (tid 105) is no book trade
    expect(bars.some((b) => b.market === 'SOL')).toBe(false);

    const xyz = byKey.get('XYZ 2025-10-10T21:15:03.000Z')!;
    expect([xyz.asset, xyz.flags, xyz.trades, Number(xyz.volume), Number(xyz.volume_usd), xyz.vwap]).toEqual([null, ['unknown_market'], 1, 10, 15, '1.5']);
  });

  it('keeps a fill of unknown dir as a trades row flagged unknown_dir; other fills reach trades only with allFills', async () => {
    const lines = await readThroughFiles(FIXTURE_LINES);
    const out = await decode(lines);
    expect(out.trades).toEqual([
      expect.objectContaining({
        uid: `106:${T3}`,
        account: T3,
        market: 'BTC',
        asset: 'BTC',
        side: null,
        action: 'unknown',
        order_type: null,
        size: '0.1',
        size_usd: '10440.1',
        price: '104401',
        flags: ['unknown_dir'],
      }),
    ]);
    expect(JSON.parse(out.trades[0]!.extra as string)).toMatchObject({ dir: 'Vault Rebalance', side: 'B' });

    const all = await decode(lines, { allFills: true });
    // every fill but the 3 liquidations and the ADL: tids 101×2, 102 (M), 103×2, 104 (HLP), 106, 107, 108×2
    expect(all.trades.map((t) => t.uid)).toEqual([
      `101:${T1}`,
      `101:${M}`,
      `102:${M}`,
      `103:${T2}`,
      `103:${M}`,
      `104:${HLP}`,
      `106:${T3}`,
      `107:${T1}`,
      `108:${T1}`,
      `108:${M}`,
    ]);
    const t1 = all.trades[0]!;
    expect([t1.side, t1.action, t1.size_usd, t1.pnl_usd, t1.fee_usd, t1.block_number]).toEqual(['long', 'open', '52291.25', '0.0', '23.531062', '750000001']);
    const m103 = all.trades[4]!;
    expect([m103.side, m103.action, m103.fee_usd]).toEqual(['short', 'close', '-0.6264']);
    // node_fills lines ([user, fill] and fill-with-user) have no block
    expect(all.trades.slice(8).map((t) => [t.block_number, JSON.parse(t.extra as string).block_time])).toEqual([
      [null, undefined],
      [null, undefined],
    ]);
    expect(all.trades[7]!.flags).toEqual(['unknown_market']);
    // allFills changes nothing else
    expect(all.liquidations).toEqual(out.liquidations);
    expect(all.adlEvents).toEqual(out.adlEvents);
    expect(all.tradeBarParts).toEqual(out.tradeBarParts);
  });

  it('stops on a malformed line, naming file:line and the field, and returns nothing of the batch', async () => {
    const lines = await readThroughFiles([...FIXTURE_LINES, MALFORMED_LINE]);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5]);
    const error = await decode(lines).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NodeFillError);
    expect((error as Error).message).toBe('hourly/20251010/21:5: events[0][1].px: expected a positive decimal string, got number 104582.5');
  });

  it('names the field for each kind of malformed line', async () => {
    const fill = JSON.parse(FIXTURE_LINES[2]!)[1] as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{ foo: 1 }, '(line): expected a [user, fill] pair, a fill with a user field, or a block {block_number, events}, got an object'],
      [[T1, { ...fill, tid: undefined }], '[1].tid: expected a non-negative integer below 2^53, got nothing (missing)'],
      [[T1, { ...fill, side: 'X' }], '[1].side: expected "A" or "B", got string "X"'],
      [[T1, { ...fill, time: 1760130904 }], '[1].time: expected unix milliseconds, got number 1760130904'],
      [[T1, { ...fill, sz: '0.0' }], '[1].sz: expected a positive decimal string, got string "0.0"'],
      [[T1, { ...fill, px: '000' }], '[1].px: expected a positive decimal string, got string "000"'],
      [[T1, { ...fill, px: '-3461.0' }], '[1].px: expected a positive decimal string, got string "-3461.0"'],
      [[T1, { ...fill, fee: '1e-3' }], '[1].fee: expected a decimal string, got string "1e-3"'],
      [[T1, { ...fill, crossed: 'true' }], '[1].crossed: expected true or false, got string "true"'],
      [[T1, { ...fill, liquidation: { method: 'market' } }], '[1].liquidation.markPx: expected a positive decimal string, got nothing (missing)'],
      [['alice', fill], '[0]: expected a 0x address, got string "alice"'],
      [[T1, fill, 3], '(line): expected a [user, fill] pair, got an array of 3'],
      [{ ...fill, user: undefined }, 'user: expected a 0x address, got nothing (missing)'],
      [{ block_number: 'x', events: [] }, 'block_number: expected a block height, got string "x"'],
      [{ block_number: 1, events: [[T1, fill], 7] }, 'events[1]: expected a [user, fill] pair or a fill with a user field, got number 7'],
    ];
    const failure = async (value: unknown, options: Record<string, unknown> = { allFills: true }) =>
      decode([{ file: 'f', line: 9, value }], options).then(
        () => null,
        (e: unknown) => (e as Error).message,
      );
    for (const [value, message] of cases) expect(await failure(value), JSON.stringify(value).slice(0, 80)).toBe(`f:9: ${message}`);

    // the fields only rows read (PnL, fee, position, hash, order id) are checked where a row is made:
    // always for liquidation, ADL and unknown-dir fills, for ordinary fills only with allFills
    const badFee = [T1, { ...fill, fee: '1e-3' }];
    expect(await failure(badFee, {})).toBeNull();
    // and so is the user: a bar does not read it
    expect(await failure(['alice', fill], {})).toBeNull();
    const bars = (await decode([{ file: 'f', line: 9, value: ['alice', { ...fill, px: '0.001', sz: '00.5' }] }])).tradeBarParts as unknown as TradeBarRow[];
    expect(bars.map((b) => [b.market, b.trades, b.open, Number(b.volume)])).toEqual([['ETH', 1, '0.001', 0.5]]);
    const liquidationFill = JSON.parse(FIXTURE_LINES[0]!).events[2];
    expect(await failure([liquidationFill[0], { ...liquidationFill[1], fee: '1e-3' }], {})).toBe('f:9: [1].fee: expected a decimal string, got string "1e-3"');
    expect(await failure([T1, { ...fill, dir: 'Who Knows', hash: 7 }], {})).toBe('f:9: [1].hash: expected a non-empty string, got number 7');
  });
});

describe('Hyperliquid protocol', () => {
  it('orders node fill files by date and hour (9 before 10), then by key; others after', () => {
    const keys = [
      'hourly/20251010/10.lz4',
      'notes.txt',
      'hourly/20251010/9.lz4',
      'hourly/20251009/23.lz4',
      'node_fills_20251010_21.lz4',
      'hourly/20251010/21',
    ];
    expect([...keys].sort(compareNodeFillFiles)).toEqual([
      'hourly/20251009/23.lz4',
      'hourly/20251010/9.lz4',
      'hourly/20251010/10.lz4',
      'hourly/20251010/21',
      'node_fills_20251010_21.lz4',
      'notes.txt',
    ]);
  });

  it('knows every coin the shipped scenarios trade, and validates its options strictly', () => {
    const coins = new Set((hyperliquid.markets ?? []).map((m) => m.market));
    for (const coin of ['BTC', 'ETH', 'SOL', 'HYPE', 'XPL', 'DOGE', 'XRP', 'AVAX', 'LINK', 'SUI']) expect(coins.has(coin), coin).toBe(true);
    expect(hyperliquid.markets!.find((m) => m.market === 'kPEPE')).toMatchObject({ asset: 'KPEPE', extra: { unitOf: 'PEPE', unitMultiplier: 1000 } });
    expect(hyperliquid.options!.parse({ allFills: true })).toEqual({ allFills: true });
    expect(() => hyperliquid.options!.parse({ allfills: true })).toThrow(/allfills/);
  });
});
