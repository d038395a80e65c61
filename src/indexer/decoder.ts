import type { Hex, Address } from 'viem';
import type { Transaction } from 'kysely';
import type {
  Database,
  NewAdlEvent,
  NewDecodeError,
  NewLiquidation,
  NewOraclePrice,
  NewTrade,
  NewVenueEvent,
} from '../db/schema.ts';

/** One log as fetched from eth_getLogs and kept in raw_logs: exact, lower-case hex. */
export interface RawLog {
  chainId: number;
  blockNumber: bigint;
  blockHash: Hex;
  /** Block time; null only if the block header has not been fetched yet. */
  blockTime: Date | null;
  txHash: Hex;
  txIndex: number;
  logIndex: number;
  address: Address;
  topics: Hex[];
  data: Hex;
  /**
   * `data` as bytes, when the fetcher already has them (it checks hex by converting); then `data` is made
   * only when read. Decoders that can read bytes should, and the raw_logs insert does.
   */
  dataBytes?: Uint8Array;
}

/** What a source is, as the decoder needs to know it (from the config's `sources` entry). */
export interface SourceInfo {
  id: string;
  protocol: string;
  venue: string;
  chainId: number;
  addresses: Address[];
  /** Protocol-specific options from the config (e.g. Pyth exponents, Chainlink feed decimals). */
  options: Record<string, unknown>;
}

/** Canonical rows produced from one batch of logs. Any list may be empty. */
export interface DecodedRows {
  liquidations: NewLiquidation[];
  adlEvents: NewAdlEvent[];
  oraclePrices: NewOraclePrice[];
  trades: NewTrade[];
  venueEvents: NewVenueEvent[];
  decodeErrors: NewDecodeError[];
}

export function emptyDecodedRows(): DecodedRows {
  return { liquidations: [], adlEvents: [], oraclePrices: [], trades: [], venueEvents: [], decodeErrors: [] };
}

export interface DecodeContext {
  source: SourceInfo;
  /**
   * The transaction the batch is written in. Decoders use it only for joins across logs that may
   * arrive in different batches (the `pending_joins` table, or superseding a row they wrote earlier),
   * so that a crash loses or duplicates nothing.
   */
  trx: Transaction<Database>;
}

/** Topic filters for eth_getLogs: topic0 is any of `topic0`; topic1 (when given) is any of `topic1`. */
export interface LogFilter {
  topic0: Hex[];
  topic1?: Hex[];
}

/**
 * A protocol's decoder for chain logs. Registered in src/protocols/index.ts; the indexer looks it up
 * by `source.protocol`. It must never throw for a bad log: a log it cannot decode becomes a
 * `decodeErrors` row naming the reason, and the batch goes on.
 */
export interface EvmDecoder {
  protocol: string;
  logFilter(source: SourceInfo): LogFilter;
  /** Logs arrive ordered by (blockNumber, logIndex). */
  decode(logs: readonly RawLog[], ctx: DecodeContext): Promise<DecodedRows>;
}
