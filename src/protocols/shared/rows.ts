import type { Hex } from 'viem';
import type { NewDecodeError } from '../../db/schema.ts';
import type { DecodeOutput } from '../../pipeline/decode.ts';
import type { RawLog } from '../../pipeline/records.ts';
import type { MarketInfo } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';

/**
 * A log that cannot be decoded. Decoders throw it inside their per-log decoding and turn it into a
 * `decode_errors` row; anything else that throws (a database error) aborts the batch as it should.
 */
export class DecodeFailure extends Error {
  constructor(
    readonly event: string | null,
    reason: string,
  ) {
    super(reason);
    this.name = 'DecodeFailure';
  }
}

/** The columns every on-chain fact row shares (natural key `venue, chain_id, uid`). */
export interface ChainRowBase {
  venue: string;
  chain: string;
  chain_id: number;
  uid: string;
  source_id: string;
  block_number: string;
  tx_hash: string;
  log_index: number;
}

export function logUid(log: Pick<RawLog, 'txHash' | 'logIndex'>): string {
  return `${log.txHash.toLowerCase()}:${log.logIndex}`;
}

export function chainRowBase(venue: string, log: RawLog, source: SourceInfo): ChainRowBase {
  return {
    venue,
    chain: source.chain,
    chain_id: log.chainId,
    uid: logUid(log),
    source_id: source.id,
    block_number: log.blockNumber.toString(),
    tx_hash: log.txHash.toLowerCase(),
    log_index: log.logIndex,
  };
}

/** Block time of the log; rows need a time, so a log without one cannot be decoded yet. */
export function blockTimeOf(log: RawLog, event: string): Date {
  if (!log.blockTime) throw new DecodeFailure(event, `${event}: block time of block ${log.blockNumber} is unknown`);
  return log.blockTime;
}

/** Unix seconds (from an event field) → Date, refusing values a Date cannot hold exactly. */
export function secondsToDate(seconds: bigint, event: string, field: string): Date {
  if (seconds <= 0n || seconds > 253_402_300_799n) {
    throw new DecodeFailure(event, `${event}: ${field} ${seconds} is not a plausible unix time in seconds`);
  }
  return new Date(Number(seconds) * 1000);
}

export function lower<T extends string>(value: T): Lowercase<T> {
  return value.toLowerCase() as Lowercase<T>;
}

/** JSON for jsonb columns: bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function decodeErrorRow(protocol: string, log: RawLog, source: SourceInfo, event: string | null, reason: string): NewDecodeError {
  return {
    source_id: source.id,
    protocol,
    chain_id: log.chainId,
    block_number: log.blockNumber.toString(),
    tx_hash: log.txHash.toLowerCase(),
    log_index: log.logIndex,
    event,
    reason,
    raw: toJson({ address: log.address.toLowerCase(), topics: log.topics.map((t) => t.toLowerCase()), data: log.data }),
  };
}

/** Turns whatever a per-log decode threw into a reason string naming the event. */
export function failureReason(error: unknown, fallbackEvent: string | null): { event: string | null; reason: string } {
  if (error instanceof DecodeFailure) return { event: error.event ?? fallbackEvent, reason: error.message };
  const message = error instanceof Error ? (error as { shortMessage?: string }).shortMessage ?? error.message : String(error);
  const prefix = fallbackEvent && !message.startsWith(`${fallbackEvent}:`) ? `${fallbackEvent}: ` : '';
  return { event: fallbackEvent, reason: `${prefix}${message.split('\n')[0]}` };
}

export function topic0Of(log: RawLog): Hex | undefined {
  return log.topics[0]?.toLowerCase() as Hex | undefined;
}

/** The venue-neutral columns of a row about a known market: canonical asset and quote (null when unknown). */
export function assetColumns(market: Pick<MarketInfo, 'asset' | 'quote'> | undefined): { asset: string | null; quote: string | null } {
  return { asset: market?.asset ?? null, quote: market?.quote ?? null };
}

/**
 * The loop every log decoder repeats: decode each log with `decodeOne`; a log it cannot decode becomes a
 * `decode_errors` row naming the event (`eventOf` names it when the log is recognised) and the reason,
 * and the batch goes on.
 */
export function decodeLogs(
  protocol: string,
  logs: readonly RawLog[],
  source: SourceInfo,
  out: DecodeOutput,
  eventOf: (log: RawLog) => string | null,
  decodeOne: (log: RawLog) => void,
): void {
  for (const log of logs) {
    try {
      decodeOne(log);
    } catch (error) {
      const { event, reason } = failureReason(error, eventOf(log));
      out.decodeErrors.push(decodeErrorRow(protocol, log, source, event, reason));
    }
  }
}
