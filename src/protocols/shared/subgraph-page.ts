import { z } from 'zod';

/**
 * Zod pieces for subgraph entities as graph-node serialises them (shared/formats.md §3): BigInt as a
 * decimal string, Int as a number, Bytes and addresses as 0x hex, and a page reader that names the item
 * and the field on failure.
 */
export const bigIntString = z.string().regex(/^-?\d+$/, 'expected a BigInt (a decimal integer string)');
export const uintString = z.string().regex(/^\d+$/, 'expected a non-negative BigInt (a decimal integer string)');
/** Addresses come lower-case from graph-node's toHexString(); anything else is normalised. */
export const addressString = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address')
  .transform((a) => a.toLowerCase());
export const bytes32String = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex value')
  .transform((a) => a.toLowerCase());
export const txHashString = bytes32String;
/** A block timestamp in seconds (graph-node `Int`, or `BigInt` as a string in some schemas). */
export const unixSeconds = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0 || n > 253_402_300_799) {
    ctx.addIssue({ code: 'custom', message: `${v} is not a plausible unix time in seconds` });
    return z.NEVER;
  }
  return n;
});
export const blockNumber = z.number().int().nonnegative();

/**
 * Reads a page (the array a collection field returned) with an item schema, keeping each item's id. An
 * error names the first bad item and field: `[3].sizeDeltaUsd: expected a BigInt … (item id "0x…:7")`.
 */
export function readSubgraphPage<S extends z.ZodType<{ id: string }>>(schema: S, items: unknown): { id: string; value: z.output<S> }[] {
  if (!Array.isArray(items)) throw new Error(`expected an array of entities, got ${items === null ? 'null' : typeof items}`);
  const out: { id: string; value: z.output<S> }[] = [];
  for (let i = 0; i < items.length; i++) {
    const result = schema.safeParse(items[i]);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      const raw = items[i] as { id?: unknown } | null;
      const id = raw && typeof raw === 'object' && typeof raw.id === 'string' ? ` (item id ${JSON.stringify(raw.id)})` : '';
      throw new Error(`[${i}]${path}: ${issue.message}${id}`);
    }
    out.push({ id: result.data.id, value: result.data });
  }
  return out;
}
