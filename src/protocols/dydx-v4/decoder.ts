import type { NewAdlEvent, NewLiquidation, NewOraclePrice, NewTradeBar } from '../../db/schema.ts';
import { emptyOutput, type Amendment, type DecodeContext, type DecodeOutput, type Decoder } from '../../pipeline/decode.ts';
import type { HttpItem } from '../../pipeline/records.ts';
import { mulDecimal } from '../shared/decimal.ts';
import { familyOf, roleOf, WaitingHalves } from './counterparty-join.ts';
import { fillId } from './event-ids.ts';
import { CANDLE_INTERVALS, type CandleResolution } from './options.ts';
import type { DydxCandle, DydxFill, DydxFunding, DydxTrade } from './responses.ts';

/**
 * Decoder of the dYdX v4 indexer's answers (streams.ts validated them; formats.md §7):
 *
 * - **trades** `LIQUIDATED` → `liquidations`; `DELEVERAGED` → `liquidations` (the deleveraged subaccount
 *   is the liquidated one: it closes at its bankruptcy price) and `adl_events` (the offsetting
 *   subaccount's position it closed). The trades endpoint names no subaccount: `account` is NULL until a
 *   fill names it. Other trade types make no row (candles carry the trading).
 * - **fills** `LIQUIDATED`/`DELEVERAGED` (the liquidated subaccount, taker) → `liquidations`; `OFFSETTING`
 *   (maker) → `adl_events`; `LIQUIDATION` (the maker that took a liquidation) names the liquidation's
 *   counterparty. The two fills of an event are paired across subaccounts (counterparty-join.ts): the
 *   ADL row's `counterparty` is the deleveraged subaccount, a liquidation's `extra.counterparty` the
 *   other side's.
 * - **funding** ticks → `oracle_prices` (the oracle price at the tick; rate in `extra`).
 * - **candles** → `trade_bars` (complete bars: a candle read again replaces the stored bar).
 *
 * One event, one row, whichever endpoint shows it: a trade's id is its event id and a fill's id is
 * derived from the event id and the fill's side (event-ids.ts), so the uid of every row is the fill id
 * of its side, `fillId(trade.id, 'TAKER')` for the liquidation and `fillId(trade.id, 'MAKER')` for the
 * ADL. A fill read after the trade amends the row the trade made (account, fee, extra); read before,
 * the trade's row is a duplicate of a stored key and is not written.
 *
 * Accounts are `address/subaccountNumber`. A liquidated position's side is the side its fill closed:
 * a SELL closes a long, a BUY a short (for the offsetting subaccount as for the liquidated one).
 */
export const dydxDecoder: Decoder<HttpItem> = {
  // The counterparty join spans streams, so batches: it reads pending_joins.
  usesPending: true,
  async decode(records: readonly HttpItem[], ctx: DecodeContext): Promise<DecodeOutput> {
    const out = emptyOutput();
    const fills: { fill: DydxFill; account: string }[] = [];
    for (const record of records) {
      const colon = record.stream.indexOf(':');
      const kind = record.stream.slice(0, colon);
      const rest = record.stream.slice(colon + 1);
      switch (kind) {
        case 'trades':
          tradeRows(record.value as DydxTrade, rest, ctx, out);
          break;
        case 'fills':
          fills.push({ fill: record.value as DydxFill, account: rest });
          break;
        case 'funding':
          out.oraclePrices.push(oracleRow(record.value as DydxFunding, ctx));
          break;
        case 'candles':
          out.tradeBars.push(barRow(record.value as DydxCandle, rest.slice(rest.lastIndexOf(':') + 1) as CandleResolution, ctx));
          break;
        default:
          throw new Error(`dydx-v4 decoder: item of unknown stream ${JSON.stringify(record.stream)} (from ${record.request})`);
      }
    }
    if (fills.length > 0) await fillRows(fills, ctx, out);
    return out;
  },
};

interface Market {
  market: string;
  symbol: string;
  asset: string | null;
  quote: string | null;
  flags: string[];
}

function marketOf(ticker: string, ctx: DecodeContext): Market {
  const info = ctx.registry.market(ticker);
  if (!info) return { market: ticker, symbol: ticker, asset: null, quote: null, flags: ['unknown_market'] };
  return { market: ticker, symbol: info.symbol || ticker, asset: info.asset, quote: info.quote, flags: [] };
}

/** The side of the position a fill of `side` closes. */
function closedSide(side: 'BUY' | 'SELL'): 'long' | 'short' {
  return side === 'SELL' ? 'long' : 'short';
}

const opposite = (side: 'BUY' | 'SELL') => (side === 'BUY' ? 'SELL' : 'BUY');

function tradeRows(trade: DydxTrade, ticker: string, ctx: DecodeContext, out: DecodeOutput): void {
  if (trade.type !== 'LIQUIDATED' && trade.type !== 'DELEVERAGED') return;
  const market = marketOf(ticker, ctx);
  out.liquidations.push(
    liquidationRow({
      uid: fillId(trade.id, 'TAKER'),
      account: null,
      side: closedSide(trade.side),
      price: trade.price,
      size: trade.size,
      fee: null,
      time: trade.createdAt,
      height: trade.createdAtHeight,
      market,
      flags: [],
      extra: { type: trade.type, eventId: trade.id },
      ctx,
    }),
  );
  if (trade.type === 'DELEVERAGED') {
    out.adlEvents.push(
      adlRow({
        uid: fillId(trade.id, 'MAKER'),
        account: null,
        counterparty: null,
        side: closedSide(opposite(trade.side)),
        price: trade.price,
        size: trade.size,
        fee: null,
        time: trade.createdAt,
        height: trade.createdAtHeight,
        market,
        flags: [],
        extra: { type: 'OFFSETTING', eventId: trade.id },
        ctx,
      }),
    );
  }
}

async function fillRows(fills: readonly { fill: DydxFill; account: string }[], ctx: DecodeContext, out: DecodeOutput): Promise<void> {
  const halves = await WaitingHalves.load(
    ctx.pending,
    fills.map((f) => f.fill),
  );
  const key = (uid: string) => ({ venue: ctx.source.venue, chainId: null, uid });
  // Rows of this batch by uid, so that a pairing inside the batch edits the row itself (amendments
  // run before the batch's inserts, so they only reach rows of earlier batches).
  const liquidations = new Map<string, NewLiquidation>();
  const adl = new Map<string, NewAdlEvent>();
  const amendments: Amendment[] = [];
  const mergeLiquidationExtra = (uid: string, extra: Record<string, unknown>) => {
    const row = liquidations.get(uid);
    if (row) row.extra = JSON.stringify({ ...(JSON.parse(row.extra as string) as object), ...extra });
    amendments.push({ op: 'update', table: 'liquidations', key: key(uid), set: {}, mergeExtra: extra });
  };
  const setAdlCounterparty = (uid: string, counterparty: string) => {
    const row = adl.get(uid);
    if (row) row.counterparty = counterparty;
    amendments.push({ op: 'update', table: 'adl_events', key: key(uid), set: { counterparty } });
  };

  for (const { fill, account } of fills) {
    const market = marketOf(fill.market, ctx);
    const role = roleOf(fill);
    const deleveraging = familyOf(fill) === 'deleveraging';
    const flags: string[] = [];
    const side = closedSide(fill.side);
    // Newer indexers say which position the fill met; it must agree with the side the fill closed.
    const before = fill.positionSideBefore?.toLowerCase();
    if ((before === 'long' || before === 'short') && before !== side) flags.push('side_conflict');
    const extra: Record<string, unknown> = { type: fill.type, liquidity: fill.liquidity, fee: fill.fee };
    if (fill.orderId != null) extra.orderId = fill.orderId;
    if (fill.positionSizeBefore != null) extra.positionSizeBefore = fill.positionSizeBefore;
    if (fill.entryPriceBefore != null) extra.entryPriceBefore = fill.entryPriceBefore;
    if (fill.positionSideBefore != null) extra.positionSideBefore = fill.positionSideBefore;

    const match = halves.meet(fill, { uid: fill.id, account });
    if (match?.ambiguous) flags.push('counterparty_ambiguous');
    const base = { uid: fill.id, account, side, price: fill.price, size: fill.size, fee: fill.fee, time: fill.createdAt, height: fill.createdAtHeight, market, ctx };

    if (role === 'taker') {
      if (match) extra.counterparty = match.other.account;
      const row = liquidationRow({ ...base, flags, extra });
      out.liquidations.push(row);
      liquidations.set(fill.id, row);
      // The trade's row of this event, if stored: the fill names its account and fee.
      amendments.push({ op: 'update', table: 'liquidations', key: key(fill.id), set: { account, fee_usd: fill.fee }, mergeExtra: extra });
      if (match && deleveraging) setAdlCounterparty(match.other.uid, account);
    } else if (deleveraging) {
      const counterparty = match ? match.other.account : null;
      const row = adlRow({ ...base, counterparty, flags, extra });
      out.adlEvents.push(row);
      adl.set(fill.id, row);
      amendments.push({ op: 'update', table: 'adl_events', key: key(fill.id), set: { account, fee_usd: fill.fee, ...(counterparty ? { counterparty } : {}) }, mergeExtra: extra });
      if (match) mergeLiquidationExtra(match.other.uid, { counterparty: account });
    } else if (match) {
      // LIQUIDATION: the maker's fill makes no row of its own; it names the liquidation's counterparty.
      mergeLiquidationExtra(match.other.uid, { counterparty: account, ...(match.ambiguous ? { counterpartyAmbiguous: true } : {}) });
    }
  }
  out.amendments.push(...amendments);
  out.joins.push(...halves.joins());
}

interface RowArgs {
  uid: string;
  account: string | null;
  side: 'long' | 'short';
  price: string;
  size: string;
  fee: string | null;
  time: string;
  height: string;
  market: Market;
  flags: string[];
  extra: Record<string, unknown>;
  ctx: DecodeContext;
}

function liquidationRow(a: RowArgs): NewLiquidation {
  return {
    venue: a.ctx.source.venue,
    chain: a.ctx.source.chain,
    chain_id: null,
    market: a.market.market,
    symbol: a.market.symbol,
    asset: a.market.asset,
    quote: a.market.quote,
    time: new Date(a.time),
    block_number: a.height,
    tx_hash: null,
    log_index: null,
    uid: a.uid,
    source_id: a.ctx.source.id,
    account: a.account,
    liquidator: null,
    side: a.side,
    size: a.size,
    size_raw: null,
    size_usd: mulDecimal(a.price, a.size),
    price: a.price,
    price_raw: null,
    mark_price: null,
    oracle_price: null,
    collateral_token: null,
    collateral_amount: null,
    collateral_usd: null,
    pnl_usd: null,
    fee_usd: a.fee,
    bad_debt_usd: null,
    flags: [...a.market.flags, ...a.flags],
    extra: JSON.stringify(a.extra),
  };
}

function adlRow(a: RowArgs & { counterparty: string | null }): NewAdlEvent {
  return {
    venue: a.ctx.source.venue,
    chain: a.ctx.source.chain,
    chain_id: null,
    market: a.market.market,
    symbol: a.market.symbol,
    asset: a.market.asset,
    quote: a.market.quote,
    time: new Date(a.time),
    block_number: a.height,
    tx_hash: null,
    log_index: null,
    uid: a.uid,
    source_id: a.ctx.source.id,
    account: a.account,
    counterparty: a.counterparty,
    side: a.side,
    size: a.size,
    size_raw: null,
    size_usd: mulDecimal(a.price, a.size),
    price: a.price,
    price_raw: null,
    mark_price: null,
    pnl_usd: null,
    fee_usd: a.fee,
    flags: [...a.market.flags, ...a.flags],
    extra: JSON.stringify(a.extra),
  };
}

function oracleRow(tick: DydxFunding, ctx: DecodeContext): NewOraclePrice {
  const market = marketOf(tick.ticker, ctx);
  const time = new Date(tick.effectiveAt);
  return {
    venue: ctx.source.venue,
    chain: ctx.source.chain,
    chain_id: null,
    market: market.market,
    symbol: market.symbol,
    asset: market.asset,
    quote: market.quote,
    time,
    block_number: tick.effectiveAtHeight,
    tx_hash: null,
    log_index: null,
    // A market has one funding tick per height.
    uid: `${tick.ticker}:${tick.effectiveAtHeight}`,
    source_id: ctx.source.id,
    price: tick.price,
    price_min: null,
    price_max: null,
    price_raw: null,
    decimals: null,
    round_id: null,
    // The tick is applied in its block: the price's own time is the block's.
    block_time: time,
    flags: [...market.flags],
    extra: JSON.stringify({ rate: tick.rate, effectiveAtHeight: tick.effectiveAtHeight }),
  };
}

function barRow(candle: DydxCandle, resolution: CandleResolution, ctx: DecodeContext): NewTradeBar {
  const market = marketOf(candle.ticker, ctx);
  // vwap is a derived figure (as in every bar): the candle's USD volume over its base volume.
  const volume = Number(candle.baseTokenVolume);
  const vwap = volume > 0 ? plainDecimal(Number(candle.usdVolume) / volume) : null;
  const extra: Record<string, unknown> = { resolution, startingOpenInterest: candle.startingOpenInterest };
  if (candle.orderbookMidPriceOpen != null) extra.orderbookMidPriceOpen = candle.orderbookMidPriceOpen;
  if (candle.orderbookMidPriceClose != null) extra.orderbookMidPriceClose = candle.orderbookMidPriceClose;
  return {
    venue: ctx.source.venue,
    chain: ctx.source.chain,
    market: market.market,
    asset: market.asset,
    quote: market.quote,
    interval: CANDLE_INTERVALS[resolution].interval,
    time: new Date(candle.startedAt),
    trades: candle.trades,
    volume: candle.baseTokenVolume,
    volume_usd: candle.usdVolume,
    // A candle does not split its volume by the taker's side, nor say when its first and last trades were.
    buy_volume: null,
    sell_volume: null,
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    vwap,
    first_trade_at: null,
    last_trade_at: null,
    source_id: ctx.source.id,
    flags: [...market.flags],
    extra: JSON.stringify(extra),
  };
}

/** A float as a plain decimal string (never `1e-7`), for NUMERIC columns. */
function plainDecimal(x: number): string {
  const text = String(x);
  if (!text.includes('e')) return text;
  return x.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}
