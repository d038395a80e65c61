import type { Kysely } from 'kysely';
import { PROTOCOLS } from '../../../src/cli/protocols.ts';
import { configSchema } from '../../../src/config/schema.ts';
import type { Database } from '../../../src/db/schema.ts';
import { indexConfig, type IndexConfigOptions } from '../../../src/indexer/index-config.ts';
import { matchFills, type DydxIndexerRows, type IndexerFill, type Subaccount } from '../../../src/sim/servers/dydx-indexer-rows.ts';

/** Subaccounts of the hand-built fixture. */
const sub = (letter: string): Subaccount => ({ address: `dydx1${letter.repeat(38)}`, subaccountNumber: 0 });
export const A = sub('a'); // liquidated three times (longs)
export const B = sub('b'); // a short liquidated
export const D = sub('d'); // deleveraged (liquidated against O)
export const O = sub('o'); // offsetting: its short closed by deleveraging
export const M = sub('m'); // the book's maker
export const T = sub('t'); // an ordinary taker
export const name = (s: Subaccount) => `${s.address}/${s.subaccountNumber}`;

const time = (second: number) => new Date(Date.parse('2025-10-10T21:00:00Z') + second * 1000).toISOString();

/**
 * Four blocks of BTC-USD, every fill of a block at the block's time (as the indexer writes them):
 * 1000: one trade; 1001: twelve matches, of which three liquidations and a deleveraging (more than a
 * page of 5); 1002: four, one a liquidation; 1003: two trades. `extra` adds blocks after 1003.
 */
export function fixtureRows(extra: 'none' | 'newer' = 'none'): DydxIndexerRows {
  const fills: IndexerFill[] = [];
  const limit = (height: number, index: number, side: 'BUY' | 'SELL', price: string) =>
    fills.push(...matchFills({ height, index, market: 'BTC-USD', createdAt: time(height - 1000), type: 'LIMIT', takerSide: side, price, size: '0.1', taker: T, maker: M, takerFee: '3', makerFee: '0.6' }));
  const liquidated = (height: number, index: number, taker: Subaccount, side: 'BUY' | 'SELL', price: string, size: string, fee: string) =>
    fills.push(...matchFills({ height, index, market: 'BTC-USD', createdAt: time(height - 1000), type: 'LIQUIDATED', takerSide: side, price, size, taker, maker: M, takerFee: fee }));
  limit(1000, 0, 'BUY', '60000');
  for (let i = 0; i < 8; i++) limit(1001, i, i % 2 ? 'SELL' : 'BUY', String(60_000 + i));
  liquidated(1001, 8, A, 'SELL', '59990', '0.5', '1.5');
  liquidated(1001, 9, A, 'SELL', '59980', '0.25', '0.75');
  liquidated(1001, 10, B, 'BUY', '60010', '2', '6');
  fills.push(...matchFills({ height: 1001, index: 11, market: 'BTC-USD', createdAt: time(1), type: 'DELEVERAGED', takerSide: 'SELL', price: '59000', size: '0.75', taker: D, maker: O }));
  for (let i = 0; i < 3; i++) limit(1002, i, 'SELL', String(59_950 - i));
  liquidated(1002, 3, A, 'SELL', '59900', '0.1', '0.3');
  limit(1003, 0, 'BUY', '59920');
  limit(1003, 1, 'BUY', '59921');
  if (extra === 'newer') {
    liquidated(1004, 0, B, 'SELL', '59800', '1', '3');
    limit(1005, 0, 'BUY', '59810');
  }
  return { markets: ['BTC-USD', 'ETH-USD'], fills, candles: [], funding: [] };
}

/** The fixture's liquidations and ADL, by hand: [account, side, size, price, size_usd, height, counterparty]. */
export const FIXTURE_LIQUIDATIONS = [
  [name(A), 'long', '0.5', '59990', '29995', '1001', name(M)],
  [name(A), 'long', '0.25', '59980', '14995', '1001', name(M)],
  [name(B), 'short', '2', '60010', '120020', '1001', name(M)],
  [name(D), 'long', '0.75', '59000', '44250', '1001', name(O)],
  [name(A), 'long', '0.1', '59900', '5990', '1002', name(M)],
];
export const FIXTURE_ADL = [[name(O), 'short', '0.75', '59000', '44250', '1001', name(D)]];

/** A configuration of one dYdX source. */
export function dydxConfig(url: string, options: Record<string, unknown>, sourceName = 'dydx') {
  return configSchema.parse({ sources: [{ name: sourceName, kind: 'http', protocol: 'dydx-v4', url, weightPerMinute: 60_000, options }] });
}

/** Client timings for tests: quick retries, a short budget. */
export const QUICK: Partial<IndexConfigOptions> = { rpc: { timeoutMs: 2000, budgetMs: 1500, backoffBaseMs: 5, backoffMaxMs: 20 } };

export async function index(db: Kysely<Database>, url: string, options: Record<string, unknown>, sourceName = 'dydx') {
  return indexConfig(db, dydxConfig(url, options, sourceName), { protocols: PROTOCOLS, ...QUICK });
}

const num = (v: string | null) => (v === null ? null : String(Number(v)));

/** Liquidations and ADL as the fixture's tuples, sorted, plus the columns a check needs. */
export async function storedEvents(db: Kysely<Database>) {
  const liquidations = await db.selectFrom('liquidations').selectAll().where('venue', '=', 'dydx-v4').execute();
  const adl = await db.selectFrom('adl_events').selectAll().where('venue', '=', 'dydx-v4').execute();
  const extra = (e: unknown) => (typeof e === 'string' ? JSON.parse(e) : e) as Record<string, unknown>;
  return {
    liquidations: liquidations
      .map((r) => [r.account, r.side, num(r.size), num(r.price), num(r.size_usd), r.block_number, (extra(r.extra).counterparty as string | undefined) ?? null])
      .sort(byJson),
    adl: adl.map((r) => [r.account, r.side, num(r.size), num(r.price), num(r.size_usd), r.block_number, r.counterparty]).sort(byJson),
    rows: { liquidations, adl },
  };
}

export const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
