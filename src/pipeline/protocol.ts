import type { Hex } from 'viem';
import type { z } from 'zod';
import type { Decoder } from './decode.ts';
import type { KeyedFactTable } from '../db/fact-tables.ts';
import type { FeedUpdateRule } from './feed-rules.ts';
import type { VenueMarginRules } from './margin-rules.ts';
import type { HttpItem, JsonLine, RawLog, SubgraphItem } from './records.ts';
import type { MarketInfo, TokenInfo } from './registry.ts';
import type { SourceInfo } from './source-info.ts';

/**
 * A protocol is a folder exporting one `Protocol`: what it is, the markets and tokens it knows, and a
 * decoder for each kind of source it can be read from. The composition root (src/cli/protocols.ts)
 * lists them; nothing in the engine imports a protocol.
 */
export interface Protocol {
  /** The configuration's `protocol` value. */
  id: string;
  /** The `venue` written on rows unless a source overrides it. */
  venue: string;
  description: string;
  /** Built-in reference data, synced into the `markets` and `tokens` tables before indexing. */
  markets?: readonly MarketInfo[];
  tokens?: readonly TokenInfo[];
  /** Schema of the sources' `options` (strict: an unknown key is a configuration error naming it). */
  options?: z.ZodType<Record<string, unknown>>;
  evm?: EvmReading;
  files?: FilesReading;
  http?: HttpReading;
  subgraph?: SubgraphReading;
  /**
   * The venue's margin rules (which price triggers a liquidation, a position's equity and maintenance at
   * any price), for the oracle-error analysis; the composition root hands them to it.
   */
  marginRules?: VenueMarginRules<unknown>;
  /**
   * The order in which the venue's auto-deleveraging picks accounts, as it documents it, for the ADL
   * step's ranking check; absent when it documents none the data can check (dYdX walks accounts from a
   * pseudo-random start).
   */
  adlRanking?: AdlRankingRule;
  /** Published update rules (heartbeat, deviation) of the price feeds it knows, for the oracle analysis. */
  feedRules?: readonly FeedUpdateRule[];
}

/**
 * A documented ADL ranking the data can score: `pnl_usd` (most profitable first, on the fill's realised
 * PnL) or `profit_pct` (the position's profit at the mark relative to its entry).
 */
export type AdlRankingRule = 'pnl_usd' | 'profit_pct';

/**
 * What the analysis needs to know of the venues (`analyze`'s `context`): their margin rules, ADL
 * rankings and feeds' update rules. The composition root builds it from its protocols; the analysis
 * imports none.
 */
export function analysisContextOf(protocols: readonly Protocol[]): {
  marginRules: VenueMarginRules<unknown>[];
  adlRankings: Record<string, AdlRankingRule>;
  feedRules: FeedUpdateRule[];
} {
  return {
    marginRules: protocols.flatMap((p) => (p.marginRules ? [p.marginRules] : [])),
    adlRankings: Object.fromEntries(protocols.flatMap((p) => (p.adlRanking ? [[p.venue, p.adlRanking] as const] : []))),
    feedRules: protocols.flatMap((p) => p.feedRules ?? []),
  };
}

/** Topic filters for eth_getLogs: topic0 is any of `topic0` (empty: any); topic1 (when given) any of `topic1`. */
export interface LogFilter {
  topic0: Hex[];
  topic1?: Hex[];
}

/** How a protocol is read from chain logs. */
export interface EvmReading {
  logFilter(source: SourceInfo): LogFilter;
  /** Logs arrive ordered by (blockNumber, logIndex), only from the source's addresses and matching the filter. */
  decoder: Decoder<RawLog>;
}

/** How a protocol is read from JSON-lines files (node outputs, archives). */
export interface FilesReading {
  /** The `chain` written on rows (`hyperliquid`). */
  chain: string;
  /**
   * Orders file keys the way the data is ordered in time (`hourly/20251010/9` before `…/10`); default:
   * numeric-aware string order.
   */
  compareFiles?(a: string, b: string): number;
  decoder: Decoder<JsonLine>;
}

/**
 * How a protocol is read from a venue's HTTP API (dYdX's indexer, Hyperliquid's info endpoint): the
 * streams a source reads, each paged after its own cursor. The generic HTTP source (src/sources/http)
 * sends the requests (rate limits, retries, timeouts, JSON) and writes each page's items and cursor in
 * one transaction; only the protocol knows its endpoints, paging and page shapes.
 */
export interface HttpReading {
  /** The `chain` written on rows (`dydx-mainnet-1`, `hyperliquid`). */
  chain: string;
  /** The streams of a source (one per market, account, endpoint), from its options. */
  streams(source: SourceInfo): HttpStream[];
  decoder: Decoder<HttpItem>;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Path under the source's base URL, with its query string. */
  path: string;
  /** JSON body of a POST. */
  body?: unknown;
  /** Rate-limit weight (Hyperliquid counts requests by weight); 1 by default. */
  weight?: number;
  /** Printable name of the request for messages and batch labels (`trades BTC-USD before height 61000120`). */
  label: string;
}

export interface HttpPage {
  /** The page's validated items, in the order they are to be written. */
  items: unknown[];
  /** The stream's cursor once these items are stored (opaque to everyone but the stream). */
  cursor: string;
  /** Whether another page follows now (false: the stream is caught up until new data appears). */
  more: boolean;
}

export interface HttpStream {
  /** Cursor stream name, unique within the source (`trades:BTC-USD`). */
  name: string;
  /** The request for the page after `cursor` (null before anything was stored), or null when there is nothing to ask now. */
  next(cursor: string | null, now: Date): HttpRequest | null;
  /**
   * Reads one answer: validates its shape (an error names the field; nothing of the page is written),
   * and returns its items and the cursor after them.
   */
  page(body: unknown, request: HttpRequest, cursor: string | null): HttpPage;
}

/**
 * How a protocol is read from a subgraph (The Graph's GraphQL API over a venue's contracts): the
 * entities a source reads, each paged by id (`first` ≤ 1000, `id_gt`, `orderBy: id`) at one pinned block,
 * after its own cursor. The generic subgraph source (src/sources/subgraph) sends the queries (rate
 * limits, retries, the pinned block from `_meta`) and writes each page's items and cursor in one
 * transaction; only the protocol knows its entities, their fields and what rows they make.
 */
export interface SubgraphReading {
  /** The entities a source reads (from its options); at least one. */
  entities(source: SourceInfo): SubgraphEntity[];
  decoder: Decoder<SubgraphItem>;
}

export interface SubgraphEntity {
  /** The GraphQL type name (`TradeAction`): the cursor stream's name and the decoder's `entity`. */
  name: string;
  /** The query field of its collection (`tradeActions`). */
  collection: string;
  /** GraphQL selection set of one item, without braces (`id orderKey transaction { hash blockNumber }`). `id` is required. */
  fields: string;
  /** Equality filters added to `where` (`{ orderType: '7', eventName: 'OrderExecuted' }`), as GraphQL variables take them. */
  filter?: Record<string, string | number | boolean>;
  /**
   * Validates one page's items (the array the collection field returned) and returns them in order; an
   * error names the item and the field (`[3].sizeDeltaUsd: expected a decimal integer`). Nothing of a
   * page that fails is written.
   */
  page(items: unknown): { id: string; value: unknown }[];
  /**
   * What `liqscope verify --venue` compares between this entity's rows and the chain's: the table its
   * rows go to and the columns both paths fill. Absent when its rows are not the chain's records
   * (a per-second price snapshot is not one oracle update).
   */
  verify?: { table: KeyedFactTable; columns: readonly string[] };
}
