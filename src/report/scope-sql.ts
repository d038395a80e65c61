import type { ReportScope } from './scope.ts';
import { anyOf, textArrayLiteral, textLiteral, timeLiteral } from './sql-literal.ts';

/**
 * The pieces of SQL that say "in this report's scope", written with literals so that every printed
 * query runs on its own. For a cascade, its events are its members as analytics recorded them
 * (`cascade_members`, `cascade_adl_members`), not everything in its time range.
 */
export class ScopeSql {
  constructor(readonly scope: ReportScope) {}

  get from(): string {
    return timeLiteral(this.scope.from);
  }
  get to(): string {
    return timeLiteral(this.scope.to);
  }
  get windowFrom(): string {
    return timeLiteral(this.scope.windowFrom);
  }
  get windowTo(): string {
    return timeLiteral(this.scope.windowTo);
  }
  get cascadeId(): string | null {
    return this.scope.cascadeId === null ? null : textLiteral(this.scope.cascadeId);
  }

  /** Venue and asset filters on a table alias (empty when the report is not narrowed). */
  narrow(alias: string): string {
    return `${anyOf(`${alias}.venue`, this.scope.venues)}${anyOf(`${alias}.asset`, this.scope.assets)}`;
  }

  /** Asset filter only (prices: every venue's price of the reported assets is context). */
  narrowAsset(alias: string): string {
    return anyOf(`${alias}.asset`, this.scope.assets);
  }

  /** `where` condition selecting the liquidations reported on (alias `l`). */
  liquidations(alias = 'l'): string {
    if (this.cascadeId) return `${alias}.id in (select m.liquidation_id from cascade_members m where m.cascade_id = ${this.cascadeId})${this.narrow(alias)}`;
    return `${alias}.time >= ${this.from} and ${alias}.time < ${this.to}${this.narrow(alias)}`;
  }

  /** `where` condition selecting the ADL fills reported on (alias `a`). */
  adl(alias = 'a'): string {
    if (this.cascadeId) return `${alias}.id in (select m.adl_event_id from cascade_adl_members m where m.cascade_id = ${this.cascadeId})${this.narrow(alias)}`;
    return `${alias}.time >= ${this.from} and ${alias}.time < ${this.to}${this.narrow(alias)}`;
  }

  /**
   * `where` condition selecting the cascades reported on (alias `c`): the one asked for, or those of
   * the unrestricted analysis (scope 'all') that overlap the range and share a venue and an asset with
   * the report's filters (a venue- or asset-limited run would list the same liquidations twice).
   */
  cascades(alias = 'c'): string {
    if (this.cascadeId) return `${alias}.cascade_id = ${this.cascadeId}`;
    const overlap = (column: string, values: readonly string[]) => (values.length ? ` and ${alias}.${column} && ${textArrayLiteral(values)}` : '');
    return `${alias}.scope = 'all' and ${alias}.start_time < ${this.to} and ${alias}.end_time >= ${this.from}${overlap('venues', this.scope.venues)}${overlap('assets', this.scope.assets)}`;
  }

  /** ADL waves reported on (alias `w`): the cascade's, or those of scope 'all' overlapping the range. */
  adlWaves(alias = 'w'): string {
    if (this.cascadeId) return `${alias}.cascade_id = ${this.cascadeId}${anyOf(`${alias}.venue`, this.scope.venues)}`;
    const assets = this.scope.assets.length ? ` and ${alias}.assets && ${textArrayLiteral(this.scope.assets)}` : '';
    return `${alias}.scope = 'all' and ${alias}.start_time < ${this.to} and ${alias}.end_time >= ${this.from}${anyOf(`${alias}.venue`, this.scope.venues)}${assets}`;
  }

  /** Time in the drawn window (prices, bars, oracle updates). */
  inWindow(alias: string, column = 'time'): string {
    return `${alias}.${column} >= ${this.windowFrom} and ${alias}.${column} < ${this.windowTo}`;
  }
}
