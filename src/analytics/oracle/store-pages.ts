import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';

/**
 * Keyset-paged readers of one asset's prices and liquidations, in time order, so that a store of millions
 * of rows is walked with a page in memory at a time (each page is a range of the (asset, time, id) indexes).
 */
export const PAGE_ROWS = 5000;

export interface OracleRow {
  id: string;
  venue: string;
  market: string;
  price: string;
  time: Date;
  block_time: Date | null;
}

export interface BarRow {
  venue: string;
  market: string;
  interval: string;
  time: Date;
  close: string;
  last_trade_at: Date | null;
}

export interface LiquidationRow {
  id: string;
  venue: string;
  market: string;
  asset: string | null;
  quote: string | null;
  side: 'long' | 'short' | null;
  time: Date;
  size: string | null;
  size_usd: string | null;
  price: string | null;
  mark_price: string | null;
  oracle_price: string | null;
  collateral_token: string | null;
  collateral_asset: string | null;
  collateral_amount: string | null;
  collateral_usd: string | null;
  pnl_usd: string | null;
  fee_usd: string | null;
  bad_debt_usd: string | null;
  flags: string[];
  extra: unknown;
}

/**
 * A reader that keeps one page ahead: when a full page arrives, the next is asked for at once, so that it
 * is on its way while the walk works through this one (and queued before the walk's next write of
 * checks, which it would otherwise wait behind on the transaction's one connection). `head` is the next
 * row (null: no more).
 */
export class PagedReader<T> {
  private buffer: T[] = [];
  private index = 0;
  /** The page after the buffer, asked for when the buffer arrived; null once a short page said there is no more. */
  private ahead: Promise<T[]> | null;

  constructor(private readonly fetchAfter: (last: T | null) => Promise<T[]>) {
    this.ahead = this.ask(null);
  }

  /** Makes `head` valid: waits for the page ahead if the buffer is used up. */
  async fill(): Promise<void> {
    if (this.index < this.buffer.length || !this.ahead) return;
    const page = await this.ahead;
    this.buffer = page;
    this.index = 0;
    this.ahead = page.length < PAGE_ROWS ? null : this.ask(page[page.length - 1]!);
  }

  /** Whether `head` is valid without waiting (a row in the buffer, or no page to come). */
  get ready(): boolean {
    return this.index < this.buffer.length || !this.ahead;
  }

  get head(): T | null {
    return this.index < this.buffer.length ? this.buffer[this.index]! : null;
  }

  shift(): void {
    this.index++;
  }

  private ask(last: T | null): Promise<T[]> {
    const page = this.fetchAfter(last);
    // A walk that stops early never awaits its page ahead; its failure is seen by whoever awaits it.
    page.catch(() => {});
    return page;
  }
}

export interface AssetKey {
  asset: string;
  quote: string;
}

/**
 * The rows of `asset` in [from, to) after `last` in (time, id) order, as row comparisons on the facts'
 * `(asset, time, id)` index (migrations/0009): a page is then one range of that index, and no other
 * index can serve its order. Written as `asset = … and (time, id) > …`, the planner took the `time`
 * index (the facts are stored in about time order) and filtered out the other assets' rows one by one:
 * 88,000 rows read for a page of 5,000 of the bench's smallest asset (147 ms, against 21 ms here), and
 * 15.8 s of the analyze bench's Postgres time for the liquidation pages.
 */
function assetKeyRange(asset: string, from: Date, to: Date | null, last: { time: Date; id: string } | null, alias?: string) {
  const col = (name: string) => sql.ref(alias ? `${alias}.${name}` : name);
  const lower = last
    ? sql`(${col('asset')}, ${col('time')}, ${col('id')}) > (${asset}, ${last.time}, ${last.id}::bigint)`
    : sql`(${col('asset')}, ${col('time')}) >= (${asset}, ${from})`;
  const upper = to ? sql`(${col('asset')}, ${col('time')}) < (${asset}, ${to})` : sql`${col('asset')} <= ${asset}`;
  return sql`${lower} and ${upper}`;
}

/** Oracle rows of an asset from `from` on (no upper bound: the walk decides where to stop). Rows with a raw (unscaled) price are left out. */
export function oracleRows(db: Kysely<Database>, key: AssetKey, from: Date): PagedReader<OracleRow> {
  // Ordered by the table's columns: a bare `id` in ORDER BY is the output column, the id as text, whose
  // order ("10" < "9") is not the keyset's (a bigint comparison), and rows of one time were skipped.
  return new PagedReader(async (last) => {
    const { rows } = await sql<OracleRow>`
      select id::text as id, venue, market, price::text as price, time, block_time
      from oracle_prices
      where ${assetKeyRange(key.asset, from, null, last)} and quote = ${key.quote} and not ('raw_price' = any(flags))
      order by oracle_prices.asset, oracle_prices.time, oracle_prices.id limit ${PAGE_ROWS}`.execute(db);
    return rows;
  });
}

/**
 * Complete bars of one interval with at least one trade (their close), from `from` on. A bar without a
 * trade carries no new price (dYdX keeps the previous close in an empty candle), and a candle still in
 * progress (flag `in_progress`) is not complete.
 */
export function barRows(db: Kysely<Database>, key: AssetKey, interval: string, from: Date): PagedReader<BarRow> {
  return new PagedReader(async (last) => {
    const after = last ? sql`and (time, venue, market) > (${last.time}, ${last.venue}, ${last.market})` : sql``;
    const { rows } = await sql<BarRow>`
      select venue, market, interval, time, close::text as close, last_trade_at
      from trade_bars
      where asset = ${key.asset} and quote = ${key.quote} and interval = ${interval} and time >= ${from} and close is not null
        and trades > 0 and not ('in_progress' = any(flags)) ${after}
      order by time, venue, market limit ${PAGE_ROWS}`.execute(db);
    return rows;
  });
}

/** Liquidations of an asset in [from, to), of the given venues (all when empty), with their collateral token's asset. */
export function liquidationRows(db: Kysely<Database>, key: AssetKey, from: Date, to: Date, venues: readonly string[]): PagedReader<LiquidationRow> {
  return new PagedReader(async (last) => {
    const venueFilter = venues.length > 0 ? sql`and l.venue in (${sql.join(venues)})` : sql``;
    const { rows } = await sql<LiquidationRow>`
      select l.id::text as id, l.venue, l.market, l.asset, l.quote, l.side, l.time,
             l.size::text as size, l.size_usd::text as size_usd, l.price::text as price, l.mark_price::text as mark_price,
             l.oracle_price::text as oracle_price, l.collateral_token, t.asset as collateral_asset,
             l.collateral_amount::text as collateral_amount, l.collateral_usd::text as collateral_usd, l.pnl_usd::text as pnl_usd,
             l.fee_usd::text as fee_usd, l.bad_debt_usd::text as bad_debt_usd, l.flags, l.extra
      from liquidations l
      left join tokens t on t.chain_id = l.chain_id and t.address = l.collateral_token
      where ${assetKeyRange(key.asset, from, to, last, 'l')} and l.quote = ${key.quote} ${venueFilter}
      order by l.asset, l.time, l.id limit ${PAGE_ROWS}`.execute(db);
    return rows;
  });
}

export interface AssetInRange extends AssetKey {
  /** The oracle series (venue, market) with prices of the asset in the range. */
  series: { venue: string; market: string }[];
  /** The venues with liquidations of the asset in the range. */
  liquidatingVenues: string[];
}

/**
 * The (asset, quote) pairs that have liquidations or oracle prices in [from, to), with their oracle
 * series and liquidating venues: one pass over each table. Asked per asset instead, the liquidating
 * venues took 2.9 s of the analyze bench (ten scans of each asset's rows through its index).
 */
export async function assetsInRange(db: Kysely<Database>, from: Date, to: Date, assets: readonly string[]): Promise<AssetInRange[]> {
  const assetFilter = assets.length > 0 ? sql`and asset in (${sql.join(assets)})` : sql``;
  const { rows: liquidating } = await sql<AssetKey & { venue: string }>`
    select distinct asset, quote, venue from liquidations
    where asset is not null and quote is not null and time >= ${from} and time < ${to} ${assetFilter}`.execute(db);
  const { rows: series } = await sql<AssetKey & { venue: string; market: string }>`
    select distinct asset, quote, venue, market from oracle_prices
    where asset is not null and quote is not null and time >= ${from} and time < ${to} ${assetFilter}`.execute(db);
  const byKey = new Map<string, AssetInRange>();
  const entry = (k: AssetKey) => {
    const id = `${k.asset}\u0000${k.quote}`;
    let found = byKey.get(id);
    if (!found) byKey.set(id, (found = { asset: k.asset, quote: k.quote, series: [], liquidatingVenues: [] }));
    return found;
  };
  for (const r of liquidating) entry(r).liquidatingVenues.push(r.venue);
  for (const r of series) entry(r).series.push({ venue: r.venue, market: r.market });
  // in code-point order, whatever the server's collation
  return [...byKey.values()].sort((a, b) => (a.asset !== b.asset ? (a.asset < b.asset ? -1 : 1) : a.quote < b.quote ? -1 : a.quote > b.quote ? 1 : 0));
}
