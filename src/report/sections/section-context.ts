import type { Figure, FigureSpec, Section } from '../figure.ts';
import { runFigure, type ReportDb } from '../run-figure.ts';
import type { ReportScope } from '../scope.ts';
import { ScopeSql } from '../scope-sql.ts';

/** What a section builder gets: the scope, its SQL pieces, which analytics tables exist, and a way to run a figure. */
export interface SectionContext {
  db: ReportDb;
  scope: ReportScope;
  q: ScopeSql;
  /** Relations present in the database (analytics tables arrive with migrations 0004 and 0005). */
  has(relation: string): boolean;
  /** Runs a figure's SQL once; the figure (spec + rows) is what every format renders. */
  run(spec: FigureSpec): Promise<Figure>;
}

export type SectionBuilder = (ctx: SectionContext) => Promise<Section>;

export function createSectionContext(db: ReportDb, scope: ReportScope, relations: ReadonlySet<string>): SectionContext {
  return {
    db,
    scope,
    q: new ScopeSql(scope),
    has: (relation) => relations.has(relation),
    run: (spec) => runFigure(db, spec),
  };
}

/** A section whose analytics table is missing: it says which and how to get it, and shows no number. */
export function missingAnalytics(id: string, title: string, relations: readonly string[], producer: string): Section {
  return {
    id,
    title,
    paragraphs: [],
    figures: [],
    unavailable: `Not available: this database has no ${relations.join(', ')} (written by ${producer}). Run \`liqscope analyze\` over this range and write the report again.`,
  };
}

/** Strips the common indentation of a template literal, so that printed SQL reads well. */
export function sqlText(text: string): string {
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
