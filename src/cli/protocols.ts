import type { Protocol } from '../pipeline/protocol.ts';
import { chainlink } from '../protocols/chainlink/index.ts';
import { dydxV4 } from '../protocols/dydx-v4/index.ts';
import { gmxV1 } from '../protocols/gmx-v1/index.ts';
import { gmxV2 } from '../protocols/gmx-v2/index.ts';
import { hyperliquid } from '../protocols/hyperliquid/index.ts';
import { pyth } from '../protocols/pyth/index.ts';
import { raw } from '../protocols/raw/index.ts';
import { synthetixPerpsV2 } from '../protocols/synthetix-perps-v2/index.ts';
import { synthetixPerpsV3 } from '../protocols/synthetix-perps-v3/index.ts';

/**
 * The composition root's list of protocols: the one place that wires venues into the engine. Adding a
 * venue is a folder under src/protocols/ and one line here.
 */
export const PROTOCOLS: readonly Protocol[] = [gmxV2, gmxV1, synthetixPerpsV2, synthetixPerpsV3, chainlink, pyth, hyperliquid, dydxV4, raw];
