import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CANDLE_INTERVALS,
  CANDLES_PER_ANSWER,
  FILLS_KEPT,
  FILLS_PER_ANSWER,
  infoWeight,
  oldestCandleKept,
  REPLAY_SAMPLES_PER_ANSWER,
  WEIGHT_PER_MINUTE,
  type CandleInterval,
} from '../../protocols/hyperliquid/api-limits.ts';
import { loadHyperliquidRecording, type HyperliquidRecording } from './hyperliquid-info-data.ts';

/** A request as fault plans see it. */
export interface InfoRequestView {
  /** 1-based ordinal among all requests the server received. */
  n: number;
  /** 1-based ordinal among requests of the same `type`. */
  nOfType: number;
  type: string;
  body: Record<string, unknown>;
}

/**
 * What a fault plan can make the server do with one request: answer an HTTP error (a 429 with
 * Retry-After, a 500), answer late, answer valid JSON of the wrong shape (`edit` gets the true answer),
 * or cut the body short (status 200, half the JSON).
 */
export type InfoFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'malformed'; edit: (answer: unknown) => unknown }
  | { kind: 'truncated' };

export interface HyperliquidInfoServerOptions {
  /** A simulator output directory (`liqscope sim --out`). */
  outDir: string;
  /** Decides a fault per request (none by default). */
  faults?: (request: InfoRequestView) => InfoFault | null | undefined;
  /** The server's "now" in unix ms (what is available, the `metaAndAssetCtxs` sample); default: the recording's end. */
  now?: number;
  /**
   * The weight a client may spend in any 60 seconds before it gets 429s (default 1200, Hyperliquid's
   * figure); null meters nothing (weights are still counted in `stats`).
   */
  weightPerMinute?: number | null;
  port?: number;
}

/** One request as the server handled it. */
export interface InfoRequestRecord {
  n: number;
  type: string;
  /** The request's JSON body. */
  body: Record<string, unknown>;
  /** When it arrived (unix ms, the machine's clock). */
  atMs: number;
  status: number;
  /** Items answered (candles, fills, samples), before any fault changed the body. */
  items: number;
  /** Weight charged, as Hyperliquid documents it (0 for requests not answered with 200). */
  weight: number;
  fault: InfoFault['kind'] | 'rate-limit' | null;
  replay: boolean;
}

export interface HyperliquidInfoServer {
  /** Base URL (`http://127.0.0.1:port`); the API is `POST <url>/info`, and any path ending in `/info` is served (a key in the path). */
  url: string;
  /** The server's "now" (unix ms). */
  now: number;
  recording: HyperliquidRecording;
  stats: { requests: InfoRequestRecord[] };
  close(): Promise<void>;
}

/**
 * A local Hyperliquid info server fed from the simulator's output, speaking the real formats with the
 * real limits (formats.md §6, api-limits.ts):
 * - `candleSnapshot {req: {coin, interval, startTime, endTime}}`: the recorded candles with `t` in
 *   [startTime, endTime] among the newest 5,000 at the server's now, ascending, at most 500;
 * - `metaAndAssetCtxs`: the recorded answer at the server's now (the last sample at or before it). With
 *   the test-only query parameter `?replayAfter=<ms>` it answers up to 100 recorded samples after that
 *   time as `[{time, response}]` instead (liqscope's replay, api-ctx.ts; not a Hyperliquid parameter);
 * - `userFillsByTime {user, startTime, endTime?}`: the user's fills from the node fill files, among the
 *   user's newest 10,000, with time in [startTime, endTime], oldest first, at most 2,000;
 * - weights as documented (20; +1 per 20 fills, +1 per 60 candles), metered over any 60 seconds with a
 *   429 and Retry-After past `weightPerMinute`; a malformed request gets 422 as the venue answers it.
 */
export async function startHyperliquidInfoServer(options: HyperliquidInfoServerOptions): Promise<HyperliquidInfoServer> {
  const recording = loadHyperliquidRecording(options.outDir);
  const now = options.now ?? recording.endMs;
  const limit = options.weightPerMinute === undefined ? WEIGHT_PER_MINUTE : options.weightPerMinute;
  const stats = { requests: [] as InfoRequestRecord[] };
  const perType = new Map<string, number>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, String((error as Error).message));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const text = await readBody(req);
    if (req.method !== 'POST' || !url.pathname.endsWith('/info')) return answer(res, 404, 'Not Found');
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!isRecord(parsed) || typeof parsed.type !== 'string') throw new Error('no type');
      body = parsed;
    } catch {
      return answer(res, 422, 'Failed to deserialize the JSON body into the target type');
    }
    const n = stats.requests.length + 1;
    const nOfType = (perType.get(body.type as string) ?? 0) + 1;
    perType.set(body.type as string, nOfType);
    const replayAfter = url.searchParams.get('replayAfter');
    const record: InfoRequestRecord = { n, type: body.type as string, body, atMs: Date.now(), status: 200, items: 0, weight: 0, fault: null, replay: replayAfter !== null };
    stats.requests.push(record);

    const fault = options.faults?.({ n, nOfType, type: record.type, body }) ?? null;
    if (fault?.kind === 'status') {
      record.status = fault.status;
      record.fault = 'status';
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return answer(res, fault.status, fault.body ?? (fault.status === 429 ? 'rate limited' : 'Internal Server Error'), headers);
    }
    if (fault?.kind === 'slow') {
      record.fault = 'slow';
      await new Promise((r) => setTimeout(r, fault.delayMs));
    }
    if (limit !== null) {
      const wait = waitForWeight(stats.requests, limit, record.atMs);
      if (wait > 0) {
        record.status = 429;
        record.fault = 'rate-limit';
        return answer(res, 429, 'rate limited', { 'retry-after': String(Math.ceil(wait / 1000)) });
      }
    }
    const result = respond(recording, now, body, replayAfter);
    if ('error' in result) {
      record.status = 422;
      return answer(res, 422, result.error);
    }
    record.items = result.items;
    record.weight = infoWeight(record.type as Parameters<typeof infoWeight>[0], result.items);
    let json = JSON.stringify(fault?.kind === 'malformed' ? fault.edit(result.answer) : result.answer);
    if (fault?.kind === 'malformed') record.fault = 'malformed';
    if (fault?.kind === 'truncated') {
      record.fault = 'truncated';
      json = json.slice(0, Math.floor(json.length / 2));
    }
    answer(res, 200, json, { 'content-type': 'application/json' });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    now,
    recording,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Milliseconds until a request of the base weight fits in the last 60 seconds' spend (0: it fits now).
 * Weights are charged once answered (the per-item part is known only then), as the venue must.
 */
function waitForWeight(requests: readonly InfoRequestRecord[], limit: number, atMs: number): number {
  const window = requests.filter((r) => r.weight > 0 && r.atMs > atMs - 60_000);
  let spent = window.reduce((sum, r) => sum + r.weight, 0);
  const base = infoWeight('metaAndAssetCtxs', 0);
  if (spent + base <= limit) return 0;
  for (const r of window) {
    spent -= r.weight;
    if (spent + base <= limit) return r.atMs + 60_000 - atMs;
  }
  return 60_000;
}

type Answer = { answer: unknown; items: number } | { error: string };

function respond(recording: HyperliquidRecording, now: number, body: Record<string, unknown>, replayAfter: string | null): Answer {
  switch (body.type) {
    case 'candleSnapshot': {
      const req = body.req;
      if (!isRecord(req) || typeof req.coin !== 'string' || typeof req.interval !== 'string' || !isTime(req.startTime) || (req.endTime != null && !isTime(req.endTime))) {
        return { error: 'Failed to deserialize the JSON body into the target type: req {coin, interval, startTime, endTime}' };
      }
      const intervalMs = CANDLE_INTERVALS[req.interval as CandleInterval];
      const list = recording.candles.get(req.coin)?.get(req.interval) ?? [];
      if (intervalMs === undefined) return { answer: [], items: 0 };
      const from = Math.max(req.startTime as number, oldestCandleKept(now, intervalMs));
      const to = Math.min((req.endTime as number | null | undefined) ?? now, now);
      const answer = list.filter((c) => c.t >= from && c.t <= to).slice(0, CANDLES_PER_ANSWER);
      return { answer, items: answer.length };
    }
    case 'metaAndAssetCtxs': {
      if (replayAfter !== null) {
        const after = Number(replayAfter);
        if (!Number.isSafeInteger(after)) return { error: 'replayAfter: expected unix milliseconds' };
        const answer = recording.samples.filter((s) => s.time > after && s.time <= now).slice(0, REPLAY_SAMPLES_PER_ANSWER);
        return { answer, items: answer.length };
      }
      const current = recording.samples.filter((s) => s.time <= now).at(-1);
      if (!current) return { error: 'no sample recorded at or before the server time' };
      return { answer: current.response, items: 1 };
    }
    case 'userFillsByTime': {
      if (typeof body.user !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(body.user) || !isTime(body.startTime) || (body.endTime != null && !isTime(body.endTime))) {
        return { error: 'Failed to deserialize the JSON body into the target type: {user, startTime, endTime}' };
      }
      const from = body.startTime as number;
      const to = Math.min((body.endTime as number | null | undefined) ?? now, now);
      const kept = (recording.fills.get(body.user.toLowerCase()) ?? []).filter((f) => f.time <= now).slice(-FILLS_KEPT);
      const answer = kept.filter((f) => f.time >= from && f.time <= to).slice(0, FILLS_PER_ANSWER).map((f) => f.fill);
      return { answer, items: answer.length };
    }
    default:
      return { error: `Failed to deserialize the JSON body into the target type: unknown variant \`${String(body.type)}\`` };
  }
}

function isTime(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed) return; // a client that gave up on a slow answer
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(body);
}

/**
 * The configuration of an info API source that indexes everything the server serves: every recorded
 * coin's candles (from the recording's first candle), the `metaAndAssetCtxs` samples replayed, and the
 * fills of the `watch` users with the most liquidation fills (default 5). `liqscope demo` uses it.
 */
export function hyperliquidInfoSourceConfig(server: HyperliquidInfoServer, options: { name?: string; watch?: number } = {}): Record<string, unknown> {
  const { recording } = server;
  const coins = [...recording.candles.keys()];
  const intervals = [...new Set([...recording.candles.values()].flatMap((byInterval) => [...byInterval.keys()]))].filter((i) => i in CANDLE_INTERVALS);
  const firstCandle = Math.min(...[...recording.candles.values()].flatMap((byInterval) => [...byInterval.values()].map((list) => list[0]?.t ?? Infinity)));
  const liquidated = [...recording.fills.entries()]
    .map(([user, fills]) => ({ user, count: fills.filter((f) => typeof f.fill.dir === 'string' && f.fill.dir.startsWith('Liquidated')).length }))
    .filter((u) => u.count > 0)
    .sort((a, b) => b.count - a.count || (a.user < b.user ? -1 : 1))
    .slice(0, options.watch ?? 5)
    .map((u) => u.user);
  const readings: Record<string, unknown> = { replay: { until: new Date(server.now).toISOString() } };
  if (coins.length > 0 && intervals.length > 0) {
    readings.candles = { coins, intervals, ...(Number.isFinite(firstCandle) ? { start: new Date(firstCandle).toISOString() } : {}) };
  }
  if (recording.samples.length > 0) readings.ctx = {};
  if (liquidated.length > 0) readings.fills = { users: liquidated };
  return { name: options.name ?? 'hyperliquid-api', kind: 'http', protocol: 'hyperliquid', url: server.url, weightPerMinute: WEIGHT_PER_MINUTE, options: readings };
}
