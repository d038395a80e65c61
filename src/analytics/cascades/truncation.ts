import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { AnalysisScope } from '../step.ts';

/**
 * A cascade at the edge of the analysed range may go on outside it: these say whether a liquidation or
 * ADL fill lies within one gap beyond the range (flags `truncated_start`, `truncated_end`).
 */
/** Whether the scope has an event within one gap before `startMs` but outside the range (the cascade may start earlier). */
export async function eventsBefore(trx: Transaction<Database>, scope: AnalysisScope, startMs: number, gapMs: number): Promise<boolean> {
  if (startMs - scope.from.getTime() > gapMs) return false;
  return existsEvent(trx, scope, new Date(startMs - gapMs), scope.from);
}

/** Whether the scope has an event within one gap after `endMs` but outside the range (the cascade may go on). */
export async function eventsAfter(trx: Transaction<Database>, scope: AnalysisScope, endMs: number, gapMs: number): Promise<boolean> {
  if (scope.to.getTime() - endMs > gapMs) return false;
  return existsEvent(trx, scope, scope.to, new Date(endMs + gapMs + 1));
}

/** Whether a liquidation or ADL fill of the scope lies in [from, to) (outside the analysed range). */
async function existsEvent(trx: Transaction<Database>, scope: AnalysisScope, from: Date, to: Date): Promise<boolean> {
  const venue = scope.venues.length > 0 ? sql`venue = any(${[...scope.venues]}::text[])` : sql`true`;
  const asset = scope.assets.length > 0 ? sql`asset = any(${[...scope.assets]}::text[])` : sql`true`;
  const { rows } = await sql<{ ok: boolean }>`select exists (select 1 from liquidations where time >= ${from} and time < ${to} and ${venue} and ${asset})
      or exists (select 1 from adl_events where time >= ${from} and time < ${to} and ${venue} and ${asset}) as ok`.execute(trx);
  return rows[0]?.ok === true;
}
