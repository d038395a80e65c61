import type { Address, Hex } from 'viem';

/**
 * The records each kind of source hands to decoders. A decoder is written for one record type; the
 * source that produces it is the only code that knows how the records were fetched.
 */

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

/**
 * One line of a JSON-lines file (a files source): where it is, for error messages and cursors, and the
 * value JSON.parse gave. The source checks only that the line is JSON; what it means is the decoder's.
 */
export interface JsonLine {
  /** The file's key: its path relative to the configured root, with `/` separators. */
  file: string;
  /** 1-based line number in the (decompressed) file. */
  line: number;
  value: unknown;
}

/**
 * One item of a page an HTTP source fetched (a trade, a fill, a candle, a sample), after the protocol's
 * page reader validated the page: the decoder trusts its shape only as far as that reader checked it.
 */
export interface HttpItem {
  /** The cursor stream it came from (`trades:BTC-USD`). */
  stream: string;
  /** The request that fetched it, printable (no key): for error messages. */
  request: string;
  value: unknown;
}

/**
 * One entity of a page a subgraph source fetched (a TradeAction, a LiquidatedPosition, a FuturesTrade),
 * after the protocol's page reader validated it: the decoder trusts its shape only as far as that
 * reader checked it.
 */
export interface SubgraphItem {
  /** The GraphQL entity name (`TradeAction`). */
  entity: string;
  /** The block the page was read at (`block: {number}`): one consistent view of the subgraph. */
  block: number;
  /** The page, printable (no key): for error messages (`TradeAction page after id 0x12…:7 at block 1000`). */
  page: string;
  value: unknown;
}
