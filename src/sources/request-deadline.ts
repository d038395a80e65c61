/**
 * The deadline of one request attempt: its signal aborts with a `TimeoutError` after `ms`, or with the
 * run's own reason when `outer` aborts first. Await the request, and then its body, through `race`;
 * call `clear()` once the attempt is over (answer read or failed): it stops the timer and takes the
 * listener off the run's signal, which would otherwise gain one per request for the whole run.
 *
 * Why not simply `fetch(url, { signal: AbortSignal.timeout(ms) })`: Node's timer holds that signal only
 * weakly, and undici's Request follows the signal it is given through a WeakRef, so after a garbage
 * collection an abort can fail to reach a pending request (nodejs/node#55428, nodejs/undici#4068). A
 * scheduled job must never wait on a request past its deadline, so the deadline does not depend on
 * that: the timer holds the controller, and `race` rejects on the signal itself, whatever fetch
 * noticed. (One CI run accepted a Hyperliquid answer 1.5 s late under a 0.5 s timeout — 3 retries
 * counted for 4 faults in test/protocols/hyperliquid/api-faults.test.ts; it has not been reproduced
 * since, with or without GC pressure, so that cause is suspected, not shown.)
 */
export interface RequestDeadline {
  readonly signal: AbortSignal;
  /** `work`'s outcome, or the signal's reason the moment it aborts (`work` is then left to settle unheard). */
  race<T>(work: Promise<T>): Promise<T>;
  clear(): void;
}

export function requestDeadline(ms: number, outer?: AbortSignal): RequestDeadline {
  const controller = new AbortController();
  const { signal } = controller;
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const onOuterAbort = () => controller.abort(outer!.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal,
    race<T>(work: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        work.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        );
      });
    },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}
