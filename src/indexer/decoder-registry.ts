import type { EvmDecoder } from './decoder.ts';
import { rawDecoder } from './raw-decoder.ts';

/** Finds the decoder for a protocol. Tests inject their own; the CLI uses the protocols' registry. */
export type DecoderLookup = (protocol: string) => EvmDecoder | Promise<EvmDecoder>;

// A variable specifier: the protocols' registry is another engineer's module, loaded at run time.
const PROTOCOLS_MODULE = '../protocols/index.ts';

/**
 * The decoder registered in src/protocols/index.ts (`getEvmDecoder`, which throws for unknown
 * protocols); `raw` (store logs only) is built in.
 */
export async function registryDecoder(protocol: string): Promise<EvmDecoder> {
  if (protocol === rawDecoder.protocol) return rawDecoder;
  let registry: { getEvmDecoder?: (protocol: string) => EvmDecoder };
  try {
    registry = (await import(PROTOCOLS_MODULE)) as typeof registry;
  } catch (error) {
    throw new Error(`cannot load the protocol registry (src/protocols/index.ts) for protocol "${protocol}": ${(error as Error).message}`);
  }
  if (typeof registry.getEvmDecoder !== 'function') {
    throw new Error('src/protocols/index.ts does not export getEvmDecoder(protocol)');
  }
  return registry.getEvmDecoder(protocol);
}
