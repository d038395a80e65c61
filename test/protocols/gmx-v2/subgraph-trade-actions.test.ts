import type { Address, Hex } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiqscopeDb } from '../../../src/db/connect.ts';
import { ORDER_TYPE, orderExecutedLog, positionDecreaseLog, positionFeesLog, SECONDARY_ORDER_TYPE } from '../../../src/protocols/gmx-v2/encode.ts';
import { emitBlock, installLogEmitter } from '../../../src/sim/log-emitter.ts';
import { gmxV2TradeActions, readChainLogs } from '../../../src/sim/servers/subgraph-feed.ts';
import { startSubgraphServer, type SubgraphServer } from '../../../src/sim/servers/subgraph-server.ts';
import { GMX_EVENT_EMITTER, gmxDecreaseValues, gmxMarketFor, USDC_PRICE } from '../../../src/sim/writers/gmx-values.ts';
import { withAnvil } from '../../helpers/anvil.ts';
import { openPgliteTestDb } from '../../helpers/db.ts';
import { chainAndSubgraphConfig, indexInOrder, seenBy } from '../../helpers/subgraph.ts';
import { norm } from '../support.ts';

const chain = withAnvil(42161);
const ETH = gmxMarketFor('ETH')!;
const T0 = Date.parse('2025-10-10T21:15:00Z') / 1000;

/** What each liquidation is, written by hand: size i+1 ETH at $3,400.25, collateral $100+i, pnl −$(90+i), fee $5.5. */
function expectedLiquidation(i: number) {
  const cents = BigInt(i + 1) * 340_025n;
  return {
    size: String(i + 1),
    sizeUsd: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`.replace(/\.?0+$/, ''),
    price: '3400.25',
    collateralUsd: String(100 + i),
    pnlUsd: String(-(90 + i)),
    feeUsd: '5.5',
    side: i % 2 === 0 ? 'long' : 'short',
    account: `0x${(0xa000 + i).toString(16).padStart(40, '0')}` as Address,
  };
}

/**
 * 12 liquidations (PositionFeesCollected + PositionDecrease orderType 7, as a liquidation transaction
 * emits them) in 4 blocks, and 2 ADLs (MarketDecrease + OrderExecuted secondaryOrderType 1) in a fifth.
 */
async function emitGmx(rpcUrl: string): Promise<{ fromBlock: number; toBlock: number }> {
  await installLogEmitter(rpcUrl, GMX_EVENT_EMITTER);
  let nonce = 1000n;
  const blocks: number[] = [];
  for (let b = 0; b < 4; b++) {
    const txs = [];
    for (let j = 0; j < 3; j++) {
      const i = b * 3 + j;
      const e = expectedLiquidation(i);
      const v = gmxDecreaseValues(ETH, ++nonce, e.account, e.side === 'long', { size: e.size, price: e.price, collateralUsd: e.collateralUsd, pnlUsd: e.pnlUsd, feeUsd: e.feeUsd, badDebtUsd: '0' });
      txs.push({
        address: GMX_EVENT_EMITTER,
        logs: [
          positionFeesLog({ orderKey: v.orderKey, positionKey: v.positionKey, market: v.market, collateralToken: v.collateralToken, trader: e.account,
            collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE }, tradeSizeUsd: v.sizeDeltaUsd, liquidationFeeAmount: v.liquidationFeeAmount,
            liquidationFeeReceiverFactor: 0n, totalCostAmount: v.liquidationFeeAmount, isIncrease: false }),
          positionDecreaseLog({ account: e.account, market: v.market, collateralToken: v.collateralToken, isLong: e.side === 'long', executionPrice: v.executionPrice,
            indexTokenPrice: { min: v.executionPrice, max: v.executionPrice }, collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
            sizeDeltaUsd: v.sizeDeltaUsd, sizeDeltaInTokens: v.sizeDeltaInTokens, collateralDeltaAmount: v.collateralAmount, orderType: ORDER_TYPE.Liquidation,
            decreasedAtTime: BigInt(T0 + b), basePnlUsd: v.basePnlUsd, orderKey: v.orderKey, positionKey: v.positionKey }),
        ],
      });
    }
    blocks.push(Number((await emitBlock(rpcUrl, txs, { timestamp: T0 + b })).blockNumber));
  }
  const adl = [];
  for (let k = 0; k < 2; k++) {
    const account = `0x${(0xb000 + k).toString(16).padStart(40, '0')}` as Address;
    const v = gmxDecreaseValues(ETH, ++nonce, account, false, { size: '3', price: '3401', collateralUsd: '0', pnlUsd: '250', feeUsd: '0', badDebtUsd: '0' });
    adl.push({
      address: GMX_EVENT_EMITTER,
      logs: [
        positionFeesLog({ orderKey: v.orderKey, positionKey: v.positionKey, market: v.market, collateralToken: v.collateralToken, trader: account,
          collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE }, tradeSizeUsd: v.sizeDeltaUsd, isIncrease: false }),
        positionDecreaseLog({ account, market: v.market, collateralToken: v.collateralToken, isLong: false, executionPrice: v.executionPrice,
          indexTokenPrice: { min: v.executionPrice, max: v.executionPrice }, collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
          sizeDeltaUsd: v.sizeDeltaUsd, sizeDeltaInTokens: v.sizeDeltaInTokens, orderType: ORDER_TYPE.MarketDecrease, basePnlUsd: v.basePnlUsd, orderKey: v.orderKey, positionKey: v.positionKey }),
        orderExecutedLog({ key: v.orderKey, account, secondaryOrderType: SECONDARY_ORDER_TYPE.Adl }),
      ],
    });
  }
  blocks.push(Number((await emitBlock(rpcUrl, adl, { timestamp: T0 + 4 })).blockNumber));
  return { fromBlock: blocks[0]!, toBlock: blocks[blocks.length - 1]! };
}

let server: SubgraphServer | undefined;
let handle: LiqscopeDb;
beforeAll(async () => {
  handle = await openPgliteTestDb();
});
afterAll(async () => handle?.close());
afterEach(async () => {
  await server?.close();
  server = undefined;
  await handle.db.deleteFrom('liquidations').execute();
  await handle.db.deleteFrom('adl_events').execute();
  await handle.db.deleteFrom('trades').execute();
  await handle.db.deleteFrom('fact_provenance').execute();
  await handle.db.deleteFrom('cursors').execute();
});

/** The chain, its subgraph (built from the chain's logs by the subgraph's mapping), and a config reading both. */
async function setUp() {
  const { fromBlock, toBlock } = await emitGmx(chain().rpcUrl);
  const logs = await readChainLogs(chain().rpcUrl, { addresses: [GMX_EVENT_EMITTER], fromBlock: BigInt(fromBlock), toBlock: BigInt(toBlock) });
  const actions = gmxV2TradeActions(logs);
  server = await startSubgraphServer({ rows: { TradeAction: actions } });
  const config = chainAndSubgraphConfig({ rpcUrl: chain().rpcUrl, chainId: 42161, protocol: 'gmx-v2', addresses: [GMX_EVENT_EMITTER], fromBlock, toBlock, subgraphUrl: server.url });
  return { config, actions };
}

async function liquidations() {
  return handle.db.selectFrom('liquidations').selectAll().orderBy('time').orderBy('account').execute();
}

async function provenance() {
  const rows = await handle.db.selectFrom('fact_provenance').selectAll().where('table_name', '=', 'liquidations').execute();
  return new Map(rows.map((p) => [p.uid, { source: p.source_id, row: (typeof p.row === 'string' ? JSON.parse(p.row) : p.row) as Record<string, unknown> }]));
}

describe('GMX v2 liquidations from the chain and from the synthetics-stats subgraph', () => {
  it('chain first: each liquidation is stored once, its provenance names both sources, and the subgraph’s version equals the chain’s', async () => {
    const { config, actions } = await setUp();
    expect(actions.filter((a) => a.orderType === '7').length).toBe(12);
    expect(actions.filter((a) => a.orderType === '4').length).toBe(2);

    await indexInOrder(handle.db, config, ['chain', 'subgraph']);
    const rows = await liquidations();
    expect(rows.length).toBe(12);
    const seen = await seenBy(handle.db, 'liquidations');
    const versions = await provenance();
    for (const [i, r] of rows.entries()) {
      const e = expectedLiquidation(i);
      expect(seen.get(r.uid)).toEqual({ stored: 'chain', also: ['subgraph'] });
      expect({ size_usd: norm(r.size_usd), price: norm(r.price), collateral_usd: norm(r.collateral_usd), pnl_usd: norm(r.pnl_usd), fee_usd: norm(r.fee_usd), side: r.side, account: r.account, size: norm(r.size) }).toEqual({
        size_usd: e.sizeUsd, price: e.price, collateral_usd: e.collateralUsd, pnl_usd: e.pnlUsd, fee_usd: e.feeUsd, side: e.side, account: e.account, size: e.size,
      });
      // The subgraph's own version, kept in fact_provenance: the same liquidation, its own id (the
      // OrderExecuted position), and the same values in every column a TradeAction holds.
      const sub = versions.get(r.uid)!;
      expect(sub.source).toBe('subgraph');
      expect(sub.row.uid).not.toBe(r.uid);
      expect(sub.row.match_key).toBe(r.match_key);
      expect({ ...pick(sub.row), time: sub.row.time }).toEqual({ ...pick(r), time: r.time.toISOString() });
      expect(sub.row.size).toBeNull(); // a TradeAction has no size in tokens
    }
    // ADL is a MarketDecrease in the subgraph: only the chain knows it.
    const adl = await seenBy(handle.db, 'adl_events');
    expect([...adl.values()]).toEqual([{ stored: 'chain', also: [] }, { stored: 'chain', also: [] }]);

    // Running both again changes nothing.
    await indexInOrder(handle.db, config, ['chain', 'subgraph']);
    expect((await liquidations()).length).toBe(12);
    expect((await provenance()).size).toBe(12);
  });

  it('subgraph first: the chain’s rows meet the subgraph’s on the order key and are stored once; provenance keeps the chain’s version', async () => {
    const { config } = await setUp();
    await indexInOrder(handle.db, config, ['subgraph', 'chain']);
    const rows = await liquidations();
    expect(rows.length).toBe(12);
    const seen = await seenBy(handle.db, 'liquidations');
    const versions = await provenance();
    for (const [i, r] of rows.entries()) {
      expect(seen.get(r.uid)).toEqual({ stored: 'subgraph', also: ['chain'] });
      const chainRow = versions.get(r.uid)!;
      expect(chainRow.source).toBe('chain');
      expect({ ...pick(chainRow.row), time: chainRow.row.time }).toEqual({ ...pick(r), time: r.time.toISOString() });
      // What only the chain has is in its version: the size in tokens.
      expect(chainRow.row.size).toBe(expectedLiquidation(i).size);
    }
  });
});

/** The columns a TradeAction and the chain both fill, as exact decimals. */
function pick(r: Record<string, unknown>) {
  const n = (v: unknown) => (v === null || v === undefined ? null : norm(String(v)));
  return {
    market: r.market, account: r.account, side: r.side, size_usd: n(r.size_usd), price: n(r.price), price_raw: n(r.price_raw),
    oracle_price: n(r.oracle_price), collateral_token: r.collateral_token, collateral_amount: n(r.collateral_amount),
    collateral_usd: n(r.collateral_usd), pnl_usd: n(r.pnl_usd), fee_usd: n(r.fee_usd), block_number: String(r.block_number), tx_hash: r.tx_hash as Hex,
  };
}
