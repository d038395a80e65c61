import type { SourceInfo } from '../../pipeline/source-info.ts';

/**
 * Reads a per-address number option such as Chainlink `decimals` (a number for every address of the
 * source, or `{ "<address>": n }`) or Pyth `exponents` (`{ "<priceId>": -8 }`). Keys compare lower-case.
 * A malformed option is a configuration error and is thrown (it is not a property of one log).
 */
export function numberOption(source: SourceInfo, name: string, key: string): number | undefined {
  const value = source.options[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`source ${source.id}: option "${name}" must be an integer, got ${value}`);
    return value;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k.toLowerCase() !== key.toLowerCase()) continue;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new Error(`source ${source.id}: option "${name}.${k}" must be an integer, got ${JSON.stringify(v)}`);
      }
      return v;
    }
    return undefined;
  }
  throw new Error(`source ${source.id}: option "${name}" must be a number or an object of numbers, got ${JSON.stringify(value)}`);
}
