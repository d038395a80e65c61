import { describe, expect, it } from 'vitest';
import { runSteps } from '../../src/analytics/run-steps.ts';
import type { AnalysisStep } from '../../src/analytics/step.ts';

const step = (name: string, after?: string[]): AnalysisStep<unknown> => ({ name, ...(after ? { after } : {}), run: async () => ({}) });

/** A promise and its resolver, for steps that wait on each other. */
function signal(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects if `promise` has not settled within `ms` (a step that waits forever). */
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms))]);

describe('runSteps', () => {
  it('runs steps that read none of each other at once: each waits for the other to start', async () => {
    const aStarted = signal();
    const bStarted = signal();
    // Run one after the other, A would wait forever for B.
    const results = await within(runSteps([step('a'), step('b')], async (s) => {
      if (s.name === 'a') {
        aStarted.resolve();
        await bStarted.promise;
      } else {
        bStarted.resolve();
        await aStarted.promise;
      }
      return s.name.toUpperCase();
    }), 5_000, 'two independent steps');
    expect([...results]).toEqual([['a', 'A'], ['b', 'B']]);
  });

  it('starts a step only after the steps it reads have finished, and only those in the run', async () => {
    const log: string[] = [];
    const slowFirst = signal();
    const results = await runSteps([step('cascades'), step('adl', ['cascades', 'not-in-this-run']), step('oracle')], async (s) => {
      log.push(`${s.name} start`);
      // cascades finishes last of the two that start together: adl must still wait for it
      if (s.name === 'cascades') await slowFirst.promise;
      if (s.name === 'oracle') setTimeout(() => slowFirst.resolve(), 20);
      log.push(`${s.name} end`);
      return log.length;
    });
    expect(log).toEqual(['cascades start', 'oracle start', 'oracle end', 'cascades end', 'adl start', 'adl end']);
    expect([...results.keys()]).toEqual(['cascades', 'adl', 'oracle']);
  });

  it('a failure: no step starts after it, running ones are awaited, and the first failure is thrown', async () => {
    const started: string[] = [];
    let otherFinished = false;
    const run = runSteps([step('slow'), step('fails'), step('after-slow', ['slow']), step('late', ['fails'])], async (s) => {
      started.push(s.name);
      if (s.name === 'fails') throw new Error('fails on purpose');
      if (s.name === 'slow') {
        await new Promise((r) => setTimeout(r, 50));
        otherFinished = true;
      }
      return s.name;
    });
    await expect(run).rejects.toThrow('fails on purpose');
    // The running step was awaited before the failure was reported; neither dependant started.
    expect(otherFinished).toBe(true);
    expect(started.sort()).toEqual(['fails', 'slow']);
  });

  it('refuses a registry that lists a step before one it reads', async () => {
    await expect(runSteps([step('adl', ['cascades']), step('cascades')], async () => 0)).rejects.toThrow(
      'analysis step "adl" runs after "cascades", which comes later in the registry',
    );
  });
});
