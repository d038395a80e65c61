import type { HttpStream } from '../../pipeline/protocol.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import { candleStream } from './api-candles.ts';
import { ctxStream } from './api-ctx.ts';
import { fillStream } from './api-fills.ts';
import { apiOptionsOf, isoToMs } from './api-options.ts';

/**
 * The streams of a Hyperliquid info API source, from its options: `ctx` (one `metaAndAssetCtxs` sample a
 * pull, taken first so that its time is the pull's), then `candles:<coin>:<interval>` and
 * `fills:<user>`, each paged after its own cursor. A coin, interval or user named twice is one stream.
 */
export function hyperliquidApiStreams(source: SourceInfo): HttpStream[] {
  const options = apiOptionsOf(source.options);
  const replayUntilMs = options.replay ? isoToMs(options.replay.until) : undefined;
  const replay = replayUntilMs !== undefined ? { replayUntilMs } : {};
  const streams: HttpStream[] = [];
  if (options.ctx) streams.push(ctxStream({ ...(options.ctx.coins ? { coins: options.ctx.coins } : {}), ...replay }));
  if (options.candles) {
    const startMs = options.candles.start !== undefined ? { startMs: isoToMs(options.candles.start) } : {};
    for (const coin of new Set(options.candles.coins)) {
      for (const interval of new Set(options.candles.intervals)) streams.push(candleStream({ coin, interval, ...startMs, ...replay }));
    }
  }
  if (options.fills) {
    const startMs = options.fills.start !== undefined ? { startMs: isoToMs(options.fills.start) } : {};
    for (const user of new Set(options.fills.users)) streams.push(fillStream({ user, ...startMs, ...replay }));
  }
  if (streams.length === 0) {
    throw new Error(`source ${source.id}: its options name nothing to read from the info API (set candles, ctx or fills)`);
  }
  return streams;
}
