import type { AnalysisStep } from './step.ts';

/**
 * Runs each step once the steps it reads (`after`, those among `steps`) have finished, and steps that
 * read none of each other's results at once. Returns each step's result by name.
 *
 * When a step fails, no step starts after that, the running ones are awaited (they share the run's
 * transaction, which is rolled back, so nothing of theirs is kept), and the first failure is thrown.
 *
 * Why at once: on the analyze bench the cascades step keeps Postgres busy with set-based statements
 * while the oracle step keeps Node busy walking prices, so on two cores the two overlap.
 */
export async function runSteps<T>(steps: readonly AnalysisStep<unknown>[], run: (step: AnalysisStep<unknown>) => Promise<T>): Promise<Map<string, T>> {
  const included = new Set(steps.map((s) => s.name));
  const running = new Map<string, Promise<T>>();
  let failure: { error: unknown } | null = null;
  for (const step of steps) {
    const before: Promise<T>[] = [];
    for (const name of step.after ?? []) {
      if (!included.has(name)) continue;
      const dependency = running.get(name);
      // Registry order puts a step after what it reads (steps.ts); a cycle could never start.
      if (!dependency) throw new Error(`analysis step "${step.name}" runs after "${name}", which comes later in the registry`);
      before.push(dependency);
    }
    const result = Promise.all(before).then(() => {
      if (failure) throw failure.error;
      return run(step);
    });
    result.catch((error: unknown) => {
      failure ??= { error };
    });
    running.set(step.name, result);
  }
  await Promise.allSettled(running.values());
  if (failure) throw (failure as { error: unknown }).error;
  const results = new Map<string, T>();
  for (const [name, result] of running) results.set(name, await result);
  return results;
}
