import type { EvmDecoder } from '../indexer/decoder.ts';
import { gmxV2Decoder } from './gmx-v2/decoder.ts';
import { gmxV1Decoder } from './gmx-v1/decoder.ts';
import { synthetixPerpsV2Decoder } from './synthetix-perps-v2/decoder.ts';
import { synthetixPerpsV3Decoder } from './synthetix-perps-v3/decoder.ts';
import { chainlinkDecoder } from './chainlink/decoder.ts';
import { pythDecoder } from './pyth/decoder.ts';

export { syncRegistry, Registry, BUILTIN_MARKETS, BUILTIN_TOKENS } from './registry.ts';

/** Every chain-log decoder, by protocol id (the `protocol` of a config source). */
export const evmProtocols: Readonly<Record<string, EvmDecoder>> = Object.freeze({
  [gmxV2Decoder.protocol]: gmxV2Decoder,
  [gmxV1Decoder.protocol]: gmxV1Decoder,
  [synthetixPerpsV2Decoder.protocol]: synthetixPerpsV2Decoder,
  [synthetixPerpsV3Decoder.protocol]: synthetixPerpsV3Decoder,
  [chainlinkDecoder.protocol]: chainlinkDecoder,
  [pythDecoder.protocol]: pythDecoder,
});

export function getEvmDecoder(protocol: string): EvmDecoder {
  const decoder = evmProtocols[protocol];
  if (!decoder) {
    throw new Error(`unknown protocol "${protocol}": known protocols are ${Object.keys(evmProtocols).join(', ')}`);
  }
  return decoder;
}
