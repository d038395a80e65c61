import type { Hex } from 'viem';
import { emptyOutput, type Decoder, type DecodeOutput } from '../../pipeline/decode.ts';
import type { LogFilter } from '../../pipeline/protocol.ts';
import type { RawLog } from '../../pipeline/records.ts';
import { DecodeFailure, decodeErrorRow, failureReason } from '../shared/rows.ts';
import { GMX_EMITTER_TOPIC0, eventNameHash, opt, parseGmxLog, req, type GmxEvent } from './event-data.ts';
import { resolveJoins, type BatchHalves } from './joins.ts';
import { GMX_V2, GMX_V2_EVENT_NAMES } from './known-keys.ts';
import { adlStateRow, oracleRow } from './oracle-rows.ts';
import { parseDecrease, parseFees, parseInsolvent, positionCore, type DecreaseRows, type Fees, type Insolvent, type Parsed, type PositionCore } from './position-rows.ts';

export { GMX_V2, GMX_V2_EVENT_NAMES } from './known-keys.ts';

/**
 * GMX v2 decoder (shared/formats.md §1). Everything goes through the EventEmitter; the eventName
 * decides the table:
 * - PositionDecrease orderType 7 → liquidations, joined by orderKey with PositionFeesCollected
 *   (liquidation fee) and InsolventClose (bad debt);
 * - PositionDecrease orderType 4 whose OrderExecuted has secondaryOrderType 1 → adl_events, any other
 *   decrease → trades ('decrease'); PositionIncrease → trades ('increase');
 * - OraclePriceUpdate → oracle_prices; AdlStateUpdated and InsolventClose → venue_events.
 * Joins are resolved inside the batch first; halves left over wait in `pending_joins` for a later batch.
 */
export function gmxV2LogFilter(): LogFilter {
  return {
    topic0: [GMX_EMITTER_TOPIC0.EventLog, GMX_EMITTER_TOPIC0.EventLog1, GMX_EMITTER_TOPIC0.EventLog2],
    topic1: GMX_V2_EVENT_NAMES.map((name) => eventNameHash(name)) as Hex[],
  };
}

export const gmxV2Decoder: Decoder<RawLog> = {
  async decode(logs, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    const { source } = ctx;
    const fail = (log: RawLog, error: unknown, event: string | null) => {
      const { event: ev, reason } = failureReason(error, event);
      out.decodeErrors.push(decodeErrorRow(GMX_V2, log, source, ev, reason));
    };
    if (logs.length === 0) return out;

    // Pass 1: decode every log, write the rows that need no join, collect the join halves by order key.
    // One loop, so that a decoded event nothing keeps is garbage while still young (cheap to collect).
    const fees = new Map<string, Fees>();
    const insolvents = new Map<string, { parsed: Parsed; insolvent: Insolvent }>();
    const executed = new Map<string, { parsed: Parsed; secondaryOrderType: bigint; account: string }>();
    const decreases: { parsed: Parsed; d: DecreaseRows }[] = [];
    const increases: { parsed: Parsed; core: PositionCore }[] = [];
    for (const log of logs) {
      let event: GmxEvent;
      try {
        event = parseGmxLog(log);
        if (!(GMX_V2_EVENT_NAMES as readonly string[]).includes(event.eventName)) {
          throw new DecodeFailure(event.eventName, `unknown eventName "${event.eventName}" (handled: ${GMX_V2_EVENT_NAMES.join(', ')})`);
        }
      } catch (error) {
        fail(log, error, null);
        continue;
      }
      const p: Parsed = { log, event };
      try {
        switch (event.eventName) {
          case 'PositionFeesCollected':
          case 'PositionFeesInfo': {
            const f = parseFees(event, log.blockNumber);
            const previous = fees.get(f.orderKey);
            // PositionFeesInfo (insolvent path) and PositionFeesCollected may both exist; keep the one with a liquidation fee.
            if (!previous || (previous.liquidationFeeAmount === 0n && f.liquidationFeeAmount > 0n)) fees.set(f.orderKey, f);
            break;
          }
          case 'InsolventClose':
            insolvents.set(req(event, 'bytes32', 'orderKey'), { parsed: p, insolvent: parseInsolvent(event) });
            break;
          case 'OrderExecuted': {
            const key = opt(event, 'bytes32', 'key') ?? event.topic1;
            if (!key) throw new Error('OrderExecuted: no order key (bytes32 item "key" or topic1)');
            executed.set(key, { parsed: p, secondaryOrderType: req(event, 'uint', 'secondaryOrderType'), account: req(event, 'address', 'account') });
            break;
          }
          case 'PositionDecrease':
            decreases.push({ parsed: p, d: parseDecrease(p, source, ctx.registry) });
            break;
          case 'PositionIncrease':
            increases.push({ parsed: p, core: positionCore(p, source, ctx.registry) });
            break;
          case 'OraclePriceUpdate':
            out.oraclePrices.push(oracleRow(p, source, ctx.registry));
            break;
          case 'AdlStateUpdated':
            out.venueEvents.push(adlStateRow(p, source));
            break;
        }
      } catch (error) {
        fail(log, error, event.eventName);
      }
    }

    const halves: BatchHalves = { fees, insolvents, executed, decreases, increases };
    // Pass 2: joins (joins.ts). Halves without a partner in this batch look among the waiting ones, then wait.
    await resolveJoins(halves, ctx, out, (p, error) => fail(p.log, error, p.event.eventName));
    // Pass 1 and pass 2 both report errors; keep them in log order for readers.
    out.decodeErrors.sort((a, b) => Number(BigInt(String(a.block_number)) - BigInt(String(b.block_number))) || (a.log_index ?? 0) - (b.log_index ?? 0));
    return out;
  },
};
