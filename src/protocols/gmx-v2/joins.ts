import type { NewAdlEvent } from '../../db/schema.ts';
import type { DecodeContext, DecodeOutput, RowKey } from '../../pipeline/decode.ts';
import { blockTimeOf, chainRowBase, toJson } from '../shared/rows.ts';
import { opt, req, unknownItems } from './event-data.ts';
import { ORDER_TYPE, SECONDARY_ORDER_TYPE } from './event-names.ts';
import { GMX_V2, KNOWN_KEYS, PENDING } from './known-keys.ts';
import {
  adlRow,
  feesFromPending,
  insolventFromPending,
  liquidationRow,
  tradeRow,
  usd,
  type DecreaseRows,
  type Fees,
  type Insolvent,
  type Parsed,
  type PositionCore,
} from './position-rows.ts';

/** What pass 1 of the decoder collected from a batch, by order key where a join needs it. */
export interface BatchHalves {
  fees: Map<string, Fees>;
  insolvents: Map<string, { parsed: Parsed; insolvent: Insolvent }>;
  executed: Map<string, { parsed: Parsed; secondaryOrderType: bigint; account: string }>;
  decreases: { parsed: Parsed; d: DecreaseRows }[];
  increases: { parsed: Parsed; core: PositionCore }[];
}

/**
 * The GMX v2 join state machine (pass 2): a liquidation is completed by its PositionFeesCollected
 * (liquidation fee) and InsolventClose (bad debt); a market decrease is an ADL iff its OrderExecuted
 * says secondaryOrderType 1. Halves are matched inside the batch first; a half whose partner is not in
 * the batch is looked up among the halves earlier batches left waiting, and otherwise left waiting
 * itself (join operations the store applies). A partner arriving later amends the row written earlier:
 * a liquidation gets its fee or bad debt; a decrease written as a trade becomes an ADL — so exactly one
 * of the two ever exists.
 */
export async function resolveJoins(halves: BatchHalves, ctx: DecodeContext, out: DecodeOutput, fail: (p: Parsed, error: unknown) => void): Promise<void> {
  const { fees, insolvents, executed, decreases, increases } = halves;
  const { registry, pending } = ctx;
  const rowKey = (chainId: number, uid: string): RowKey => ({ venue: GMX_V2, chainId, uid });
  const positionKeysInBatch = new Set<string>([...decreases.map((x) => x.d.core.orderKey), ...increases.map((x) => x.core.orderKey)]);
  const liquidations = decreases.filter((x) => x.d.core.orderType === ORDER_TYPE.Liquidation);
  const marketDecreases = decreases.filter((x) => x.d.core.orderType === ORDER_TYPE.MarketDecrease);
  const otherDecreases = decreases.filter((x) => x.d.core.orderType !== ORDER_TYPE.Liquidation && x.d.core.orderType !== ORDER_TYPE.MarketDecrease);

  // Liquidations ↔ fees / insolvent close.
  const liqNeedingFees = liquidations.filter((x) => !fees.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
  const liqNeedingInsolvent = liquidations.filter((x) => !insolvents.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
  const pendingFees = await pending.find(PENDING.positionFees, liqNeedingFees);
  const pendingInsolvent = await pending.find(PENDING.insolventClose, liqNeedingInsolvent);
  if (pendingFees.size > 0) out.joins.push({ op: 'delete', kind: PENDING.positionFees, keys: [...pendingFees.keys()] });
  if (pendingInsolvent.size > 0) out.joins.push({ op: 'delete', kind: PENDING.insolventClose, keys: [...pendingInsolvent.keys()] });
  for (const { parsed: p, d } of liquidations) {
    const key = d.core.orderKey;
    const f = fees.get(key) ?? feesFromPending(pendingFees.get(key));
    const ins = insolvents.get(key)?.insolvent ?? insolventFromPending(pendingInsolvent.get(key));
    out.liquidations.push(liquidationRow(d, registry, f, ins));
    if (!f) out.joins.push({ op: 'put', kind: PENDING.liquidation, key, blockNumber: p.log.blockNumber, payload: { uid: d.core.base.uid } });
  }

  // Fees / insolvent closes whose position change is not in this batch.
  const orphanFees = [...fees.values()].filter((f) => !positionKeysInBatch.has(f.orderKey));
  const orphanInsolvent = [...insolvents.values()].filter((x) => !positionKeysInBatch.has(x.insolvent.orderKey));
  const pendingLiquidations = await pending.find(PENDING.liquidation, [...orphanFees.map((f) => f.orderKey), ...orphanInsolvent.map((x) => x.insolvent.orderKey)]);
  for (const f of orphanFees) {
    const liq = pendingLiquidations.get(f.orderKey);
    if (liq) {
      out.amendments.push({
        op: 'update',
        table: 'liquidations',
        key: rowKey(ctx.source.chainId!, String(liq.uid)),
        set: { fee_usd: f.liquidationFeeUsd ?? '0' },
        mergeExtra: { liquidationFeeAmount: f.liquidationFeeAmount.toString(), positionFeeUsd: f.positionFeeUsd },
      });
      out.joins.push({ op: 'delete', kind: PENDING.liquidation, keys: [f.orderKey] });
    } else if (f.liquidationFeeAmount > 0n) {
      out.joins.push({ op: 'put', kind: PENDING.positionFees, key: f.orderKey, blockNumber: f.blockNumber, payload: f });
    }
  }
  for (const { parsed: p, insolvent } of orphanInsolvent) {
    const liq = pendingLiquidations.get(insolvent.orderKey);
    if (liq) {
      out.amendments.push({ op: 'update', table: 'liquidations', key: rowKey(p.log.chainId, String(liq.uid)), set: { bad_debt_usd: insolvent.badDebtUsd } });
    } else {
      out.joins.push({ op: 'put', kind: PENDING.insolventClose, key: insolvent.orderKey, blockNumber: p.log.blockNumber, payload: insolvent });
    }
  }
  // Every InsolventClose is also a venue event (bad debt is worth seeing even without its liquidation).
  for (const { parsed: p, insolvent } of insolvents.values()) {
    const decrease = decreases.find((x) => x.d.core.orderKey === insolvent.orderKey);
    const ev = p.event;
    try {
      const { venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index } = chainRowBase(GMX_V2, p.log, ctx.source);
      out.venueEvents.push({
        venue, chain, chain_id, uid, source_id, block_number, tx_hash, log_index,
        market: decrease?.d.core.base.market ?? null,
        kind: 'insolvent_close',
        value: insolvent.badDebtUsd,
        time: blockTimeOf(p.log, ev.eventName),
        extra: toJson({
          orderKey: insolvent.orderKey,
          positionCollateralAmount: req(ev, 'uint', 'positionCollateralAmount'),
          basePnlUsd: req(ev, 'int', 'basePnlUsd'),
          remainingCostUsd: insolvent.remainingCostUsd,
          step: opt(ev, 'string', 'step') ?? null,
          ...unknownItems(ev, KNOWN_KEYS.InsolventClose!),
        }),
      });
    } catch (error) {
      fail(p, error);
    }
  }

  // Market decreases ↔ OrderExecuted (ADL iff secondaryOrderType 1).
  const unmatchedDecreaseKeys = marketDecreases.filter((x) => !executed.has(x.d.core.orderKey)).map((x) => x.d.core.orderKey);
  const pendingExecuted = await pending.find(PENDING.orderExecuted, unmatchedDecreaseKeys);
  if (pendingExecuted.size > 0) out.joins.push({ op: 'delete', kind: PENDING.orderExecuted, keys: [...pendingExecuted.keys()] });
  for (const { parsed: p, d } of marketDecreases) {
    const key = d.core.orderKey;
    const f = fees.get(key);
    const inBatch = executed.get(key);
    const oe = inBatch
      ? { secondaryOrderType: inBatch.secondaryOrderType.toString(), txHash: inBatch.parsed.log.txHash.toLowerCase(), logIndex: inBatch.parsed.log.logIndex }
      : pendingExecuted.get(key);
    if (oe && BigInt(String(oe.secondaryOrderType)) === SECONDARY_ORDER_TYPE.Adl) {
      out.adlEvents.push(adlRow(d, f, oe));
    } else {
      out.trades.push(tradeRow(d.core, 'decrease', usd(d.basePnlUsd), f));
      if (!oe) {
        // Its OrderExecuted is still to come: keep the would-be ADL row to swap in if it says ADL.
        out.joins.push({ op: 'put', kind: PENDING.positionDecrease, key, blockNumber: p.log.blockNumber, payload: { tradeUid: d.core.base.uid, adl: adlRow(d, f, {}) } });
      }
    }
  }
  for (const { d } of otherDecreases) out.trades.push(tradeRow(d.core, 'decrease', usd(d.basePnlUsd), fees.get(d.core.orderKey)));
  for (const { core } of increases) out.trades.push(tradeRow(core, 'increase', null, fees.get(core.orderKey)));

  // OrderExecuted whose decrease came in an earlier batch (or has not come yet).
  const decreaseKeys = new Set(decreases.map((x) => x.d.core.orderKey));
  const orphanExecuted = [...executed.entries()].filter(([key]) => !decreaseKeys.has(key));
  const pendingDecreases = await pending.find(PENDING.positionDecrease, orphanExecuted.map(([key]) => key));
  for (const [key, oe] of orphanExecuted) {
    const waiting = pendingDecreases.get(key);
    const isAdl = oe.secondaryOrderType === SECONDARY_ORDER_TYPE.Adl;
    const oeInfo = { secondaryOrderType: oe.secondaryOrderType.toString(), txHash: oe.parsed.log.txHash.toLowerCase(), logIndex: oe.parsed.log.logIndex };
    if (waiting) {
      out.joins.push({ op: 'delete', kind: PENDING.positionDecrease, keys: [key] });
      if (isAdl) {
        const adl = waiting.adl as NewAdlEvent;
        out.amendments.push({ op: 'delete', table: 'trades', key: rowKey(oe.parsed.log.chainId, String(waiting.tradeUid)) });
        const extra = Object.assign(JSON.parse(String(adl.extra)) as Record<string, unknown>, { orderExecuted: oeInfo });
        out.adlEvents.push(Object.assign({}, adl, { time: new Date(String(adl.time)), extra: toJson(extra) }));
      }
    } else if (isAdl) {
      out.joins.push({ op: 'put', kind: PENDING.orderExecuted, key, blockNumber: oe.parsed.log.blockNumber, payload: oeInfo });
    }
  }
}
