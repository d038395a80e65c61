import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Hyperliquid node fills in the node_fills_by_block format (formats.md §6, as in
 * test/protocols/hyperliquid/fixture.ts) written the way a node writes them: appended to the current
 * hour's file, `hourly/<YYYYMMDD>/<hour>`, a new file each hour. Each line (one block) holds a market
 * liquidation of a user of its own (the liquidated side crossing, the book's maker side) and an ordinary
 * trade (taker and maker), each trade with its own tid. What the store must then hold, computed here:
 * one `liquidations` row per line (uid `<tid>:<user>`), and two book trades per line in `trade_bars`
 * (the ordinary trade's taker and the market liquidation; maker sides are not counted twice).
 */
export class FillsWriter {
  private lines = 0;
  readonly liquidationUids: string[] = [];

  constructor(private readonly root: string) {}

  get barTrades(): number {
    return this.lines * 2;
  }

  /** Appends `count` lines to hour `hour`'s file of 2025-10-10. */
  append(hour: number, count: number): void {
    const path = join(this.root, 'hourly', '20251010', String(hour));
    mkdirSync(dirname(path), { recursive: true });
    const text: string[] = [];
    for (let k = 0; k < count; k++) text.push(this.line(hour));
    appendFileSync(path, `${text.join('\n')}\n`);
  }

  private line(hour: number): string {
    const i = this.lines++;
    const ms = Date.UTC(2025, 9, 10, hour, 0, 0) + i * 250;
    const iso = new Date(ms).toISOString().replace('Z', '');
    const user = `0x${(0xa0000000 + i).toString(16).padStart(40, '0')}`;
    const maker = '0x3333333333333333333333333333333333333333';
    const taker = '0x1111111111111111111111111111111111111111';
    const liqTid = 50_000_000 + 2 * i;
    const tradeTid = liqTid + 1;
    const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
    const liquidation = { liquidatedUser: user, markPx: '104560.1', method: 'market' };
    const fill = (f: Record<string, unknown>) => ({ coin: 'BTC', time: ms, feeToken: 'USDC', twapId: null, ...f });
    const events = [
      [user, fill({ px: '104500.0', sz: '0.1', side: 'A', startPosition: '0.1', dir: 'Liquidated Cross Long', closedPnl: '-10.0', hash: hash(liqTid), oid: 1_000_000 + 2 * i, crossed: true, fee: '0.0', tid: liqTid, liquidation })],
      [maker, fill({ px: '104500.0', sz: '0.1', side: 'B', startPosition: '-5.0', dir: 'Close Short', closedPnl: '1.5', hash: hash(liqTid), oid: 2_000_000 + 2 * i, crossed: false, fee: '-0.2', tid: liqTid, liquidation })],
      [taker, fill({ px: '104501.0', sz: '0.2', side: 'B', startPosition: '0.0', dir: 'Open Long', closedPnl: '0.0', hash: hash(tradeTid), oid: 1_000_001 + 2 * i, crossed: true, fee: '9.4', tid: tradeTid })],
      [maker, fill({ px: '104501.0', sz: '0.2', side: 'A', startPosition: '-4.9', dir: 'Open Short', closedPnl: '0.0', hash: hash(tradeTid), oid: 2_000_001 + 2 * i, crossed: false, fee: '-0.3', tid: tradeTid })],
    ];
    this.liquidationUids.push(`${liqTid}:${user}`);
    return JSON.stringify({ local_time: `${iso}100001`, block_time: `${iso}000000`, block_number: 760_000_000 + i, events });
  }
}
