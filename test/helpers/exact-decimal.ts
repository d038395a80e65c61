/**
 * Exact decimal arithmetic for tests that compare NUMERIC sums with sums computed from ground-truth
 * decimal strings: a value is an integer and a power-of-ten scale, never a float.
 */
export class Dec {
  private constructor(
    readonly units: bigint,
    readonly scale: number,
  ) {}

  static of(text: string | number | bigint): Dec {
    const s = String(text).trim();
    const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(s);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal: ${s}`);
    const fraction = m[3] ?? '';
    const units = BigInt(`${m[2] || '0'}${fraction}`) * (m[1] ? -1n : 1n);
    return new Dec(units, fraction.length);
  }

  static zero(): Dec {
    return new Dec(0n, 0);
  }

  private at(scale: number): bigint {
    return this.units * 10n ** BigInt(scale - this.scale);
  }

  plus(other: Dec): Dec {
    const scale = Math.max(this.scale, other.scale);
    return new Dec(this.at(scale) + other.at(scale), scale);
  }

  minus(other: Dec): Dec {
    const scale = Math.max(this.scale, other.scale);
    return new Dec(this.at(scale) - other.at(scale), scale);
  }

  times(other: Dec): Dec {
    return new Dec(this.units * other.units, this.scale + other.scale);
  }

  abs(): Dec {
    return new Dec(this.units < 0n ? -this.units : this.units, this.scale);
  }

  /** Canonical text: no trailing fractional zeros, "0" for zero. */
  toString(): string {
    let units = this.units;
    let scale = this.scale;
    while (scale > 0 && units % 10n === 0n) {
      units /= 10n;
      scale--;
    }
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    return negative ? `-${text}` : text;
  }
}

/** Canonical text of a decimal (a NUMERIC string from the store or a ground-truth string). */
export function canonical(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : Dec.of(value).toString();
}
