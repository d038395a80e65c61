import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/**
 * The simulator's only source of randomness: a seeded xoroshiro128+ stream (pure-rand). Independent
 * streams are derived per purpose (`fork('traders')`) so that adding draws to one part of the engine
 * does not shift every other part: the same seed keeps giving the same traders when, say, the price
 * path changes.
 */
export class Random {
  private readonly rng: RandomGenerator;
  private spareNormal: number | null = null;

  constructor(readonly seed: number) {
    this.rng = xoroshiro128plus(seed >>> 0);
  }

  /** A stream derived from this seed and a label (FNV-1a of the label mixed into the seed). */
  fork(label: string): Random {
    let h = 0x811c9dc5 ^ this.seed;
    for (let i = 0; i < label.length; i++) {
      h ^= label.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return new Random(h >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.rng);
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Log-uniform in [min, max]: equal weight per order of magnitude, as sizes and leverage are. */
  logUniform(min: number, max: number): number {
    if (min === max) return min;
    return Math.exp(this.uniform(Math.log(min), Math.log(max)));
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(pTrue: number): boolean {
    return this.next() < pTrue;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.next();
    while (u <= Number.EPSILON) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Picks an index with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}
