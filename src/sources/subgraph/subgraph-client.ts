import { ClientError, GraphQLClient } from 'graphql-request';
import { logger } from '../../logger.ts';
import { describeEndpoint, redactSecrets, registerUrlSecrets } from '../../secrets.ts';
import { backoffDelay, sleep } from '../../util/backoff.ts';
import { requestDeadline } from '../request-deadline.ts';

/**
 * A subgraph kept failing for longer than the budget, or refused a query: the message names the source,
 * the query and the endpoint by label and host, never the URL (The Graph's gateway puts the API key in
 * the path).
 */
export class SubgraphSourceError extends Error {
  override name = 'SubgraphSourceError';
  constructor(message: string) {
    // A gateway may echo the request's URL (and its key) in an error body: redacted here already, so
    // that the message is safe wherever it goes, not only where the CLI and the logger redact.
    super(redactSecrets(message));
  }
}

export interface SubgraphClientOptions {
  /** The subgraph's URL (registered as a secret; printed as its host). */
  url: string;
  /** A stable label for messages (the source's name). */
  label: string;
  requestsPerMinute: number;
  /** Milliseconds one attempt may take, and a query with its retries and waits. */
  timeoutMs: number;
  budgetMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  signal?: AbortSignal;
}

export interface SubgraphQuery {
  query: string;
  variables: Record<string, unknown>;
  /** Printable name for messages (`TradeAction page after id 0x…:7 at block 1000`). */
  label: string;
}

/** A GraphQL error graph-node sends when a retry may help: a failed or lagging indexer behind a gateway. */
const TRANSIENT_GRAPHQL = [
  // The subgraph hit a deterministic or non-deterministic indexing error; gateways route to another indexer.
  /indexing_error/i,
  // `Failed to decode `block.number` value: `subgraph Qm… has only indexed up to block number N and data
  // for block number M is therefore not yet available`` (graph-node, graphql/src/store/resolver.rs): an
  // indexer behind the block we pinned, usually another one than the indexer that answered _meta.
  /has only indexed up to block/i,
  /not yet available/i,
  // Gateway-level: no indexer could serve the query right now.
  /bad indexers|no indexers|indexer.*unavailable|timeout|timed out|too many requests|rate limit/i,
];

/**
 * GraphQL over HTTP for subgraphs, through graphql-request: queries paced to `requestsPerMinute` (evenly
 * spaced), retried with backoff and jitter within a time budget on 429 (honouring Retry-After), 5xx,
 * timeouts, dropped connections, bodies that are not JSON (truncated or malformed), answers without
 * data, and GraphQL errors that a retry can cure (`indexing_error`, an indexer behind the pinned block).
 * Any other GraphQL error (a query the schema refuses) fails at once with the server's messages.
 */
export class SubgraphClient {
  /** `errors`: failed attempts by kind (rate-limited, transient, malformed, indexing, behind, refused), for the metrics. */
  readonly stats = { requests: 0, retries: 0, errors: {} as Record<string, number> };
  private readonly endpoint: string;
  private readonly client: GraphQLClient;
  private nextAt = 0;

  constructor(private readonly options: SubgraphClientOptions) {
    registerUrlSecrets(options.url);
    this.endpoint = describeEndpoint(options.label, options.url);
    this.client = new GraphQLClient(options.url, { errorPolicy: 'all' });
  }

  /** `label (host)`, for messages. */
  get description(): string {
    return this.endpoint;
  }

  /** The query's `data`, once an attempt answers with data and no error. */
  async query<T>(request: SubgraphQuery): Promise<T> {
    const started = Date.now();
    const { signal } = this.options;
    for (let attempt = 0; ; attempt++) {
      await this.pace();
      this.stats.requests++;
      let failure: Failure;
      // Each attempt gets its own deadline, over the answer's body too; the run's signal aborts it as well.
      const deadline = requestDeadline(this.options.timeoutMs, signal);
      try {
        const response = await deadline.race(this.client.rawRequest<T>({ query: request.query, variables: request.variables, signal: deadline.signal }));
        const errors = response.errors ?? [];
        if (errors.length === 0 && response.data != null) return response.data;
        const messages = errors.map((e) => String((e as { message?: unknown }).message ?? JSON.stringify(e)));
        if (messages.length === 0) failure = { transient: true, kind: 'malformed', message: 'the answer holds neither data nor errors' };
        else {
          const transient = messages.every((m) => TRANSIENT_GRAPHQL.some((re) => re.test(m)));
          const kind = !transient ? 'refused' : messages.some((m) => /indexing_error/i.test(m)) ? 'indexing' : messages.some((m) => /indexed up to block/i.test(m)) ? 'behind' : 'transient';
          failure = { transient, kind, message: `GraphQL error: ${messages.join('; ').slice(0, 300)}` };
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        failure = classify(error, this.options.timeoutMs);
      } finally {
        deadline.clear();
      }
      this.stats.errors[failure.kind] = (this.stats.errors[failure.kind] ?? 0) + 1;
      const elapsed = Date.now() - started;
      if (!failure.transient) throw new SubgraphSourceError(`${request.label} on ${this.endpoint}: ${failure.message}`);
      const delay = Math.max(failure.retryAfterMs ?? 0, backoffDelay(attempt, this.options.backoffBaseMs ?? 500, this.options.backoffMaxMs ?? 20_000));
      if (elapsed + delay > this.options.budgetMs) {
        throw new SubgraphSourceError(
          `${request.label} on ${this.endpoint}: failed after ${attempt + 1} attempts in ${(elapsed / 1000).toFixed(1)} s; last error: ${failure.message}`,
        );
      }
      this.stats.retries++;
      logger.debug({ endpoint: this.endpoint, query: request.label, attempt: attempt + 1, delayMs: delay }, `retrying ${request.label}: ${failure.message}`);
      if (attempt === 2) logger.warn({ endpoint: this.endpoint, query: request.label }, `${request.label} on ${this.endpoint} still failing: ${failure.message}`);
      await sleep(delay, signal);
    }
  }

  /** Evenly spaced queries: subgraph gateways meter per second as much as per minute. */
  private async pace(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 60_000 / this.options.requestsPerMinute;
    await sleep(at - now, this.options.signal);
  }
}

/**
 * What an attempt that threw means. graphql-request throws a ClientError for a non-2xx answer (its
 * message holds the whole query and answer: never printed), and the JSON parser's error for a 2xx body
 * that is not JSON (a truncated or malformed page).
 */
interface Failure {
  transient: boolean;
  kind: 'rate-limited' | 'transient' | 'malformed' | 'indexing' | 'behind' | 'refused';
  message: string;
  retryAfterMs?: number;
}

function classify(error: unknown, timeoutMs: number): Failure {
  if (error instanceof ClientError) {
    const status = error.response.status;
    const body = typeof error.response.body === 'string' ? error.response.body : '';
    if (status === 429) {
      const after = Number(error.response.headers?.get('retry-after'));
      return { transient: true, kind: 'rate-limited', message: 'HTTP 429 (rate limited)', ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: Math.min(after, 60) * 1000 } : {}) };
    }
    const graphqlMessages = (error.response.errors ?? []).map((e) => e.message).join('; ');
    const transient = status >= 500 || status === 408;
    return {
      transient,
      kind: transient ? 'transient' : 'refused',
      message: `HTTP ${status}${graphqlMessages ? `: ${graphqlMessages}` : body ? `: ${body.slice(0, 200)}` : ''}`,
    };
  }
  const e = error as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return { transient: true, kind: 'transient', message: `no answer within ${timeoutMs} ms` };
  if (e instanceof SyntaxError || /Invalid execution result/.test(e.message)) {
    return { transient: true, kind: 'malformed', message: 'the answer is not a GraphQL JSON result (truncated or malformed body)' };
  }
  return { transient: true, kind: 'transient', message: `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}` };
}
