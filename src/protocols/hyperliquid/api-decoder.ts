import type { NewDecodeError, NewOraclePrice, NewTradeBar } from '../../db/schema.ts';
import { emptyOutput } from '../../pipeline/decode.ts';
import type { DecodeContext, DecodeOutput, Decoder } from '../../pipeline/decode.ts';
import type { HttpItem } from '../../pipeline/records.ts';
import type { ApiItem, CandleItem, CtxItem, GapItem } from './api-items.ts';
import { adlRow, coinMarket, liquidationRow, tradeRow, type CoinMarket } from './decoder.ts';
import { classifyDir } from './dir.ts';

/**
 * Decoder of the info API's items (validated by the page readers: api-candles.ts, api-ctx.ts,
 * api-fills.ts):
 * - a candle → one complete `trade_bars` row (interval `1m`…; the store replaces a bar written again,
 *   so the candle in progress is replaced by its complete self on a later page). Volume is `v`, trades
 *   `n`, prices the exact strings; `volume_usd`, `vwap`, buy/sell volumes and trade times stay null: a
 *   candle has no notional and no taker side, and a product of averages would be a guess.
 * - an asset context → two `oracle_prices` rows at the sample's time: `oraclePx` under the source's
 *   venue (`hyperliquid`) and `markPx` under `<venue>-mark` (`hyperliquid-mark`), two providers that
 *   analytics can compare with each other and with the venue's fills; uid `<sample ms>:<coin>`, extra
 *   {midPx, funding, openInterest, premium, impactPxs}.
 * - a fill of a watched user → the rows node fills make (decoder.ts builders): `liquidations`,
 *   `adl_events`, and `trades` for the user's other fills (a watch list's trading is the point; its
 *   fills are one side of the book, so they never feed bars). uid `tid:user`: a liquidation seen in the
 *   node files and through the API is one row.
 * - a gap (data the API cannot serve) → a `decode_errors` row naming the stream, the range and why.
 */
export const hyperliquidApiDecoder: Decoder<HttpItem> = {
  usesPending: false,
  async decode(records: readonly HttpItem[], ctx: DecodeContext): Promise<DecodeOutput> {
    const out = emptyOutput();
    const markets = new Map<string, CoinMarket>();
    const marketOf = (coin: string): CoinMarket => {
      let m = markets.get(coin);
      if (!m) {
        m = coinMarket(coin, ctx.registry.market(coin));
        markets.set(coin, m);
      }
      return m;
    };
    for (const record of records) {
      const item = record.value as ApiItem;
      switch (item.kind) {
        case 'candle':
          out.tradeBars.push(barRow(item, marketOf(item.coin), ctx));
          break;
        case 'ctx':
          out.oraclePrices.push(...oracleRows(item, marketOf(item.coin), ctx));
          break;
        case 'fill': {
          const { fill, user } = item;
          const dir = classifyDir(fill.dir);
          const market = marketOf(fill.coin);
          if (dir.kind === 'liquidation') out.liquidations.push(liquidationRow(fill, user, dir, market, null, ctx));
          else if (dir.kind === 'adl') out.adlEvents.push(adlRow(fill, user, market, null, ctx));
          else out.trades.push(tradeRow(fill, user, dir, market, null, ctx));
          break;
        }
        case 'gap':
          out.decodeErrors.push(gapRow(item, record, ctx));
          break;
      }
    }
    return out;
  },
};

function barRow(c: CandleItem, market: CoinMarket, ctx: DecodeContext): NewTradeBar {
  const flags = [...market.flags];
  if (c.inProgress) flags.push('in_progress');
  return {
    venue: ctx.source.venue,
    chain: ctx.source.chain,
    market: c.coin,
    asset: market.asset,
    quote: market.quote,
    interval: c.interval as NewTradeBar['interval'],
    time: new Date(c.openTime),
    trades: c.trades,
    volume: c.volume,
    volume_usd: null,
    buy_volume: null,
    sell_volume: null,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    vwap: null,
    first_trade_at: null,
    last_trade_at: null,
    source_id: ctx.source.id,
    flags,
    extra: '{}',
  };
}

/** The venue the mark price is written under: the source's venue with `-mark`. */
export function markVenue(venue: string): string {
  return `${venue}-mark`;
}

function oracleRows(s: CtxItem, market: CoinMarket, ctx: DecodeContext): NewOraclePrice[] {
  const flags = s.delisted ? [...market.flags, 'delisted'] : market.flags;
  const extra = JSON.stringify({ midPx: s.midPx, funding: s.funding, openInterest: s.openInterest, premium: s.premium, impactPxs: s.impactPxs });
  const row = (venue: string, price: string): NewOraclePrice & { chain: string; asset: string | null; quote: string | null } => ({
    venue,
    chain: ctx.source.chain,
    chain_id: null,
    market: s.coin,
    symbol: market.symbol,
    asset: market.asset,
    quote: market.quote,
    price,
    price_min: null,
    price_max: null,
    price_raw: null,
    decimals: null,
    round_id: null,
    time: new Date(s.timeMs),
    block_time: null,
    block_number: null,
    tx_hash: null,
    log_index: null,
    uid: `${s.timeMs}:${s.coin}`,
    source_id: ctx.source.id,
    flags: [...flags],
    extra,
  });
  return [row(ctx.source.venue, s.oraclePx), row(markVenue(ctx.source.venue), s.markPx)];
}

function gapRow(gap: GapItem, record: HttpItem, ctx: DecodeContext): NewDecodeError {
  return {
    source_id: ctx.source.id,
    protocol: ctx.source.protocol,
    chain_id: null,
    block_number: null,
    tx_hash: null,
    log_index: null,
    record_ref: gap.ref,
    event: 'api-gap',
    reason: gap.reason,
    raw: JSON.stringify({ stream: record.stream, request: record.request }),
  };
}
