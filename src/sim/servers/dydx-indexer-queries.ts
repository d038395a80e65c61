import { INDEXER_FILL_TYPES, type DydxIndexerRows, type IndexerCandle, type IndexerFill, type IndexerFundingTick } from './dydx-indexer-rows.ts';

/**
 * The answers of dYdX's indexer REST API (comlink, dydxprotocol/v4-chain@84d4664b) over in-memory
 * tables, query by query, as comlink and its Postgres queries compute them:
 * - `limit`: default and maximum 1,000 (API_LIMIT_V4); anything else is a 400.
 * - trades (`/v4/trades/perpetualMarket/:ticker`): the market's TAKER fills, `createdBeforeOrAtHeight`
 *   and `createdBeforeOrAt` inclusive, newest height first (no order within a height: FillTable.findAll
 *   orders by createdAtHeight only); with `page`, ordered by event id ascending, offset
 *   (page − 1) × limit, with `pageSize`, `totalResults` and `offset`. A trade's id is its event id.
 * - fills (`/v4/fills`): one subaccount's fills, the same paging, `includeTypes`/`excludeTypes`
 *   (repeated or comma-separated), `market` with `marketType`.
 * - candles: `resolution` required, `fromISO` inclusive and `toISO` exclusive on startedAt, newest first.
 * - historical funding: `effectiveBeforeOrAtHeight`/`effectiveBeforeOrAt` inclusive, newest first.
 * Errors have comlink's shape: `{errors: [{msg, …}]}` (400 validation, 404 unknown market).
 */
export interface IndexerAnswer {
  status: number;
  body: unknown;
}

/** How ties within one height are ordered in answers without `page` (the indexer promises none). */
export type TieOrder = 'newest-event-first' | 'shuffled';

export const API_LIMIT_V4 = 1000;

/** Tables indexed for the queries. */
export class IndexerTables {
  readonly markets: Set<string>;
  /** Taker fills by market, event id ascending. */
  private readonly takers = new Map<string, IndexerFill[]>();
  /** Fills by `address/subaccountNumber`, event id ascending. */
  private readonly bySubaccount = new Map<string, IndexerFill[]>();
  private readonly candles = new Map<string, IndexerCandle[]>();
  private readonly funding = new Map<string, IndexerFundingTick[]>();

  constructor(rows: DydxIndexerRows) {
    this.markets = new Set(rows.markets);
    const sorted = [...rows.fills].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : a.liquidity < b.liquidity ? -1 : 1));
    for (const fill of sorted) {
      if (fill.liquidity === 'TAKER') push(this.takers, fill.market, fill);
      push(this.bySubaccount, `${fill.address}/${fill.subaccountNumber}`, fill);
    }
    for (const c of rows.candles) push(this.candles, `${c.ticker}/${c.resolution}`, c);
    for (const list of this.candles.values()) list.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
    for (const f of rows.funding) push(this.funding, f.ticker, f);
    for (const list of this.funding.values()) list.sort((a, b) => Number(b.effectiveAtHeight) - Number(a.effectiveAtHeight));
  }

  trades(ticker: string, query: URLSearchParams, ties: Ties): IndexerAnswer {
    if (!this.markets.has(ticker)) return notFound(`${ticker} not found in tickers of type PERPETUAL`);
    const paging = readPaging(query);
    if ('error' in paging) return paging.error;
    const rows = filterCreated(this.takers.get(ticker) ?? [], paging);
    return pageOf(rows, paging, ties, 'trades', (f) => ({
      id: f.eventId,
      side: f.side,
      size: f.size,
      price: f.price,
      // fillTypeToTradeType: a taker fill is LIMIT, LIQUIDATED, DELEVERAGED or TWAP_SUBORDER, named the same as a trade
      type: f.type,
      createdAt: f.createdAt,
      createdAtHeight: String(f.createdAtHeight),
    }));
  }

  fills(query: URLSearchParams, ties: Ties): IndexerAnswer {
    const address = query.get('address');
    if (!address || !/^dydx1[0-9a-z]{6,90}$/.test(address)) return invalid('address', address, 'address must be a valid dydx address');
    const number = query.get('subaccountNumber');
    if (number === null || !/^\d+$/.test(number) || Number(number) > 128_000) {
      return invalid('subaccountNumber', number, 'subaccountNumber must be a non-negative integer less than 128001');
    }
    const market = query.get('market');
    const marketType = query.get('marketType');
    if ((market === null) !== (marketType === null)) {
      return market === null ? invalid('market', market, 'market must be provided if marketType is provided') : invalid('marketType', marketType, 'marketType must be provided if market is provided');
    }
    if (marketType !== null && marketType !== 'PERPETUAL' && marketType !== 'SPOT') return invalid('marketType', marketType, 'marketType must be a valid market type (PERPETUAL/SPOT)');
    if (market !== null && !this.markets.has(market)) return notFound(`${market} not found in markets of type ${marketType}`);
    const include = typesParam(query, 'includeTypes');
    if (include === 'invalid') return invalid('includeTypes', query.getAll('includeTypes').join(','), `includeTypes must be one of ${INDEXER_FILL_TYPES.join(',')}`);
    const exclude = typesParam(query, 'excludeTypes');
    if (exclude === 'invalid') return invalid('excludeTypes', query.getAll('excludeTypes').join(','), `excludeTypes must be one of ${INDEXER_FILL_TYPES.join(',')}`);
    const paging = readPaging(query);
    if ('error' in paging) return paging.error;
    let rows = this.bySubaccount.get(`${address}/${Number(number)}`) ?? [];
    if (market !== null) rows = rows.filter((f) => f.market === market);
    if (include) rows = rows.filter((f) => include.includes(f.type));
    if (exclude) rows = rows.filter((f) => !exclude.includes(f.type));
    rows = filterCreated(rows, paging);
    return pageOf(rows, paging, ties, 'fills', (f) => ({
      id: f.id,
      side: f.side,
      liquidity: f.liquidity,
      type: f.type,
      market: f.market,
      marketType: 'PERPETUAL',
      price: f.price,
      size: f.size,
      fee: f.fee,
      affiliateRevShare: '0',
      createdAt: f.createdAt,
      createdAtHeight: String(f.createdAtHeight),
      orderId: f.orderId ?? null,
      clientMetadata: null,
      subaccountNumber: Number(number),
    }));
  }

  candlesOf(ticker: string, query: URLSearchParams): IndexerAnswer {
    if (!this.markets.has(ticker)) return invalid('ticker', ticker, 'ticker must be a valid ticker (BTC-USD, etc)');
    const resolution = query.get('resolution');
    const resolutions = ['1MIN', '5MINS', '15MINS', '30MINS', '1HOUR', '4HOURS', '1DAY'];
    if (resolution === null || !resolutions.includes(resolution)) return invalid('resolution', resolution, `resolution must be a valid Candle Resolution, one of ${resolutions.join(',')}`);
    const limit = readLimit(query);
    if (typeof limit !== 'number') return limit;
    const from = isoParam(query, 'fromISO');
    const to = isoParam(query, 'toISO');
    if (from === 'invalid') return invalid('fromISO', query.get('fromISO'), 'Invalid value');
    if (to === 'invalid') return invalid('toISO', query.get('toISO'), 'Invalid value');
    const rows = (this.candles.get(`${ticker}/${resolution}`) ?? []).filter((c) => {
      const t = Date.parse(c.startedAt);
      return (from === null || t >= from) && (to === null || t < to);
    });
    return { status: 200, body: { candles: rows.slice(0, limit) } };
  }

  historicalFunding(ticker: string, query: URLSearchParams): IndexerAnswer {
    if (!this.markets.has(ticker)) return notFound(`${ticker} not found in markets of type PERPETUAL`);
    const limit = readLimit(query);
    if (typeof limit !== 'number') return limit;
    const height = heightParam(query, 'effectiveBeforeOrAtHeight');
    if (height === 'invalid') return invalid('effectiveBeforeOrAtHeight', query.get('effectiveBeforeOrAtHeight'), 'effectiveBeforeOrAtHeight must be a non-negative integer');
    const at = isoParam(query, 'effectiveBeforeOrAt');
    if (at === 'invalid') return invalid('effectiveBeforeOrAt', query.get('effectiveBeforeOrAt'), 'Invalid value');
    const rows = (this.funding.get(ticker) ?? []).filter((f) => (height === null || Number(f.effectiveAtHeight) <= height) && (at === null || Date.parse(f.effectiveAt) <= at));
    return { status: 200, body: { historicalFunding: rows.slice(0, limit) } };
  }
}

/** Orders rows of one height for one answer. */
export type Ties = (rows: IndexerFill[]) => IndexerFill[];

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

interface Paging {
  limit: number;
  page: number | null;
  height: number | null;
  at: number | null;
}

function readPaging(query: URLSearchParams): Paging | { error: IndexerAnswer } {
  const limit = readLimit(query);
  if (typeof limit !== 'number') return { error: limit };
  const pageText = query.get('page');
  if (pageText !== null && (!/^\d+$/.test(pageText) || Number(pageText) < 1)) return { error: invalid('page', pageText, 'page must be a non-negative integer') };
  const height = heightParam(query, 'createdBeforeOrAtHeight');
  if (height === 'invalid') return { error: invalid('createdBeforeOrAtHeight', query.get('createdBeforeOrAtHeight'), 'createdBeforeOrAtHeight must be a non-negative integer') };
  const at = isoParam(query, 'createdBeforeOrAt');
  if (at === 'invalid') return { error: invalid('createdBeforeOrAt', query.get('createdBeforeOrAt'), 'Invalid value') };
  return { limit, page: pageText === null ? null : Number(pageText), height, at };
}

function readLimit(query: URLSearchParams): number | IndexerAnswer {
  const text = query.get('limit');
  if (text === null) return API_LIMIT_V4;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit <= 0 || limit > API_LIMIT_V4) {
    return invalid('limit', text, `limit must be a positive integer that is not greater than max: ${API_LIMIT_V4}`);
  }
  return limit;
}

function heightParam(query: URLSearchParams, name: string): number | null | 'invalid' {
  const text = query.get(name);
  if (text === null) return null;
  return /^\d+$/.test(text) ? Number(text) : 'invalid';
}

function isoParam(query: URLSearchParams, name: string): number | null | 'invalid' {
  const text = query.get(name);
  if (text === null) return null;
  const ms = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(ms) ? ms : 'invalid';
}

function typesParam(query: URLSearchParams, name: string): string[] | null | 'invalid' {
  const values = query.getAll(name);
  if (values.length === 0) return null;
  // comlink's sanitizeArray: repeated parameters, or one comma-separated value; upper-cased.
  const types = (values.length === 1 ? values[0]!.split(',') : values).map((v) => v.toUpperCase());
  if (types.length === 0 || types.some((t) => !(INDEXER_FILL_TYPES as readonly string[]).includes(t))) return 'invalid';
  return types;
}

function filterCreated(rows: readonly IndexerFill[], paging: Paging): IndexerFill[] {
  return rows.filter((f) => (paging.height === null || f.createdAtHeight <= paging.height) && (paging.at === null || Date.parse(f.createdAt) <= paging.at));
}

/** One answer's rows: by page number (event id ascending, with the count), or newest height first. */
function pageOf(rows: IndexerFill[], paging: Paging, ties: Ties, key: string, shape: (f: IndexerFill) => unknown): IndexerAnswer {
  if (paging.page !== null) {
    const offset = (paging.page - 1) * paging.limit;
    return { status: 200, body: { [key]: rows.slice(offset, offset + paging.limit).map(shape), pageSize: paging.limit, totalResults: rows.length, offset } };
  }
  // Newest height first; within a height the order `ties` gives (rows are event id ascending).
  const out: IndexerFill[] = [];
  for (let end = rows.length; end > 0 && out.length < paging.limit; ) {
    let start = end - 1;
    while (start > 0 && rows[start - 1]!.createdAtHeight === rows[end - 1]!.createdAtHeight) start--;
    out.push(...ties(rows.slice(start, end)));
    end = start;
  }
  return { status: 200, body: { [key]: out.slice(0, paging.limit).map(shape) } };
}

function invalid(param: string, value: string | null, msg: string): IndexerAnswer {
  return { status: 400, body: { errors: [{ value: value ?? undefined, msg, param, location: 'query' }] } };
}

function notFound(msg: string): IndexerAnswer {
  return { status: 404, body: { errors: [{ msg }] } };
}
