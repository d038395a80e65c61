import type { SubgraphEntity } from '../../pipeline/protocol.ts';

/**
 * The two queries a subgraph source sends, in graph-node's query language (shared/formats.md §3):
 * `_meta` for the indexed head, and one page of an entity's collection.
 */
export const META_QUERY = `query liqscopeMeta { _meta { block { number } hasIndexingErrors } }`;

export interface MetaAnswer {
  _meta: { block: { number: number }; hasIndexingErrors: boolean } | null;
}

/**
 * One page of an entity, the way graph-node pages without `skip`: ordered by id, after the last id
 * stored, at most `first` (≤ 1000) items, all read at one pinned block (`block: {number}`) so that every
 * page of a window sees the same state. `_change_block: {number_gte}` (graph-node ≥ 0.30) keeps a window
 * to the entities created or changed since the previous window, so paging by id stays complete as new
 * entities arrive with ids anywhere in the id order (GMX ids start with a transaction hash).
 *
 * The filter is one `<Entity>_filter` variable, as graph-node names its input types.
 */
export function pageQuery(entity: SubgraphEntity): string {
  if (!/^[A-Z_][A-Za-z0-9_]*$/.test(entity.name) || !/^[a-z_][A-Za-z0-9_]*$/.test(entity.collection)) {
    throw new Error(`subgraph entity "${entity.name}" / collection "${entity.collection}": not GraphQL names`);
  }
  if (!/\bid\b/.test(entity.fields)) throw new Error(`subgraph entity ${entity.name}: its fields must select id (pages are ordered by it)`);
  return `query liqscopePage($first: Int!, $block: Int!, $where: ${entity.name}_filter!) {
  items: ${entity.collection}(first: $first, orderBy: id, orderDirection: asc, block: { number: $block }, where: $where) { ${entity.fields} }
}`;
}

export interface PageWindow {
  /** Entities changed at or after this block. */
  since: number;
  /** The pinned block. */
  block: number;
  /** Last id stored in this window ('' before the first page: every id is greater). */
  lastId: string;
}

export function pageVariables(entity: SubgraphEntity, window: PageWindow, first: number): Record<string, unknown> {
  return {
    first,
    block: window.block,
    where: { ...(entity.filter ?? {}), id_gt: window.lastId, _change_block: { number_gte: window.since } },
  };
}
