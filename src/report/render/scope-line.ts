import type { Report } from '../figure.ts';
import { formatTime } from '../format-cell.ts';

/** One line saying what the report covers, in UTC. */
export function scopeLine(report: Report): string {
  const s = report.scope;
  // a cascade's range ends 1 ms after its last event (half-open); show the last event itself
  const last = s.cascadeId ? new Date(Date.parse(s.to) - 1).toISOString() : s.to;
  const parts = [s.cascadeId ? `Cascade ${s.cascadeId}` : 'Time range', `${formatTime(s.from)} – ${formatTime(last)} UTC`];
  parts.push(s.venues.length ? `venues: ${s.venues.join(', ')}` : 'all venues');
  parts.push(s.assets.length ? `assets: ${s.assets.join(', ')}` : 'all assets');
  return parts.join(' · ');
}
