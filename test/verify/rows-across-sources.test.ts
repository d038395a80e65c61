import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOLS } from '../../src/cli/protocols.ts';
import type { LiqscopeConfig } from '../../src/config/schema.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { positionDecreaseLog, positionFeesLog, ORDER_TYPE } from '../../src/protocols/gmx-v2/encode.ts';
import { emitBlock, installLogEmitter } from '../../src/sim/log-emitter.ts';
import { gmxV2TradeActions, readChainLogs, type ChainLog } from '../../src/sim/servers/subgraph-feed.ts';
import { startSubgraphServer, type SubgraphRow, type SubgraphServer } from '../../src/sim/servers/subgraph-server.ts';
import { GMX_EVENT_EMITTER, gmxDecreaseValues, gmxMarketFor, USDC_PRICE } from '../../src/sim/writers/gmx-values.ts';
import { verifyRowsAcrossSources, type RowDiscrepancy } from '../../src/verify/rows-across-sources.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { runCli } from '../helpers/cli.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { chainAndSubgraphConfig, indexInOrder } from '../helpers/subgraph.ts';

/**
 * `liqscope verify --venue`: GMX v2 liquidations on a local chain (anvil, Arbitrum's chain id, the real
 * EventEmitter address), read by a chain source and by a subgraph source whose TradeActions the
 * synthetics-stats mapping builds from the same logs. Into the subgraph's entities the test injects a
 * liquidation it lacks, one the chain lacks and one changed value; verify names exactly those three —
 * the row, the field and both values, written here by hand — and nothing on the untouched subgraph.
 */
const chain = withAnvil(42161);
const ETH = gmxMarketFor('ETH')!;
/** Block times: liquidations 0–2 at T0, 3–5 at T0+1, 6–8 at T0+2 (unix seconds). */
const T0 = Date.parse('2025-10-10T21:15:00Z') / 1000;
const FROM = new Date((T0 - 60) * 1000);
const TO = new Date((T0 + 60) * 1000);
const VENUE = 'gmx-v2';

/** Liquidation i, by hand: i+1 ETH at $3,400.25, collateral $(100+i), base pnl −$(90+i). */
const account = (i: number) => `0x${(0xa000 + i).toString(16).padStart(40, '0')}` as Address;
const pnl = (i: number) => String(-(90 + i));

interface Emitted {
  fromBlock: number;
  toBlock: number;
  /** Per liquidation: the chain row's uid (its PositionDecrease log, `tx:logIndex`) and its TradeAction. */
  chainUid: string[];
  actions: SubgraphRow[];
}
let emitted: Emitted;

async function emitLiquidations(rpcUrl: string): Promise<Emitted> {
  await installLogEmitter(rpcUrl, GMX_EVENT_EMITTER);
  const blocks: number[] = [];
  for (let b = 0; b < 3; b++) {
    const txs = [];
    for (let j = 0; j < 3; j++) {
      const i = b * 3 + j;
      const isLong = i % 2 === 0;
      const v = gmxDecreaseValues(ETH, BigInt(5000 + i), account(i), isLong, { size: String(i + 1), price: '3400.25', collateralUsd: String(100 + i), pnlUsd: pnl(i), feeUsd: '5.5', badDebtUsd: '0' });
      txs.push({
        address: GMX_EVENT_EMITTER,
        logs: [
          positionFeesLog({ orderKey: v.orderKey, positionKey: v.positionKey, market: v.market, collateralToken: v.collateralToken, trader: account(i),
            collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE }, tradeSizeUsd: v.sizeDeltaUsd, liquidationFeeAmount: v.liquidationFeeAmount,
            liquidationFeeReceiverFactor: 0n, totalCostAmount: v.liquidationFeeAmount, isIncrease: false }),
          positionDecreaseLog({ account: account(i), market: v.market, collateralToken: v.collateralToken, isLong, executionPrice: v.executionPrice,
            indexTokenPrice: { min: v.executionPrice, max: v.executionPrice }, collateralTokenPrice: { min: USDC_PRICE, max: USDC_PRICE },
            sizeDeltaUsd: v.sizeDeltaUsd, sizeDeltaInTokens: v.sizeDeltaInTokens, collateralDeltaAmount: v.collateralAmount, orderType: ORDER_TYPE.Liquidation,
            decreasedAtTime: BigInt(T0 + b), basePnlUsd: v.basePnlUsd, orderKey: v.orderKey, positionKey: v.positionKey }),
        ],
      });
    }
    blocks.push(Number((await emitBlock(rpcUrl, txs, { timestamp: T0 + b })).blockNumber));
  }
  const fromBlock = blocks[0]!;
  const toBlock = blocks[2]!;
  const logs = await readChainLogs(rpcUrl, { addresses: [GMX_EVENT_EMITTER], fromBlock: BigInt(fromBlock), toBlock: BigInt(toBlock) });
  // Each transaction holds [PositionFeesCollected, PositionDecrease]: the chain row is the second log's.
  const byTx = new Map<string, ChainLog[]>();
  for (const log of logs) byTx.set(log.txHash, [...(byTx.get(log.txHash) ?? []), log]);
  const chainUid = [...byTx.values()].sort((a, b) => a[0]!.blockNumber - b[0]!.blockNumber || a[0]!.logIndex - b[0]!.logIndex).map((l) => `${l[1]!.txHash}:${l[1]!.logIndex}`);
  const actions = gmxV2TradeActions(logs);
  return { fromBlock, toBlock, chainUid, actions };
}

beforeAll(async () => {
  // Emitted once: every test's snapshot is taken after it (test/helpers/anvil.ts).
  emitted = await emitLiquidations(chain().rpcUrl);
  expect(emitted.chainUid).toHaveLength(9);
  expect(emitted.actions).toHaveLength(9);
}, 60_000);

const actionOf = (i: number) => emitted.actions.find((a) => a.account === account(i))!;

/**
 * The injections: liquidation 4 missing from the subgraph; liquidation 5's base pnl −$95 changed to
 * −$95.50; a liquidation only the subgraph has (a copy of 7 with its own order key and id). The first
 * second (liquidations 0–2) is left clean.
 */
const DROPPED = 4;
const CHANGED = 5;
const COPIED = 7;
const ORPHAN_KEY = `0x${'ee'.repeat(32)}` as Hex;
function injectedActions(): { rows: SubgraphRow[]; orphanId: string } {
  const rows = emitted.actions.filter((a) => a !== actionOf(DROPPED)).map((a) => ({ ...a }));
  const changed = rows.find((a) => a.account === account(CHANGED))!;
  changed.basePnlUsd = (-955n * 10n ** 29n).toString();
  const copy = actionOf(COPIED);
  const orphanId = `${String(copy.id).split(':')[0]}:99`;
  rows.push({ ...copy, id: orphanId, orderKey: ORPHAN_KEY });
  return { rows, orphanId };
}

/** The discrepancies the injections make, by hand; `stored` says whose uid names a row both sides hold. */
function expectedDiscrepancies(stored: 'chain' | 'subgraph', orphanId: string) {
  const time = (i: number) => new Date((T0 + Math.floor(i / 3)) * 1000).toISOString();
  const changed = { time: time(CHANGED), uid: stored === 'chain' ? emitted.chainUid[CHANGED]! : String(actionOf(CHANGED).id), problem: 'changed', field: 'pnl_usd', chain: '-95', subgraph: '-95.5' };
  const dropped = { time: time(DROPPED), uid: emitted.chainUid[DROPPED]!, problem: 'missing-from-subgraph' };
  // In (time, uid) order, as verify lists them.
  return [
    ...[changed, dropped].sort((a, b) => (a.uid < b.uid ? -1 : 1)),
    { time: time(COPIED), uid: orphanId, problem: 'missing-on-chain' },
  ];
}

function brief(d: RowDiscrepancy) {
  return {
    time: d.time.toISOString(),
    uid: d.uid,
    problem: d.problem,
    ...(d.field !== undefined ? { field: d.field, chain: d.chain, subgraph: d.subgraph } : {}),
  };
}

let server: SubgraphServer | undefined;
afterAll(async () => server?.close());

async function configFor(rows: SubgraphRow[], head?: number): Promise<LiqscopeConfig> {
  await server?.close();
  server = await startSubgraphServer({ rows: { TradeAction: rows }, head: head ?? emitted.toBlock });
  return chainAndSubgraphConfig({
    rpcUrl: chain().rpcUrl, chainId: 42161, protocol: 'gmx-v2', addresses: [GMX_EVENT_EMITTER],
    fromBlock: emitted.fromBlock, toBlock: emitted.toBlock, subgraphUrl: server.url,
  });
}

forEachDatabase((dbName, open) => {
  describe(`verify --venue on ${dbName}`, () => {
    it('reports nothing when the subgraph holds exactly the chain’s liquidations', async () => {
      const { db, close } = await open();
      try {
        const config = await configFor(emitted.actions);
        await indexInOrder(db, config, ['chain', 'subgraph']);
        const v = await verifyRowsAcrossSources(db, config, { venue: VENUE, from: FROM, to: TO, protocols: PROTOCOLS });
        expect(v.discrepancies).toEqual([]);
        expect({ chainRows: v.chainRows, subgraphRows: v.subgraphRows, compared: v.compared, notCovered: v.notCovered }).toEqual({ chainRows: 9, subgraphRows: 9, compared: 9, notCovered: 0 });
        expect(v.coverage).toEqual([{ chainId: 42161, fromBlock: BigInt(emitted.fromBlock), toBlock: BigInt(emitted.toBlock), chainBlock: BigInt(emitted.toBlock), subgraphBlock: BigInt(emitted.toBlock) }]);
      } finally {
        await close();
      }
    });

    for (const order of [['chain', 'subgraph'], ['subgraph', 'chain']] as const) {
      it(`reports exactly the injected row missing on each side and the changed value (${order[0]} indexed first)`, async () => {
        const { db, close } = await open();
        try {
          const { rows, orphanId } = injectedActions();
          const config = await configFor(rows);
          await indexInOrder(db, config, [...order]);
          const v = await verifyRowsAcrossSources(db, config, { venue: VENUE, from: FROM, to: TO, protocols: PROTOCOLS });
          expect(v.discrepancies.map(brief)).toEqual(expectedDiscrepancies(order[0], orphanId));
          // Each side's source is named: the row only the chain has, the one only the subgraph has.
          expect(v.discrepancies.find((d) => d.problem === 'missing-from-subgraph')!.chainSource).toBe('chain');
          expect(v.discrepancies.find((d) => d.problem === 'missing-on-chain')!.subgraphSource).toBe('subgraph');
          // 9 on chain; 8 of them and the orphan in the subgraph; 8 in both.
          expect({ chainRows: v.chainRows, subgraphRows: v.subgraphRows, compared: v.compared }).toEqual({ chainRows: 9, subgraphRows: 9, compared: 8 });
          // The first second alone (liquidations 0–2, untouched): compared, nothing to report.
          const first = await verifyRowsAcrossSources(db, config, { venue: VENUE, from: FROM, to: new Date((T0 + 1) * 1000), protocols: PROTOCOLS });
          expect({ discrepancies: first.discrepancies, compared: first.compared }).toEqual({ discrepancies: [], compared: 3 });
        } finally {
          await close();
        }
      });
    }

    it('a subgraph behind the chain is not a discrepancy: rows past its block are not judged', async () => {
      const { db, close } = await open();
      try {
        // The subgraph has indexed up to the second block only; liquidations 6–8 are on chain alone.
        const config = await configFor(emitted.actions, emitted.fromBlock + 1);
        await indexInOrder(db, config, ['chain', 'subgraph']);
        const v = await verifyRowsAcrossSources(db, config, { venue: VENUE, from: FROM, to: TO, protocols: PROTOCOLS });
        expect(v.discrepancies).toEqual([]);
        expect({ compared: v.compared, notCovered: v.notCovered }).toEqual({ compared: 6, notCovered: 3 });
        expect(v.coverage[0]!.toBlock).toBe(BigInt(emitted.fromBlock + 1));
      } finally {
        await close();
      }
    });
  });
});

describe('liqscope verify --venue as a scheduled job runs it', () => {
  it('prints each discrepancy with its field and both values and exits 3; exits 0 on a clean range', async () => {
    const work = mkdtempSync(join(tmpdir(), 'liqscope-verify-venue-'));
    try {
      const { rows, orphanId } = injectedActions();
      const config = await configFor(rows);
      const database = join(work, 'db');
      const handle = await openDatabase({ path: database });
      try {
        await migrateToLatest(handle.db);
        await indexInOrder(handle.db, config, ['chain', 'subgraph']);
      } finally {
        await handle.close();
      }
      const configFile = join(work, 'liqscope.config.json');
      writeFileSync(configFile, JSON.stringify({
        chains: { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0 } },
        sources: [
          { name: 'chain', protocol: 'gmx-v2', chain: 'local', addresses: [GMX_EVENT_EMITTER], startBlock: emitted.fromBlock, endBlock: emitted.toBlock },
          { name: 'subgraph', kind: 'subgraph', protocol: 'gmx-v2', chain: 'local', url: server!.url },
        ],
      }));
      const args = ['--config', configFile, '--database', database, 'verify', '--venue', VENUE, '--from', FROM.toISOString()];

      const found = await runCli([...args, '--to', TO.toISOString()], { cwd: work });
      expect(found.code).toBe(3);
      const lines = found.stdout.split('\n');
      const line = (uid: string) => lines.find((l) => l.includes(uid)) ?? '';
      const cells = (l: string) => l.split('│').map((c) => c.trim()).filter((c) => c !== '');
      const second = new Date((T0 + 1) * 1000).toISOString();
      const third = new Date((T0 + 2) * 1000).toISOString();
      expect(cells(line(emitted.chainUid[CHANGED]!))).toEqual([second, 'liquidations', emitted.chainUid[CHANGED], 'changed', 'pnl_usd', '-95', '-95.5']);
      expect(cells(line(emitted.chainUid[DROPPED]!))).toEqual([second, 'liquidations', emitted.chainUid[DROPPED], 'missing from the subgraph']);
      expect(cells(line(orphanId))).toEqual([third, 'liquidations', orphanId, 'missing on chain']);
      expect(found.stdout).toContain('9 rows from the chain, 9 from the subgraph, 8 in both: 1 missing from the subgraph, 1 missing on chain, 1 changed');
      // One line on stderr a cron mail can carry.
      expect(found.stderr.trim().split('\n').at(-1)).toBe('liqscope: verify: venue gmx-v2: 1 missing from the subgraph, 1 missing on chain, 1 changed');

      // The first second (liquidations 0–2, untouched): compared and clean, exit 0.
      const clean = await runCli([...args, '--to', new Date((T0 + 1) * 1000).toISOString(), '--format', 'json'], { cwd: work });
      expect(clean.code).toBe(0);
      const json = JSON.parse(clean.stdout) as { compared: number; discrepancies: unknown[]; missingFromSubgraph: number; missingOnChain: number; changed: number };
      expect({ compared: json.compared, discrepancies: json.discrepancies, missingFromSubgraph: json.missingFromSubgraph, missingOnChain: json.missingOnChain, changed: json.changed }).toEqual({
        compared: 3, discrepancies: [], missingFromSubgraph: 0, missingOnChain: 0, changed: 0,
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
