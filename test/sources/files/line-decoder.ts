import type { Decoder, DecodeOutput } from '../../../src/pipeline/decode.ts';
import { emptyOutput } from '../../../src/pipeline/decode.ts';
import type { JsonLine } from '../../../src/pipeline/records.ts';

/** A decoder error with fields of its own, as protocols' errors have (file, line, field). */
export class LineDecodeError extends Error {
  override name = 'LineDecodeError';
  constructor(
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: the line says it is bad`);
  }
}

/**
 * A test decoder that can run in the files worker: one venue_events-like row per line `{"f":tag,"i":k}`,
 * carrying what it read of the context (the source's `tag` option, the registry's symbol of market `m1`),
 * so a test sees that the worker decodes with the runner's context. A line `{"bad":true}` throws; a line
 * with `waitMs` holds its batch that long (a slow batch, for the order of results).
 */
export const lineDecoder: Decoder<JsonLine> = {
  usesPending: false,
  workerModule: { url: import.meta.url, exportName: 'lineDecoder' },
  async decode(records, ctx): Promise<DecodeOutput> {
    const out = emptyOutput();
    for (const r of records) {
      const value = r.value as { f?: string; i?: number; bad?: boolean; waitMs?: number };
      if (value.bad) throw new LineDecodeError(r.file, r.line);
      if (value.waitMs) await new Promise((resolve) => setTimeout(resolve, value.waitMs));
      out.venueEvents.push({
        uid: `${r.file}:${r.line}`,
        kind: `${value.f}:${value.i}`,
        time: new Date(Date.UTC(2025, 9, 10, 21, 0, value.i ?? 0)),
        extra: JSON.stringify({ tag: ctx.source.options.tag ?? null, m1: ctx.registry.market('m1')?.symbol ?? null }),
      } as unknown as DecodeOutput['venueEvents'][number]);
    }
    return out;
  },
};

/** The same decoder without a module to import: it cannot run in the worker. */
export const moduleLessDecoder: Decoder<JsonLine> = { usesPending: false, decode: lineDecoder.decode };
