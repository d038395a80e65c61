import type { NewTradeBar } from '../../db/schema.ts';

/**
 * A `trade_bars` row as this decoder makes it: the schema's NewTradeBar with its times as Dates and
 * every summary column filled. A bar summarises the trades of one market in one second; a decoder
 * emits partial bars per batch and the store merges a bar split across batches: open from the
 * earlier `first_trade_at`, close from the later `last_trade_at`, sums, min/max, and
 * vwap = volume_usd / volume.
 */
export interface TradeBarRow {
  venue: string;
  chain: string;
  market: string;
  asset: string | null;
  quote: string | null;
  interval: '1s';
  /** Start of the second. */
  time: Date;
  trades: number;
  /** Base units. Volumes are derived sums (floats allowed, written as decimal strings). */
  volume: string;
  volume_usd: string;
  /** Base volume of trades whose taker bought, and sold. */
  buy_volume: string;
  sell_volume: string;
  /** Exact trade prices as the venue wrote them. */
  open: string;
  high: string;
  low: string;
  close: string;
  vwap: string;
  first_trade_at: Date;
  last_trade_at: Date;
  source_id: string;
  flags: string[];
  extra: string;
}

/** The market a bar belongs to, as rows name it. */
export interface BarMarket {
  market: string;
  asset: string | null;
  quote: string | null;
  flags: string[];
}

interface Bar {
  market: BarMarket;
  second: number;
  trades: number;
  volume: number;
  volumeUsd: number;
  buy: number;
  sell: number;
  open: string;
  openTime: number;
  close: string;
  closeTime: number;
  high: string;
  highValue: number;
  low: string;
  lowValue: number;
}

/**
 * Folds trades into one-second bars per market, in the order they are added (which, for fills, is
 * the order the node wrote them: within one millisecond, the first added opens and the last closes).
 */
export class SecondBars {
  /** market → second → bar: nested maps, so folding a trade builds no key string. */
  private readonly byMarket = new Map<string, Map<number, Bar>>();

  add(market: BarMarket, timeMs: number, price: string, size: number, takerBought: boolean): void {
    const second = Math.floor(timeMs / 1000);
    let seconds = this.byMarket.get(market.market);
    if (!seconds) {
      seconds = new Map();
      this.byMarket.set(market.market, seconds);
    }
    const px = Number(price);
    const bar = seconds.get(second);
    if (!bar) {
      seconds.set(second, {
        market,
        second,
        trades: 1,
        volume: size,
        volumeUsd: px * size,
        buy: takerBought ? size : 0,
        sell: takerBought ? 0 : size,
        open: price,
        openTime: timeMs,
        close: price,
        closeTime: timeMs,
        high: price,
        highValue: px,
        low: price,
        lowValue: px,
      });
      return;
    }
    bar.trades += 1;
    bar.volume += size;
    bar.volumeUsd += px * size;
    if (takerBought) bar.buy += size;
    else bar.sell += size;
    if (timeMs < bar.openTime) {
      bar.open = price;
      bar.openTime = timeMs;
    }
    if (timeMs >= bar.closeTime) {
      bar.close = price;
      bar.closeTime = timeMs;
    }
    if (px > bar.highValue) {
      bar.high = price;
      bar.highValue = px;
    }
    if (px < bar.lowValue) {
      bar.low = price;
      bar.lowValue = px;
    }
  }

  rows(base: { venue: string; chain: string; sourceId: string }): TradeBarRow[] {
    const out: TradeBarRow[] = [];
    for (const seconds of this.byMarket.values()) {
      for (const bar of seconds.values()) {
        const row: TradeBarRow = {
          venue: base.venue,
          chain: base.chain,
          market: bar.market.market,
          asset: bar.market.asset,
          quote: bar.market.quote,
          interval: '1s',
          time: new Date(bar.second * 1000),
          trades: bar.trades,
          volume: decimalText(bar.volume),
          volume_usd: decimalText(bar.volumeUsd),
          buy_volume: decimalText(bar.buy),
          sell_volume: decimalText(bar.sell),
          open: bar.open,
          high: bar.high,
          low: bar.low,
          close: bar.close,
          vwap: decimalText(bar.volumeUsd / bar.volume),
          first_trade_at: new Date(bar.openTime),
          last_trade_at: new Date(bar.closeTime),
          source_id: base.sourceId,
          flags: bar.market.flags.length > 0 ? [...bar.market.flags] : [],
          extra: '{}',
        };
        // the table's insert type takes every column as made here
        out.push(row satisfies NewTradeBar);
      }
    }
    return out;
  }
}

/** A float as a plain decimal string (never `1e-7`), for NUMERIC columns. */
export function decimalText(x: number): string {
  const text = String(x);
  if (!text.includes('e')) return text;
  const fixed = x.toFixed(20);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}
