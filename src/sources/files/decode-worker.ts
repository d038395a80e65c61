import { parentPort, workerData } from 'node:worker_threads';
import type { DecodeContext, Decoder } from '../../pipeline/decode.ts';
import type { JsonLine } from '../../pipeline/records.ts';
import { Registry } from '../../pipeline/registry.ts';
import type { DecodeReply, DecodeRequest, DecodeWorkerSetup } from './decode-worker-protocol.ts';
import { parseLines } from './read-file-batches.ts';
import { toThrownError } from './thrown-error.ts';

/**
 * A worker of a files source's decode pool: JSON.parses a batch of lines (parse-lines, the code the
 * main thread runs for small files) and decodes it with the run's decoder, imported from the module
 * it names (`Decoder.workerModule`). The lines arrive by transfer and only the decoder's output goes
 * back: rows are a few per hundred lines, where the parsed objects would cost the main thread as much
 * to receive (a structured clone: measured 1.15 s per 72 MB of fills against 0.75–1.2 s to parse
 * them) as to parse. Batches are taken one at a time, in the order they come.
 */
if (!parentPort) throw new Error('decode-worker.ts runs as a worker thread (decode-pool.ts starts it)');
const port = parentPort;
const setup = workerData as DecodeWorkerSetup;
const decoding = loadDecoder(setup);
decoding.catch(() => {}); // reported by the first batch

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: DecodeRequest) => {
  queue = queue.then(() => decodeBatch(request));
});

async function decodeBatch(request: DecodeRequest): Promise<void> {
  let records: JsonLine[];
  try {
    records = parseLines(request);
  } catch (error) {
    port.postMessage({ id: request.id, stage: 'parse', error: toThrownError(error) } satisfies DecodeReply);
    return;
  }
  try {
    const { decoder, ctx } = await decoding;
    port.postMessage({ id: request.id, output: await decoder.decode(records, ctx) } satisfies DecodeReply);
  } catch (error) {
    port.postMessage({ id: request.id, stage: 'decode', error: toThrownError(error) } satisfies DecodeReply);
  }
}

/** What a decoder may not do here: read joins left by earlier batches (only `usesPending: false` decoders run here). */
const NO_PENDING: DecodeContext['pending'] = {
  find: () => Promise.reject(new Error('a decoder run in the files decode worker read pending joins (it must declare usesPending: false)')),
};

async function loadDecoder(s: DecodeWorkerSetup): Promise<{ decoder: Decoder<JsonLine>; ctx: DecodeContext }> {
  const module = (await import(s.decoder.url)) as Record<string, unknown>;
  const decoder = module[s.decoder.exportName] as Decoder<JsonLine> | undefined;
  if (typeof decoder?.decode !== 'function') throw new Error(`${s.decoder.url} exports no decoder named ${s.decoder.exportName}`);
  if (decoder.usesPending !== false) throw new Error(`${s.decoder.url}: ${s.decoder.exportName} joins across batches (usesPending), it cannot decode in a worker`);
  return { decoder, ctx: { source: s.info, registry: new Registry(s.registry.markets, s.registry.tokens), pending: NO_PENDING } };
}
