import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { gmxV2Decoder, gmxV2LogFilter } from './decoder.ts';
import { GMX_V2 } from './known-keys.ts';
import { GMX_V2_MARKETS } from './markets.ts';
import { gmxV2Subgraph } from './subgraph-trade-actions.ts';
import { GMX_TOKENS } from './tokens.ts';
import { gmxV2MarginRules } from './margin.ts';

/**
 * GMX v2 (gmx-io/gmx-synthetics): everything comes through the EventEmitter (shared/formats.md §1); or its
 * synthetics-stats subgraph's liquidation TradeActions (§3).
 */
export const gmxV2: Protocol = {
  id: GMX_V2,
  venue: GMX_V2,
  description: 'GMX v2 EventEmitter: liquidations, ADL, trades, oracle prices, ADL state, insolvent closes',
  markets: GMX_V2_MARKETS,
  tokens: GMX_TOKENS,
  options: z.strictObject({}),
  evm: { logFilter: gmxV2LogFilter, decoder: gmxV2Decoder },
  marginRules: gmxV2MarginRules,
  // ADL keepers close the most profitable positions first (GMX docs, "Auto-Deleveraging"): scored on the
  // realised PnL each ADL decrease carries.
  adlRanking: 'pnl_usd',
  subgraph: gmxV2Subgraph,
};
