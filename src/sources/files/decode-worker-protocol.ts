import type { DecodeOutput } from '../../pipeline/decode.ts';
import type { MarketInfo, TokenInfo } from '../../pipeline/registry.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import type { ThrownError } from './thrown-error.ts';

/** Messages between a files source's decode pool (decode-pool.ts) and its workers (decode-worker.ts). */

/** What a worker is started with (`workerData`): the decoder to import and the context it decodes in. */
export interface DecodeWorkerSetup {
  /** The decoder's `workerModule` (pipeline/decode.ts): a module URL and the export that is the decoder. */
  decoder: { url: string; exportName: string };
  info: SourceInfo;
  registry: { markets: MarketInfo[]; tokens: TokenInfo[] };
}

/** A batch of one file's lines to parse and decode (LineBatch's lines; their buffers are transferred). */
export interface DecodeRequest {
  id: number;
  file: string;
  text: Uint8Array;
  ends: Uint32Array;
  numbers: Float64Array;
}

export type DecodeReply =
  | { id: number; output: DecodeOutput }
  /** `parse`: a line is not JSON (a FileLineError); `decode`: the decoder threw on the batch. */
  | { id: number; stage: 'parse' | 'decode'; error: ThrownError };
