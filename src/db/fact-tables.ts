/**
 * The canonical fact tables, written once: every list decoders produce goes to one of them, and a
 * reorg, a redecode or a rewind deletes a source's rows from each. Reference and bookkeeping tables
 * (sources, cursors, blocks, raw_logs, markets, tokens, pending_joins) are not facts.
 */
export const FACT_TABLES = ['liquidations', 'adl_events', 'oracle_prices', 'trades', 'venue_events', 'trade_bars'] as const;
export type FactTable = (typeof FACT_TABLES)[number];

/** The tables the store writes decoder output into. */
export type RowTable = FactTable | 'decode_errors';

/** Fact tables whose rows have a natural key `(venue, chain_id, uid)` and may be amended by a later batch. */
export const KEYED_FACT_TABLES = ['liquidations', 'adl_events', 'oracle_prices', 'trades', 'venue_events'] as const;
export type KeyedFactTable = (typeof KEYED_FACT_TABLES)[number];
