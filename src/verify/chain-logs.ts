import type { RawLog } from '../pipeline/records.ts';
import type { BlockHeader } from '../sources/evm/rpc-types.ts';

/** The logs a source should hold for a block window, as a second view of the chain gives them. */
export interface ChainLogsWindow {
  from: bigint;
  to: bigint;
  /** Every log of the window that the source's filter matches, with blockTime set. */
  logs: RawLog[];
  /** Headers of (at least) every block with a log, for the `blocks` table when a repair stores them. */
  headers: ReadonlyMap<bigint, BlockHeader>;
}

/** A second view of the chain that `verify` compares the store with. */
export interface ChainLogs {
  /** What it is, safe to print (a host, never a URL): `rpc backup.example:443`. */
  readonly label: string;
  /** Windows covering [from, to] in order. */
  windows(from: bigint, to: bigint): AsyncGenerator<ChainLogsWindow>;
  /** Calls made so far, by JSON-RPC method. */
  calls(): Record<string, number>;
}
