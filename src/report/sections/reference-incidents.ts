import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The published figures of the reference incidents (docs/reference-incidents.json), each with its source. */
const figure = z.strictObject({ value: z.number().nullable(), asset: z.string().optional(), detail: z.string().optional(), source: z.string().nullable() });
const incident = z.strictObject({
  id: z.string(),
  name: z.string(),
  start: z.string().datetime(),
  publishedClass: z.enum(['microstructure event', 'macro repricing']),
  classSource: z.string(),
  drawdownPct: figure,
  otherDrawdowns: z.array(figure),
  durationSeconds: figure,
  liquidatedUsd: figure,
  assets: figure,
  recoveredPct: figure,
  adlSharePct: figure,
});
const file = z.strictObject({ format: z.literal('liqscope-reference-incidents/1'), description: z.string(), incidents: z.array(incident).min(1) });

export type ReferenceIncident = z.infer<typeof incident>;

export const REFERENCE_INCIDENTS_PATH = new URL('../../../docs/reference-incidents.json', import.meta.url);

export function loadReferenceIncidents(path: URL | string = REFERENCE_INCIDENTS_PATH): ReferenceIncident[] {
  const parsed = file.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${String(path)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.incidents;
}
