/**
 * The signal of one request attempt: aborted with a `TimeoutError` after `ms`, or with the run's own
 * reason when `outer` aborts first. Call `clear()` once the attempt is over (answer read or failed): it
 * stops the timer and takes the listener off the run's signal, which would otherwise gain one per
 * request for the whole run.
 *
 * Not `AbortSignal.timeout`: Node's timer holds that signal only weakly, so a signal that is
 * garbage-collected while its request waits never fires. CI saw it once: a Hyperliquid answer that
 * came 1.5 s late was accepted under a 0.5 s request timeout (test/protocols/hyperliquid/api-faults.test.ts
 * counted 3 retries for 4 faults). Here the timer holds the controller, so the deadline always fires.
 */
export function requestDeadline(ms: number, outer?: AbortSignal): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const onOuterAbort = () => controller.abort(outer!.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}
