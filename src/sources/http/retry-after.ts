/**
 * How long a rate-limited (429) answer asks the client to wait, in milliseconds, from its headers;
 * null when they do not say.
 *
 * - `Retry-After` (RFC 9110): delta-seconds, or an HTTP-date.
 * - `RateLimit-Reset` / `X-RateLimit-Reset`: an absolute time (unix milliseconds or seconds), or
 *   delta-seconds as the IETF RateLimit draft has it.
 *
 * An absolute reset time wins when there is one, because it cannot be misread: dYdX's indexer
 * (comlink's rateLimiterMiddleware over rate-limiter-flexible, dydxprotocol/v4-chain@84d4664b) sends
 * `RateLimit-Reset: Date.now() + msBeforeNext` and `Retry-After: msBeforeNext`, **milliseconds** where
 * the RFC says seconds: read as seconds, a 7-second wait would be two hours and the request would give up.
 * A unix time is 10^9 seconds or 10^12 milliseconds from zero, far from any delta a server would send.
 */
export function retryDelayMs(headers: Headers, nowMs: number): number | null {
  const reset = headers.get('ratelimit-reset') ?? headers.get('x-ratelimit-reset');
  const resetValue = reset !== null && /^\d+(?:\.\d+)?$/.test(reset.trim()) ? Number(reset) : null;
  if (resetValue !== null) {
    const at = resetValue >= 1e12 ? resetValue : resetValue >= 1e9 ? resetValue * 1000 : null;
    // An absolute time more than a day away is not a rate-limit window: ignore it.
    if (at !== null && at - nowMs <= 86_400_000) return Math.max(0, at - nowMs);
  }
  const after = headers.get('retry-after')?.trim();
  if (after) {
    if (/^\d+$/.test(after)) return Number(after) * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  if (resetValue !== null && resetValue < 1e9) return resetValue * 1000;
  return null;
}
