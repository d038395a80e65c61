import { describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { forEachDatabase } from '../helpers/db.ts';
import { insertRows } from '../../src/indexer/insert-rows.ts';
import type { Database } from '../../src/db/schema.ts';
import type { RowTable } from '../../src/db/row-columns.ts';

type Row = Record<string, unknown>;

/** 2^256 − 1: the largest uint256, 78 digits. */
const UINT256_MAX = '115792089237316195423570985008687907853269984665640564039457584007913129639935';
const TRICKY_TEXT = `it's "quoted", \\back\\slashed\\, {braced}, NULL, ünïcödé 🚀 — \t tab`;
const TRICKY_JSON = JSON.stringify({ note: TRICKY_TEXT, big: UINT256_MAX, nested: { list: [1, -2.5, null, 'NULL', '{}'] } });
const TRICKY_FLAGS = ['unknown_market', 'a"b', 'c\\d', 'NULL', '', 'with space', '{x,y}', 'ü🚀'];
const time = new Date('2025-10-10T21:16:04.831Z');

/** Columns whose value the table fills when a row omits it, with that value as read back. */
const DEFAULTS: Row = { flags: [], extra: {} };
const JSON_COLUMNS = new Set(['extra', 'raw']);
/** bigint (int8) columns: read back as strings, like NUMERIC. */
const INT8_COLUMNS = new Set(['block_number', 'trades']);
const SERVER_FILLED = new Set(['id', 'created_at']);

/**
 * A row as it reads back: omitted columns NULL or the table default, JSON parsed, integers beyond
 * int4 and NUMERICs as exact decimal strings, timestamptz as Dates.
 */
function readBack(input: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const column of columns) {
    const value = input[column];
    if (value === undefined) out[column] = column in DEFAULTS ? DEFAULTS[column] : null;
    else if (typeof value === 'bigint' || (INT8_COLUMNS.has(column) && typeof value === 'number')) out[column] = value.toString();
    else if (JSON_COLUMNS.has(column) && typeof value === 'string') out[column] = JSON.parse(value);
    else if (typeof value === 'string' && /^\d{4}-\d\d-\d\d /.test(value)) out[column] = new Date(value);
    else out[column] = value;
  }
  return out;
}

/** Per table: a row using every column with awkward values, one with only the required columns, one with explicit NULLs. */
const SAMPLES: Record<RowTable, Row[]> = {
  liquidations: [
    {
      venue: 'gmx-v2', chain_id: 42161, market: '0xm', symbol: TRICKY_TEXT, account: '0xa', liquidator: 'keeper "k"', side: 'long',
      size: '-0.000000000000000000000000000001', size_raw: BigInt(UINT256_MAX), size_usd: '12345678.900', price: `-${UINT256_MAX}`,
      price_raw: UINT256_MAX, mark_price: '0', oracle_price: '2297.50276106', collateral_token: '0xc', collateral_amount: '1',
      collateral_usd: '-1.5', pnl_usd: '-42', fee_usd: '0.000001', bad_debt_usd: '1000.000', time, block_number: '9223372036854775807',
      tx_hash: '0xt', log_index: 2147483647, uid: 'u1', source_id: 's', flags: TRICKY_FLAGS, extra: TRICKY_JSON,
    },
    { venue: 'hyperliquid', market: 'BTC', account: 'a2', side: 'short', time, uid: 'u2' },
    {
      venue: 'hyperliquid', chain_id: null, market: 'ETH', symbol: null, account: '', liquidator: null, side: 'short', size: null,
      time: '2025-10-10 23:16:04.5+02', block_number: null, uid: 'u3', source_id: null, flags: ['unknown_market'], extra: '{}',
    },
  ],
  adl_events: [
    {
      venue: 'gmx-v2', chain_id: 42161, market: '0xm', symbol: 'ETH/USD', account: TRICKY_TEXT, counterparty: '0xl', side: 'short',
      size: '3.25', size_raw: 3250000000000000000n, size_usd: UINT256_MAX, price: '-0.5', price_raw: '0', mark_price: '1',
      pnl_usd: '-99999999999999999999.999999', fee_usd: '0', time, block_number: 1234567890123n, tx_hash: '0xt', log_index: 0,
      uid: 'u1', source_id: 's', flags: TRICKY_FLAGS, extra: TRICKY_JSON,
    },
    { venue: 'dydx-v4', market: 'ETH-USD', account: 'd1', side: 'long', time, uid: 'u2' },
    { venue: 'dydx-v4', chain_id: null, market: 'BTC-USD', account: 'd2', counterparty: null, side: 'long', time, uid: 'u3', flags: [] },
  ],
  oracle_prices: [
    {
      venue: 'pyth', chain_id: 1, market: '0xfeed', symbol: 'NULL', price: UINT256_MAX, price_min: `-${UINT256_MAX}`,
      price_max: '0.00000000000000000001', price_raw: -229750276106n, decimals: -8, round_id: '110680464442257309697', time,
      block_time: new Date('2025-10-10T21:16:05.000Z'), block_number: 987654321, tx_hash: '0xt', log_index: 7, uid: 'u1',
      source_id: 's', flags: TRICKY_FLAGS, extra: TRICKY_JSON,
    },
    { venue: 'chainlink', market: '0xfeed', price: '2297.38', time, uid: 'u2' },
    { venue: 'chainlink', chain_id: null, market: '0xfeed', price: '1', decimals: null, block_time: null, time, uid: 'u3', extra: '[]' },
  ],
  trades: [
    {
      venue: 'gmx-v2', chain_id: 42161, market: '0xm', symbol: 'ETH/USD', account: '0xa', side: 'long', action: TRICKY_TEXT,
      order_type: 'MarketDecrease', size: '1', size_raw: '1000000000000000000', size_usd: '0.1', price: '2297.1',
      price_raw: UINT256_MAX, pnl_usd: '-1', fee_usd: '0.3', time, block_number: 5, tx_hash: '0xt', log_index: 1, uid: 'u1',
      source_id: 's', flags: TRICKY_FLAGS, extra: TRICKY_JSON,
    },
    { venue: 'dydx-v4', market: 'ETH-USD', account: 'd1', side: 'short', action: 'fill', time, uid: 'u2' },
    { venue: 'dydx-v4', chain_id: null, market: 'ETH-USD', account: 'd1', side: 'short', action: 'fill', order_type: null, time, uid: 'u3' },
  ],
  venue_events: [
    {
      venue: 'gmx-v2', chain_id: 42161, market: TRICKY_TEXT, kind: 'adl_state', value: `-${UINT256_MAX}`, time, block_number: '77',
      tx_hash: '0xt', log_index: 3, uid: 'u1', source_id: 's', extra: TRICKY_JSON, chain: 'arbitrum',
    },
    { venue: 'hyperliquid', kind: 'insolvent_close', time, uid: 'u2' },
    { venue: 'hyperliquid', chain_id: null, market: null, kind: 'k', value: null, time, uid: 'u3', extra: '"just a string"' },
  ],
  trade_bars: [
    {
      venue: 'hyperliquid', chain: 'hyperliquid', market: TRICKY_TEXT, asset: 'BTC', quote: 'USD', interval: '1s', time, trades: 9007199254740993n,
      volume: UINT256_MAX, volume_usd: '0.000000000000000000000000000001', buy_volume: '1', sell_volume: '0.000', open: '122510.5',
      high: '122510.5', low: '104582', close: '104582.25', vwap: '113000.123456789', first_trade_at: time,
      last_trade_at: new Date('2025-10-10T21:16:04.999Z'), source_id: 's', flags: TRICKY_FLAGS, extra: TRICKY_JSON,
    },
    { venue: 'dydx-v4', market: 'ETH-USD', interval: '1m', time, trades: 0, volume: '0' },
    { venue: 'dydx-v4', chain: null, market: 'BTC-USD', interval: '1d', time, trades: 1, volume: '2', open: null, vwap: null, first_trade_at: null },
  ],
  decode_errors: [
    {
      source_id: 's', protocol: 'gmx-v2', chain_id: 42161, block_number: 10n, tx_hash: '0xt', log_index: 4, record_ref: TRICKY_TEXT,
      event: 'PositionDecrease', reason: `bad "data": \\x00 ${TRICKY_TEXT}`, raw: TRICKY_JSON,
    },
    { source_id: 's', protocol: 'gmx-v2', reason: 'no block' },
    { source_id: 's', protocol: 'gmx-v2', chain_id: null, block_number: 11, log_index: 0, record_ref: null, event: null, reason: 'r', raw: null },
  ],
};

const TABLES = Object.keys(SAMPLES) as RowTable[];

/** Every row of the table without the server-filled columns, in insertion order. */
async function stored(db: Kysely<Database>, table: RowTable): Promise<Row[]> {
  // Bars have no surrogate id (their order is checked as a set).
  const order = table === 'trade_bars' ? sql`` : sql`order by id`;
  const { rows } = await sql<Row>`select * from ${sql.table(table)} ${order}`.execute(db);
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !SERVER_FILLED.has(column))));
}

async function count(db: Kysely<Database>, table: RowTable): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
  return Number(rows[0]!.n);
}

forEachDatabase((dbName, open) => {
  describe(`insertRows on ${dbName}`, () => {
    it.each(TABLES)('%s: every column type, NULLs and awkward values read back exactly; a second write stores nothing', async (table) => {
      const handle = await open();
      try {
        const input = SAMPLES[table];
        await insertRows(handle.db, table, input);
        const rows = await stored(handle.db, table);
        const expected = input.map((row) => readBack(row, Object.keys(rows[0]!)));
        expect(rows).toEqual(table === 'trade_bars' ? expect.arrayContaining(expected) : expected);
        expect(rows).toHaveLength(expected.length);

        // Same natural keys again, even with other values: the first write stands.
        const changed = table === 'decode_errors' ? { reason: 'changed' } : table === 'trade_bars' ? { open: '1' } : { market: 'changed' };
        await insertRows(handle.db, table, input.map((row) => ({ ...row, ...changed })));
        expect(await stored(handle.db, table)).toEqual(rows);
      } finally {
        await handle.close();
      }
    });

    it('writes more rows than one statement takes, each once', async () => {
      const handle = await open();
      try {
        const n = 45_001;
        const rows = Array.from({ length: n }, (_, i) => ({ venue: 'chainlink', market: '0xfeed', price: `${i}.5`, time, uid: `u${i}`, decimals: i }));
        await insertRows(handle.db, 'oracle_prices', rows);
        await insertRows(handle.db, 'oracle_prices', rows.slice(20_000));
        const { rows: [sums] } = await sql<{ n: string; price: string; decimals: string }>`
          select count(*) as n, sum(price) as price, sum(decimals) as decimals from oracle_prices`.execute(handle.db);
        // Σ (i + 0.5) and Σ i for i < n.
        expect(sums).toEqual({ n: String(n), price: String((n * (n - 1)) / 2 + n / 2), decimals: String((n * (n - 1)) / 2) });
      } finally {
        await handle.close();
      }
    });

    it('trade bars: partial bars merge (sums, extremes, open of the earliest and close of the latest trade); complete bars replace', async () => {
      const handle = await open();
      try {
        const t = (ms: number) => new Date(Date.parse('2025-10-10T21:16:04Z') + ms);
        const bar = { venue: 'hyperliquid', market: 'BTC', interval: '1s', time: t(0) };
        // Two batches each saw part of the same second: trades at 100 ms and 900 ms, then at 400 ms.
        await insertRows(handle.db, 'trade_bars', [{ ...bar, trades: 2, volume: '3', volume_usd: '300', buy_volume: '1', sell_volume: '2',
          open: '101', high: '102', low: '99', close: '100', vwap: '100', first_trade_at: t(100), last_trade_at: t(900), flags: ['a'] }], 'merge');
        await insertRows(handle.db, 'trade_bars', [{ ...bar, trades: 1, volume: '1', volume_usd: '104', buy_volume: '1', sell_volume: '0',
          open: '104', high: '104', low: '104', close: '104', vwap: '104', first_trade_at: t(400), last_trade_at: t(400), flags: ['b'] }], 'merge');
        const [merged] = await stored(handle.db, 'trade_bars');
        // By hand: 3 trades, volume 4, USD 404, buys 2, sells 2; high 104, low 99; open stays 101 (100 ms is
        // earliest), close stays 100 (900 ms is latest); vwap 404 / 4 = 101.
        expect(merged).toMatchObject({ trades: '3', volume: '4', volume_usd: '404', buy_volume: '2', sell_volume: '2', high: '104', low: '99',
          open: '101', close: '100', first_trade_at: t(100), last_trade_at: t(900) });
        expect(Number(merged!.vwap)).toBe(101);
        expect([...(merged!.flags as string[])].sort()).toEqual(['a', 'b']);

        await insertRows(handle.db, 'trade_bars', [{ ...bar, trades: 7, volume: '8', open: '1', close: '2' }], 'replace');
        const [replaced] = await stored(handle.db, 'trade_bars');
        expect(replaced).toMatchObject({ trades: '7', volume: '8', open: '1', close: '2', high: null, volume_usd: null });
      } finally {
        await handle.close();
      }
    });

    it('writes nothing and says which column when a value does not fit it', async () => {
      const handle = await open();
      try {
        const row = SAMPLES.oracle_prices[1]!;
        await expect(insertRows(handle.db, 'oracle_prices', [row, { ...row, uid: 'x', price: 2297.38 }])).rejects.toThrow(
          'oracle_prices.price: cannot write number 2297.38 to a numeric column',
        );
        await expect(insertRows(handle.db, 'oracle_prices', [{ ...row, prise: '1' }])).rejects.toThrow('oracle_prices: rows have no column "prise"');
        await expect(insertRows(handle.db, 'liquidations', [{ ...SAMPLES.liquidations[1]!, id: '7' }])).rejects.toThrow('no column "id"');
        expect(await count(handle.db, 'oracle_prices')).toBe(0);
        expect(await count(handle.db, 'liquidations')).toBe(0);
      } finally {
        await handle.close();
      }
    });
  });
});
