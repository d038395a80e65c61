import { logger } from '../../logger.ts';
import type { SubgraphEntity, SubgraphReading } from '../../pipeline/protocol.ts';
import type { SubgraphItem } from '../../pipeline/records.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import type { CursorRow, CursorUpdate, Progress, PullEnd, PullOptions, Source, SourceItem, SourceStats } from '../../pipeline/source.ts';
import { SubgraphClient, SubgraphSourceError, type SubgraphClientOptions } from './subgraph-client.ts';
import { META_QUERY, pageQuery, pageVariables, type MetaAnswer, type PageWindow } from './subgraph-query.ts';

export interface SubgraphSourceOptions {
  info: SourceInfo;
  reading: SubgraphReading;
  client: Omit<SubgraphClientOptions, 'signal'>;
  /** First block whose entities are read. */
  startBlock: number;
  /** Blocks below the subgraph's indexed head to read at. */
  confirmations: number;
  /** Entities per page (`first`, ≤ 1000). */
  pageSize: number;
  signal?: AbortSignal;
}

/**
 * A stream's cursor (`cursors.position`, JSON): the window being read — entities changed in blocks
 * [since, block], paged by id at the pinned `block` — and the last id stored in it. Between windows
 * `block` is null and `since` is the first block of the next one. `cursors.block_number` holds the last
 * block fully read (since − 1), which `verify --venue` reads as the subgraph's coverage.
 */
interface StreamCursor {
  since: number;
  block: number | null;
  lastId: string;
}

/**
 * A subgraph as a pipeline source: each of the protocol's entities is one cursor stream, paged by id at
 * one pinned block, one page per batch (its items and the cursor after them are written in one
 * transaction), so a killed run resumes at the page after the last one stored, in the same window and at
 * the same block. The pinned block comes from `_meta` once per pull and is kept for every page of a
 * window: entities the subgraph indexes meanwhile are read by the next pull, never half by this one.
 * A page the protocol cannot read fails the run naming the source, the page and the field; nothing of
 * it is written. `_meta.hasIndexingErrors` is a warning (the data up to the failure is still served).
 */
export class SubgraphSource implements Source<SubgraphItem> {
  readonly reorgable = false;
  readonly info: SourceInfo;
  private readonly client: SubgraphClient;
  private readonly entities: SubgraphEntity[];
  private readonly queries = new Map<string, string>();
  private head: number | null = null;

  constructor(private readonly options: SubgraphSourceOptions) {
    this.info = options.info;
    if (!Number.isInteger(options.pageSize) || options.pageSize < 1 || options.pageSize > 1000) {
      throw new Error(`source ${options.info.id}: pageSize ${options.pageSize}: graph-node serves 1 to 1000 entities a page`);
    }
    this.client = new SubgraphClient({ ...options.client, ...(options.signal ? { signal: options.signal } : {}) });
    this.entities = options.reading.entities(options.info);
    for (const entity of this.entities) {
      if (this.queries.has(entity.name)) throw new Error(`source ${options.info.id}: entity ${entity.name} read twice`);
      this.queries.set(entity.name, pageQuery(entity));
    }
  }

  position(cursors: ReadonlyMap<string, CursorRow>): Progress {
    const start = BigInt(this.options.startBlock);
    const done = this.doneBlock(cursors);
    return { unit: 'blocks', start, position: done, target: this.head === null ? done : BigInt(this.head) };
  }

  stats(): SourceStats {
    const errors = Object.entries(this.client.stats.errors).map(([kind, count]) => ({ endpoint: this.info.id, kind, count }));
    return { requests: this.client.stats.requests, retries: this.client.stats.retries, rewinds: 0, errors };
  }

  async *pull({ cursors, signal }: PullOptions): AsyncGenerator<SourceItem<SubgraphItem>, PullEnd, undefined> {
    const id = this.info.id;
    // Where every stream stands; updated as batches are yielded (the runner writes them in order).
    const states = new Map<string, StreamCursor>();
    for (const entity of this.entities) states.set(entity.name, this.readCursor(cursors.get(entity.name)));
    let head: number | null = null;
    const readHead = async (): Promise<number> => {
      if (head !== null) return head;
      const answer = await this.client.query<MetaAnswer>({ query: META_QUERY, variables: {}, label: `source ${id}: _meta` });
      const meta = answer._meta;
      if (!meta || typeof meta.block?.number !== 'number' || !Number.isSafeInteger(meta.block.number) || meta.block.number < 0) {
        throw new SubgraphSourceError(`source ${id}: _meta on ${this.client.description}: no block number in the answer (${JSON.stringify(answer).slice(0, 120)})`);
      }
      if (meta.hasIndexingErrors === true) {
        logger.warn(
          { source: id, endpoint: this.client.description, block: meta.block.number },
          `source ${id}: the subgraph on ${this.client.description} reports indexing errors (_meta.hasIndexingErrors): its data past the failed block may be missing`,
        );
      }
      head = Math.max(0, meta.block.number - this.options.confirmations);
      this.head = head;
      return head;
    };

    for (const entity of this.entities) {
      let state = states.get(entity.name)!;
      for (;;) {
        if (signal.aborted) return { state: 'caught-up', progress: null };
        if (state.block === null) {
          // A new window: from where the last one ended up to the head, read once per pull.
          const pinned = await readHead();
          if (pinned < state.since) break;
          state = { since: state.since, block: pinned, lastId: '' };
        }
        const window: PageWindow = { since: state.since, block: state.block!, lastId: state.lastId };
        const label = `source ${id}: ${entity.name} page after ${window.lastId ? `id ${window.lastId}` : 'the start'} of blocks ${window.since}–${window.block}`;
        const data = await this.client.query<{ items?: unknown }>({
          query: this.queries.get(entity.name)!,
          variables: pageVariables(entity, window, this.options.pageSize),
          label,
        });
        let items: { id: string; value: unknown }[];
        try {
          if (!('items' in data)) throw new Error('the answer has no items field');
          items = entity.page(data.items);
          if (items.length > this.options.pageSize) throw new Error(`${items.length} items for first: ${this.options.pageSize}`);
          checkIdOrder(items, window.lastId);
        } catch (error) {
          throw new SubgraphSourceError(`${label} on ${this.client.description}: ${(error as Error).message}`);
        }
        // A short page ends the window; a full one may have more after its last id.
        const more = items.length === this.options.pageSize;
        const next: StreamCursor = more ? { since: window.since, block: window.block, lastId: items[items.length - 1]!.id } : { since: window.block + 1, block: null, lastId: '' };
        states.set(entity.name, next);
        const records: SubgraphItem[] = items.map((item) => ({ entity: entity.name, block: window.block, page: label, value: item.value }));
        yield {
          type: 'batch',
          records,
          cursors: [this.cursorUpdate(entity.name, next)],
          label: `${entity.name} at block ${window.block}${window.lastId ? ` after id ${window.lastId}` : ''} (${records.length} item${records.length === 1 ? '' : 's'})`,
          progress: this.progressOf(states, window.block),
        };
        // After a full page, the next page of the window; after a short one, a new window if the head
        // this pull read (once) is past it.
        state = next;
      }
    }
    const done = this.minDone(states);
    return { state: 'caught-up', progress: { unit: 'blocks', start: BigInt(this.options.startBlock), position: done, target: BigInt(head ?? Number(done)) } };
  }

  private readCursor(row: CursorRow | undefined): StreamCursor {
    if (!row) return { since: this.options.startBlock, block: null, lastId: '' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.position);
    } catch {
      parsed = null;
    }
    const c = parsed as Partial<StreamCursor> | null;
    if (!c || !Number.isSafeInteger(c.since) || !(c.block === null || Number.isSafeInteger(c.block)) || typeof c.lastId !== 'string') {
      throw new SubgraphSourceError(`source ${this.info.id}: stored cursor of stream ${row.stream} is not a subgraph cursor: ${row.position.slice(0, 120)}`);
    }
    return { since: c.since!, block: c.block ?? null, lastId: c.lastId };
  }

  private cursorUpdate(stream: string, c: StreamCursor): CursorUpdate {
    return { stream, position: JSON.stringify(c), blockNumber: BigInt(c.since - 1) };
  }

  private doneBlock(cursors: ReadonlyMap<string, CursorRow>): bigint {
    const states = new Map<string, StreamCursor>();
    for (const entity of this.entities) states.set(entity.name, this.readCursor(cursors.get(entity.name)));
    return this.minDone(states);
  }

  /** The last block every stream has fully read. */
  private minDone(states: ReadonlyMap<string, StreamCursor>): bigint {
    let min = Infinity;
    for (const s of states.values()) min = Math.min(min, s.since - 1);
    return BigInt(Number.isFinite(min) ? min : this.options.startBlock - 1);
  }

  private progressOf(states: ReadonlyMap<string, StreamCursor>, pinned: number): Progress {
    return { unit: 'blocks', start: BigInt(this.options.startBlock), position: this.minDone(states), target: BigInt(Math.max(pinned, this.head ?? pinned)) };
  }
}

/**
 * Ids must come strictly increasing and after the cursor: a page out of order (a server ignoring
 * `orderBy: id`) would make the next `id_gt` skip entities.
 */
function checkIdOrder(items: readonly { id: string }[], after: string): void {
  let previous = after;
  for (const [i, item] of items.entries()) {
    if (!(item.id > previous)) throw new Error(`[${i}].id: ${JSON.stringify(item.id)} does not come after ${JSON.stringify(previous)} (pages must be ordered by id)`);
    previous = item.id;
  }
}
