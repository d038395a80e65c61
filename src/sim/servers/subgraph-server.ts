import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, execute, GraphQLError, Kind, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { COLLECTIONS, SUBGRAPH_SDL, type SubgraphEntityName } from './subgraph-schema.ts';

/**
 * A stored entity: its GraphQL fields as graph-node serialises them (BigInt and Bytes as strings, Int as
 * numbers, relations as nested objects) and `_block`, the block it was created at (what `block:
 * {number}` and `_change_block` filter on).
 */
export type SubgraphRow = Record<string, unknown> & { id: string; _block: number };
export type SubgraphRows = Partial<Record<SubgraphEntityName, SubgraphRow[]>>;

/** A request as fault plans see it. */
export interface SubgraphRequestView {
  /** 1-based ordinal among all requests. */
  n: number;
  /** 1-based ordinal among page requests (queries of a collection), 0 for `_meta`. */
  page: number;
  /** The root fields asked (`_meta`, `tradeActions`). */
  fields: string[];
  variables: Record<string, unknown>;
}

/**
 * What a fault plan can make the server do with one request, as subgraph gateways and graph-node do:
 * an HTTP error (429 with Retry-After, 500; `echoUrl` puts the request's path in the body, as some
 * gateways do, keys included), a GraphQL error (`indexing_error`; `behind`: graph-node's answer from an
 * indexer behind the pinned block), a late answer, valid JSON of the wrong shape (`edit` gets the true
 * answer), a body that is not JSON, or a body cut short.
 */
export type SubgraphFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string; echoUrl?: boolean }
  | { kind: 'indexing-error' }
  | { kind: 'behind'; indexedUpTo?: number }
  | { kind: 'graphql-error'; message: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'malformed'; edit: (answer: { data?: Record<string, unknown> }) => unknown }
  | { kind: 'not-json' }
  | { kind: 'truncated' };

export interface SubgraphServerOptions {
  rows?: SubgraphRows;
  /** The indexed head (`_meta.block.number`); default: the highest `_block` of the rows (0 if none). */
  head?: number;
  /** `_meta.hasIndexingErrors`. */
  hasIndexingErrors?: boolean;
  /** Decides a fault per request (none by default). */
  faults?: (request: SubgraphRequestView) => SubgraphFault | null | undefined;
  /** Called before a request is answered (tests change the data mid-paging here). */
  onRequest?: (request: SubgraphRequestView, server: SubgraphServer) => void;
  port?: number;
}

export interface SubgraphRequestRecord extends SubgraphRequestView {
  status: number;
  /** Items answered by the collection field, before any fault changed the body. */
  items: number;
  /** `first` and the pinned block of a page request. */
  first?: number;
  block?: number;
  fault: SubgraphFault['kind'] | null;
}

export interface SubgraphServer {
  /** POST GraphQL here; any path is served (The Graph's gateway puts a key in the path). */
  url: string;
  stats: { requests: SubgraphRequestRecord[] };
  head(): number;
  setHead(block: number): void;
  /** Adds entities (each at its `_block`) and moves the head to the highest of them if it was below. */
  add(entity: SubgraphEntityName, rows: SubgraphRow[]): void;
  setIndexingErrors(value: boolean): void;
  close(): Promise<void>;
}

export const DEPLOYMENT = 'QmLiqscopeLocalSubgraph11111111111111111111111111';
const MAX_FIRST = 1000;
const MAX_SKIP = 5000;

/**
 * A local subgraph that speaks graph-node's GraphQL (graphql-js over the real schema subset,
 * subgraph-schema.ts) with graph-node's rules: `first` 0…1000 (100 by default), `skip` ≤ 5000, `where`
 * filters (`id_gt`, equality, `_change_block: {number_gte}`), `orderBy`/`orderDirection`, time travel
 * with `block: {number}` (an error naming the indexed head for a block above it), and
 * `_meta { block { number } hasIndexingErrors }`. Fed from rows a test or the simulator gives
 * (subgraph-feed.ts builds them from a simulated chain), with fault injection per request.
 *
 * @example
 * const server = await startSubgraphServer({ rows: { TradeAction: actions } });
 * // config: { kind: 'subgraph', url: server.url, … }
 */
export async function startSubgraphServer(options: SubgraphServerOptions = {}): Promise<SubgraphServer> {
  const schema = buildSchema(SUBGRAPH_SDL);
  const store = new Map<SubgraphEntityName, SubgraphRow[]>();
  for (const name of Object.keys(COLLECTIONS) as SubgraphEntityName[]) store.set(name, [...(options.rows?.[name] ?? [])]);
  const highest = () => Math.max(0, ...[...store.values()].flat().map((r) => r._block));
  let head = options.head ?? highest();
  let hasIndexingErrors = options.hasIndexingErrors ?? false;
  const stats = { requests: [] as SubgraphRequestRecord[] };
  let pages = 0;

  const rootValue: Record<string, unknown> = {
    _meta: (args: { block?: { number?: number } }) => {
      const number = args.block?.number ?? head;
      if (number > head) throw behindError(head, number);
      return { block: { number, hash: null, timestamp: null }, deployment: DEPLOYMENT, hasIndexingErrors };
    },
  };
  for (const [entity, collection] of Object.entries(COLLECTIONS) as [SubgraphEntityName, string][]) {
    rootValue[collection] = (args: CollectionArgs) => collectionPage(store.get(entity)!, args, head);
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ errors: [{ message: String((error as Error).message) }] }));
    });
  });

  const api: SubgraphServer = {
    url: '',
    stats,
    head: () => head,
    setHead: (block) => {
      head = block;
    },
    add: (entity, rows) => {
      store.get(entity)!.push(...rows);
      head = Math.max(head, ...rows.map((r) => r._block));
    },
    setIndexingErrors: (value) => {
      hasIndexingErrors = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (req.method !== 'POST') return send(res, 405, JSON.stringify({ errors: [{ message: 'only POST is served' }] }));
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    let document: DocumentNode;
    try {
      body = JSON.parse(text) as typeof body;
      if (typeof body.query !== 'string') throw new Error('no query');
      document = parse(body.query);
    } catch (error) {
      return send(res, 400, JSON.stringify({ errors: [{ message: `invalid request: ${(error as Error).message}` }] }));
    }
    const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<string, unknown>;
    const fields = rootFields(document);
    const isPage = fields.some((f) => f !== '_meta' && f !== '__typename');
    const view: SubgraphRequestView = { n: stats.requests.length + 1, page: isPage ? ++pages : 0, fields, variables };
    options.onRequest?.(view, api);
    const record: SubgraphRequestRecord = {
      ...view,
      status: 200,
      items: 0,
      ...(typeof variables.first === 'number' ? { first: variables.first } : {}),
      ...(typeof variables.block === 'number' ? { block: variables.block } : {}),
      fault: null,
    };
    stats.requests.push(record);
    const fault = options.faults?.(view) ?? null;
    record.fault = fault?.kind ?? null;
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'status') {
      record.status = fault.status;
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      const message = fault.echoUrl ? `upstream failure serving ${req.headers.host ?? ''}${req.url ?? ''}` : (fault.body ?? `HTTP ${fault.status}`);
      return send(res, fault.status, JSON.stringify({ errors: [{ message }] }), headers);
    }
    if (fault?.kind === 'indexing-error') return send(res, 200, JSON.stringify({ errors: [{ message: 'indexing_error' }] }));
    if (fault?.kind === 'graphql-error') return send(res, 200, JSON.stringify({ errors: [{ message: fault.message }] }));
    if (fault?.kind === 'behind') {
      const asked = typeof variables.block === 'number' ? variables.block : head;
      return send(res, 200, JSON.stringify({ errors: [{ message: behindError(fault.indexedUpTo ?? asked - 1, asked).message }] }));
    }
    if (fault?.kind === 'not-json') return send(res, 200, '<html><body>502 Bad Gateway</body></html>');

    const errors = validate(schema, document);
    let result: { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] };
    if (errors.length > 0) result = { errors };
    else result = (await execute({ schema, document, rootValue, variableValues: variables, operationName: typeof body.operationName === 'string' ? body.operationName : null })) as typeof result;
    for (const value of Object.values(result.data ?? {})) if (Array.isArray(value)) record.items += value.length;
    // graph-node answers `{"errors": [...]}` without `data` when a query fails as a whole.
    const answer: { data?: Record<string, unknown>; errors?: { message: string }[] } = {};
    if (result.data && !(result.errors && Object.values(result.data).every((v) => v === null))) answer.data = result.data;
    if (result.errors?.length) answer.errors = result.errors.map((e) => ({ message: e.message }));
    if (fault?.kind === 'malformed') return send(res, 200, JSON.stringify(fault.edit(structuredClone(answer))));
    const json = JSON.stringify(answer);
    if (fault?.kind === 'truncated') return send(res, 200, json.slice(0, Math.max(1, Math.floor(json.length / 2))));
    send(res, 200, json);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/subgraphs/name/liqscope/local`;
  return api;
}

interface CollectionArgs {
  skip: number;
  first: number;
  orderBy?: string;
  orderDirection?: 'asc' | 'desc';
  where?: Record<string, unknown>;
  block?: { number?: number; hash?: string; number_gte?: number };
}

/** One collection query, as graph-node answers it. */
function collectionPage(rows: readonly SubgraphRow[], args: CollectionArgs, head: number): Record<string, unknown>[] {
  if (args.first < 0 || args.first > MAX_FIRST) throw new GraphQLError(`The \`first\` argument must be between 0 and ${MAX_FIRST}, but is ${args.first}`);
  if (args.skip < 0 || args.skip > MAX_SKIP) throw new GraphQLError(`The \`skip\` argument must be between 0 and ${MAX_SKIP}, but is ${args.skip}`);
  if (args.block?.hash !== undefined) throw new GraphQLError('this local subgraph serves `block: {number}` only');
  const block = args.block?.number ?? head;
  if (block > head) throw behindError(head, block);
  if (args.block?.number_gte !== undefined && head < args.block.number_gte) throw behindError(head, args.block.number_gte);
  let visible = rows.filter((r) => r._block <= block && matches(r, args.where ?? {}));
  const by = args.orderBy ?? 'id';
  const direction = args.orderDirection === 'desc' ? -1 : 1;
  visible = [...visible].sort((a, b) => direction * (compareField(a[by], b[by]) || compareField(a.id, b.id)));
  return visible.slice(args.skip, args.skip + args.first);
}

function matches(row: SubgraphRow, where: Record<string, unknown>): boolean {
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined || value === null) continue;
    if (key === '_change_block') {
      if (row._block < (value as { number_gte: number }).number_gte) return false;
      continue;
    }
    const m = /^(.*)_(gt|gte|lt)$/.exec(key);
    if (m) {
      const c = compareField(row[m[1]!], value);
      if ((m[2] === 'gt' && !(c > 0)) || (m[2] === 'gte' && !(c >= 0)) || (m[2] === 'lt' && !(c < 0))) return false;
      continue;
    }
    if (String(row[key]) !== String(value)) return false;
  }
  return true;
}

/**
 * graph-node's order: ids and other strings by byte (its database runs with the C collation), BigInt
 * strings and Ints numerically.
 */
function compareField(a: unknown, b: unknown): number {
  if (typeof a === 'number' || typeof b === 'number' || (isInteger(a) && isInteger(b))) {
    const x = BigInt(String(a));
    const y = BigInt(String(b));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isInteger(v: unknown): boolean {
  return typeof v === 'string' && /^-?\d+$/.test(v);
}

/** graph-node's answer for a block above the indexed head (graphql/src/store/resolver.rs). */
function behindError(indexed: number, asked: number): GraphQLError {
  return new GraphQLError(
    `Failed to decode \`block.number\` value: \`subgraph ${DEPLOYMENT} has only indexed up to block number ${indexed} and data for block number ${asked} is therefore not yet available\``,
  );
}

function rootFields(document: DocumentNode): string[] {
  const op = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return op ? op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])) : [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}
