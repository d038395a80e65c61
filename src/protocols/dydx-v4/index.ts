import type { Protocol } from '../../pipeline/protocol.ts';
import { dydxDecoder } from './decoder.ts';
import { DYDX_MARKETS } from './markets.ts';
import { dydxOptions } from './options.ts';
import { dydxStreams } from './streams.ts';

/**
 * dYdX v4 through its indexer's REST API (formats.md §7), read with plain HTTP and zod: the official
 * `@dydxprotocol/v4-client-js` answers untyped objects and brings a Cosmos signing stack that reading
 * four GET endpoints does not need.
 */
export const dydxV4: Protocol = {
  id: 'dydx-v4',
  venue: 'dydx-v4',
  description:
    "dYdX v4 indexer API: liquidations and deleveraging from the markets' trades (venue-wide) and the subaccounts' fills (accounts, counterparties), oracle prices from historical funding, candles as trade bars",
  markets: DYDX_MARKETS,
  options: dydxOptions,
  http: {
    chain: 'dydx-mainnet-1',
    streams: dydxStreams,
    decoder: dydxDecoder,
  },
};
