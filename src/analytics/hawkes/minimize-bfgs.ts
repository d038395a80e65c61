/**
 * A small BFGS quasi-Newton minimiser with a backtracking (Armijo) line search, for smooth objectives
 * of a handful of unconstrained variables with an analytic gradient (the Hawkes fit has three).
 * Nocedal & Wright, Numerical Optimization, algorithm 6.1 with the initial scaling of eq. 6.20.
 * npm has general optimisers, but none small, typed and kept that takes an analytic gradient; three
 * variables do not justify a dependency.
 */

export interface ObjectiveValue {
  readonly value: number;
  readonly gradient: ArrayLike<number>;
}

export interface BfgsOptions {
  /** Stop when every gradient component is below this in absolute value. */
  readonly gradientTolerance?: number;
  readonly maxIterations?: number;
  /** Largest step in any coordinate (the fit's coordinates are logarithms: 5 = a factor e⁵ ≈ 150). */
  readonly maxStep?: number;
}

export interface BfgsResult {
  readonly x: number[];
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Why it stopped: 'gradient' (converged), 'no-progress', 'max-iterations'. */
  readonly stop: 'gradient' | 'no-progress' | 'max-iterations';
}

const ARMIJO = 1e-4;

export function minimizeBfgs(objective: (x: readonly number[]) => ObjectiveValue, start: readonly number[], options: BfgsOptions = {}): BfgsResult {
  const gtol = options.gradientTolerance ?? 1e-6;
  const maxIterations = options.maxIterations ?? 200;
  const maxStep = options.maxStep ?? 5;
  const d = start.length;
  let x = [...start];
  let current = evaluate(objective, x);
  if (!Number.isFinite(current.value)) throw new Error(`minimizeBfgs: objective is not finite at the start point [${x.join(', ')}]`);
  let g = [...(current.gradient as number[])];
  let h = identity(d); // inverse Hessian approximation
  let firstUpdate = true;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(g) < gtol) return { x, value: current.value, iterations: iteration, converged: true, stop: 'gradient' };
    let p = negate(multiply(h, g));
    let slope = dot(g, p);
    if (!(slope < 0)) {
      // The approximation lost positive-definiteness (rounding): restart from steepest descent.
      h = identity(d);
      firstUpdate = true;
      p = negate(g);
      slope = dot(g, p);
    }
    const longest = maxAbs(p);
    if (longest > maxStep) {
      const shrink = maxStep / longest;
      p = p.map((v) => v * shrink);
      slope *= shrink;
    }
    let step = 1;
    let next: ObjectiveValue | null = null;
    let xNext = x;
    for (let halvings = 0; halvings < 60; halvings++) {
      xNext = x.map((v, i) => v + step * p[i]!);
      const candidate = evaluate(objective, xNext);
      // A non-finite value (an overflow far from the optimum) counts as a failed step, not an error.
      if (Number.isFinite(candidate.value) && candidate.value <= current.value + ARMIJO * step * slope) {
        next = candidate;
        break;
      }
      step /= 2;
    }
    if (next === null) {
      // No decrease along a descent direction: we are at the optimum up to rounding.
      return { x, value: current.value, iterations: iteration, converged: maxAbs(g) < gtol * 100, stop: 'no-progress' };
    }
    const gNext = [...(next.gradient as number[])];
    const s = xNext.map((v, i) => v - x[i]!);
    const y = gNext.map((v, i) => v - g[i]!);
    const sy = dot(s, y);
    // Skip the update when the curvature condition fails (it would break positive-definiteness).
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (firstUpdate) {
        h = identity(d).map((row) => row.map((v) => (v * sy) / dot(y, y)));
        firstUpdate = false;
      }
      h = bfgsUpdate(h, s, y, 1 / sy);
    }
    x = xNext;
    current = next;
    g = gNext;
  }
  return { x, value: current.value, iterations: maxIterations, converged: maxAbs(g) < gtol, stop: 'max-iterations' };
}

function evaluate(objective: (x: readonly number[]) => ObjectiveValue, x: readonly number[]): ObjectiveValue {
  const out = objective(x);
  for (let i = 0; i < out.gradient.length; i++) if (!Number.isFinite(out.gradient[i]!)) return { value: Number.NaN, gradient: out.gradient };
  return out;
}

/** H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ. */
function bfgsUpdate(h: number[][], s: number[], y: number[], rho: number): number[][] {
  const d = s.length;
  const hy = multiply(h, y);
  const yhy = dot(y, hy);
  const out: number[][] = [];
  for (let i = 0; i < d; i++) {
    const row: number[] = [];
    for (let j = 0; j < d; j++) {
      row.push(h[i]![j]! - rho * (s[i]! * hy[j]! + hy[i]! * s[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!);
    }
    out.push(row);
  }
  return out;
}

function identity(d: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
}

function multiply(m: number[][], v: readonly number[]): number[] {
  return m.map((row) => dot(row, v));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function negate(v: number[]): number[] {
  return v.map((x) => -x);
}

function maxAbs(v: readonly number[]): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}
