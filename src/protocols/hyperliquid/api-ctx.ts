import type { HttpPage, HttpRequest, HttpStream } from '../../pipeline/protocol.ts';
import type { CtxItem } from './api-items.ts';
import { INFO_BASE_WEIGHT, REPLAY_SAMPLES_PER_ANSWER } from './api-limits.ts';
import { ApiPageError, decimalAt, decimalValue, describeValue, isRecord, nullableDecimalAt, timeMsAt } from './api-page-error.ts';

export interface CtxStreamOptions {
  /** Only these coins (all of the answer by default). */
  coins?: readonly string[];
  /** "Now" of a replayed recording (unix ms): samples are read back by time (see below). */
  replayUntilMs?: number;
}

/**
 * `metaAndAssetCtxs` sampled into `oracle_prices`. The real endpoint answers only "now" and its answer
 * carries no time, so against the venue the stream is a sampler: every pull takes one sample, stamped
 * with the time its answer arrived (later than the previous sample's, always), and the sampling rate is
 * the source's schedule (`--follow` with `pollInterval`, or cron). There is no history to page back
 * through: a sample not taken is not to be had later.
 *
 * A recording (the simulator's `metaAndAssetCtxs.jsonl`) has the history the venue does not: with the
 * source option `replay`, the stream reads it back through the simulator server's test-only
 * `replayAfter` query parameter — `POST /info?replayAfter=<ms>` with the same body answers up to 100
 * recorded samples after that time as `[{time, response}]`, `response` being the real answer then —
 * paged forward after the last sample stored. That parameter is liqscope's, not Hyperliquid's.
 */
export function ctxStream(options: CtxStreamOptions): HttpStream {
  const coins = options.coins ? new Set(options.coins) : null;
  const replayUntil = options.replayUntilMs;
  return {
    name: 'ctx',
    next(cursor: string | null): HttpRequest {
      if (replayUntil === undefined) {
        return { method: 'POST', path: 'info', body: { type: 'metaAndAssetCtxs' }, weight: INFO_BASE_WEIGHT, label: 'metaAndAssetCtxs sample' };
      }
      const after = cursor === null ? 0 : Number(cursor);
      return {
        method: 'POST',
        path: `info?replayAfter=${after}`,
        body: { type: 'metaAndAssetCtxs' },
        // the replay is not a venue endpoint; it is charged as the request it stands for
        weight: INFO_BASE_WEIGHT,
        label: `metaAndAssetCtxs replay after ${after === 0 ? 'the start' : new Date(after).toISOString()}`,
      };
    },

    page(body: unknown, _request: HttpRequest, cursor: string | null): HttpPage {
      const previous = cursor === null ? 0 : Number(cursor);
      if (replayUntil === undefined) {
        // stamped on arrival; one millisecond after the previous sample at least, so that uids stay distinct
        const timeMs = Math.max(Date.now(), previous + 1);
        return { items: readSample(body, timeMs, coins, ''), cursor: String(timeMs), more: false };
      }
      if (!Array.isArray(body)) throw new ApiPageError('(answer)', `expected a list of recorded samples {time, response}, got ${describeValue(body)}`);
      const items: CtxItem[] = [];
      let last = previous;
      for (let i = 0; i < body.length; i++) {
        const line: unknown = body[i];
        if (!isRecord(line)) throw new ApiPageError(`[${i}]`, `expected a recorded sample {time, response}, got ${describeValue(line)}`);
        const time = timeMsAt(line, 'time', `[${i}]`);
        if (time <= last) throw new ApiPageError(`[${i}].time`, `${time} does not follow ${last}: samples must come after the one asked from, in ascending time`);
        if (time > replayUntil) throw new ApiPageError(`[${i}].time`, `${time} is after the recording's end ${replayUntil}`);
        last = time;
        items.push(...readSample(line.response, time, coins, `[${i}].response`));
      }
      return { items, cursor: String(last), more: body.length >= REPLAY_SAMPLES_PER_ANSWER };
    },
  };
}

/** Validates one `metaAndAssetCtxs` answer `[meta, ctxs]` and returns the asset contexts of the coins wanted. */
export function readSample(answer: unknown, timeMs: number, coins: ReadonlySet<string> | null, at: string): CtxItem[] {
  const path = (p: string) => (at ? `${at}${p}` : p);
  if (!Array.isArray(answer) || answer.length !== 2) throw new ApiPageError(at || '(answer)', `expected [meta, assetCtxs], got ${describeValue(answer)}`);
  const [meta, ctxs] = answer as [unknown, unknown];
  if (!isRecord(meta) || !Array.isArray(meta.universe)) throw new ApiPageError(path('[0].universe'), `expected the list of assets, got ${describeValue(isRecord(meta) ? meta.universe : meta)}`);
  const universe = meta.universe as unknown[];
  if (!Array.isArray(ctxs)) throw new ApiPageError(path('[1]'), `expected the list of asset contexts, got ${describeValue(ctxs)}`);
  if (ctxs.length !== universe.length) {
    throw new ApiPageError(path('[1]'), `${ctxs.length} asset contexts for ${universe.length} assets in meta.universe: they pair by position`);
  }
  const items: CtxItem[] = [];
  for (let i = 0; i < universe.length; i++) {
    const asset: unknown = universe[i];
    if (!isRecord(asset) || typeof asset.name !== 'string' || asset.name.length === 0) {
      throw new ApiPageError(path(`[0].universe[${i}].name`), `expected the coin's name, got ${describeValue(isRecord(asset) ? asset.name : asset)}`);
    }
    if (coins && !coins.has(asset.name)) continue;
    const ctx: unknown = ctxs[i];
    const p = path(`[1][${i}]`);
    if (!isRecord(ctx)) throw new ApiPageError(p, `expected an asset context, got ${describeValue(ctx)}`);
    let impactPxs: [string, string] | null = null;
    if (ctx.impactPxs !== null) {
      if (!Array.isArray(ctx.impactPxs) || ctx.impactPxs.length !== 2) throw new ApiPageError(`${p}.impactPxs`, `expected [bid, ask] or null, got ${describeValue(ctx.impactPxs)}`);
      const [bid, ask] = ctx.impactPxs as unknown[];
      impactPxs = [decimalValue(bid, `${p}.impactPxs[0]`, 'positive'), decimalValue(ask, `${p}.impactPxs[1]`, 'positive')];
    }
    items.push({
      kind: 'ctx',
      timeMs,
      coin: asset.name,
      oraclePx: decimalAt(ctx, 'oraclePx', p, 'positive'),
      markPx: decimalAt(ctx, 'markPx', p, 'positive'),
      midPx: nullableDecimalAt(ctx, 'midPx', p, 'positive'),
      funding: decimalAt(ctx, 'funding', p, 'any'),
      openInterest: decimalAt(ctx, 'openInterest', p, 'non-negative'),
      premium: nullableDecimalAt(ctx, 'premium', p, 'any'),
      impactPxs,
      delisted: asset.isDelisted === true,
    });
  }
  return items;
}

