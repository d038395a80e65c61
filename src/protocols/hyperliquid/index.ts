import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { hyperliquidApiDecoder } from './api-decoder.ts';
import { hyperliquidApiOptionShape } from './api-options.ts';
import { hyperliquidApiStreams } from './api-streams.ts';
import { hyperliquidFillsDecoder } from './decoder.ts';
import { compareNodeFillFiles } from './file-order.ts';
import { HYPERLIQUID_MARKETS } from './markets.ts';
import { hyperliquidMarginRules } from './margin.ts';

/**
 * Options of a Hyperliquid source: `allFills` for node fill files (`kind: files`); `candles`, `ctx`,
 * `fills` and `replay` for the info API (`kind: http`, api-options.ts). One schema serves both readings
 * (the protocol contract has one), so each reading reads only its own keys.
 */
export const hyperliquidOptions = z
  .object({
    /** Also store every ordinary fill in `trades` (an Oct-10 hour is about 3.2M fills); bars are always written. */
    allFills: z.boolean().optional(),
    ...hyperliquidApiOptionShape,
  })
  .strict();

export const hyperliquid: Protocol = {
  id: 'hyperliquid',
  venue: 'hyperliquid',
  description:
    'Hyperliquid node fill files (node_fills and node_fills_by_block, plain or LZ4 as in the public archive): liquidations, ADL, one-second trade bars, and optionally every fill; ' +
    'and the info API: candleSnapshot bars, metaAndAssetCtxs oracle and mark prices, userFillsByTime for watched users',
  markets: HYPERLIQUID_MARKETS,
  options: hyperliquidOptions,
  files: {
    chain: 'hyperliquid',
    compareFiles: compareNodeFillFiles,
    decoder: hyperliquidFillsDecoder,
  },
  http: {
    chain: 'hyperliquid',
    streams: hyperliquidApiStreams,
    decoder: hyperliquidApiDecoder,
  },
  marginRules: hyperliquidMarginRules,
  // Hyperliquid ranks by profit × leverage (docs: "Auto-deleveraging"); leverage is not in the fills, so
  // the check scores the profit relative to entry, which orders accounts of equal leverage the same way.
  adlRanking: 'profit_pct',
};
