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

describe('requestDeadline.race', () => {
  it('rejects at the deadline with its TimeoutError even when the work never settles', async () => {
    const deadline = requestDeadline(100);
    const started = Date.now();
    const error = (await deadline.race(new Promise(() => {})).catch((e: unknown) => e)) as DOMException;
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    deadline.clear();
  });

  it("gives the work's value or error when it settles first, and a work that loses settles unheard", async () => {
    const deadline = requestDeadline(1_000);
    await expect(deadline.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(deadline.race(Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    deadline.clear();
    const short = requestDeadline(20);
    const late = sleep(100).then(() => {
      throw new Error('too late');
    });
    await expect(short.race(late)).rejects.toMatchObject({ name: 'TimeoutError' });
    await sleep(150); // the lost work's rejection has nobody listening but must not be unhandled
    short.clear();
  });
});
