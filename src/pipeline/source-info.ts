import type { Address } from 'viem';

/** The kinds of source a configuration can name (`sources[].kind`). */
export const SOURCE_KINDS = ['evm', 'files', 'http', 'subgraph'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** What a source is, as decoders need to know it (from the configuration's `sources` entry). */
export interface SourceInfo {
  /** The configured source name; every row it writes carries it as `source_id`. */
  id: string;
  kind: SourceKind;
  protocol: string;
  /** Written on every row (`venue`): the protocol's own venue unless the source overrides it. */
  venue: string;
  /** Where the rows come from, on or off chain: `arbitrum`, `hyperliquid`, `dydx-mainnet-1`, … (`chain` column). */
  chain: string;
  /** EIP-155 chain id for EVM sources; null off chain. */
  chainId: number | null;
  /** Contract addresses (lower-case) of EVM sources; empty for the others. */
  addresses: Address[];
  /** Protocol-specific options from the configuration, validated by the protocol's schema. */
  options: Record<string, unknown>;
}
