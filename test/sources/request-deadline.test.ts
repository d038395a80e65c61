import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { requestDeadline } from '../../src/sources/request-deadline.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('requestDeadline', () => {
  it('aborts with a TimeoutError naming the wait once the time is up, not before', async () => {
    const deadline = requestDeadline(150);
    await sleep(50);
    expect(deadline.signal.aborted).toBe(false);
    await sleep(200);
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    expect((deadline.signal.reason as DOMException).message).toBe('no answer within 150 ms');
    deadline.clear();
  });

  it("aborts with the run's own reason when the run's signal aborts first, and at once when it already has", () => {
    const run = new AbortController();
    const deadline = requestDeadline(60_000, run.signal);
    const stop = new Error('SIGTERM');
    run.abort(stop);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(stop);
    deadline.clear();
    const late = requestDeadline(60_000, run.signal);
    expect(late.signal.reason).toBe(stop);
    late.clear();
  });

  it("once cleared never fires, and leaves no listener on the run's signal (one per request would pile up)", async () => {
    const run = new AbortController();
    const deadlines = Array.from({ length: 50 }, () => requestDeadline(100, run.signal));
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(50);
    for (const deadline of deadlines) deadline.clear();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    await sleep(200);
    expect(deadlines.some((d) => d.signal.aborted)).toBe(false);
  });
});
