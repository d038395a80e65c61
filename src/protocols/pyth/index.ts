import { z } from 'zod';
import type { Protocol } from '../../pipeline/protocol.ts';
import { assetAndQuote } from '../../pipeline/assets.ts';
import { PYTH, pythDecoder, pythLogFilter } from './decoder.ts';

const priceId = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex price id');

/** Pyth price ids liqscope knows (pyth.network price feed ids; the same id on every chain). */
export const PYTH_ETH_USD = '0xff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace';
export const PYTH_BTC_USD = '0xe62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43';

/** Pyth PriceFeedUpdate (shared/formats.md §5); the exponent is not in the event. */
export const pyth: Protocol = {
  id: PYTH,
  venue: PYTH,
  description: 'Pyth contract: price feed updates',
  markets: [
    { venue: PYTH, chainId: null, market: PYTH_ETH_USD, symbol: 'ETH/USD', ...assetAndQuote('ETH/USD') },
    { venue: PYTH, chainId: null, market: PYTH_BTC_USD, symbol: 'BTC/USD', ...assetAndQuote('BTC/USD') },
  ],
  options: z.strictObject({
    /** Exponent per price id (`{ "<priceId>": -8 }`): the event carries none. */
    exponents: z.record(priceId, z.number().int().min(-36).max(36)).optional(),
    /** Only these price ids (topic1 filter). */
    priceIds: z.array(priceId).min(1).optional(),
  }),
  evm: { logFilter: pythLogFilter, decoder: pythDecoder },
};
