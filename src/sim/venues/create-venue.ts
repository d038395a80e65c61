import type { MarketSpec, VenueSpec } from '../scenario-schema.ts';
import { createDydxVenue } from './dydx.ts';
import { createGmxV2Venue } from './gmx-v2.ts';
import { createHyperliquidVenue } from './hyperliquid.ts';
import type { SimVenue } from './venue.ts';

/** The venue module of a scenario venue, by kind. */
export function createVenue(spec: VenueSpec, markets: readonly MarketSpec[]): SimVenue {
  switch (spec.kind) {
    case 'gmx-v2':
      return createGmxV2Venue(spec, markets);
    case 'hyperliquid':
      return createHyperliquidVenue(spec);
    case 'dydx':
      return createDydxVenue(spec);
  }
}
