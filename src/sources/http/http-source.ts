import type { HttpReading, HttpStream } from '../../pipeline/protocol.ts';
import type { HttpItem } from '../../pipeline/records.ts';
import type { SourceInfo } from '../../pipeline/source-info.ts';
import type { CursorRow, Progress, PullEnd, PullOptions, Source, SourceItem, SourceStats } from '../../pipeline/source.ts';
import { HttpClient, HttpSourceError, type HttpClientOptions } from './http-client.ts';

export interface HttpSourceOptions {
  info: SourceInfo;
  reading: HttpReading;
  client: Omit<HttpClientOptions, 'signal'>;
  signal?: AbortSignal;
}

/**
 * A venue's HTTP API as a pipeline source: each of the protocol's streams is paged after its own
 * cursor, one page per batch (its items and the cursor after them are written in one transaction), so
 * a killed run resumes at the page after the last one stored. A page the protocol cannot read fails
 * the run with the source, the request and the field; nothing of it is written.
 */
export class HttpSource implements Source<HttpItem> {
  readonly reorgable = false;
  readonly info: SourceInfo;
  private readonly client: HttpClient;
  private readonly streams: HttpStream[];
  private pages = 0;

  constructor(options: HttpSourceOptions) {
    this.info = options.info;
    this.client = new HttpClient({ ...options.client, ...(options.signal ? { signal: options.signal } : {}) });
    this.streams = options.reading.streams(options.info);
    const names = new Set<string>();
    for (const stream of this.streams) {
      if (names.has(stream.name)) throw new Error(`source ${options.info.id}: two streams named ${stream.name}`);
      names.add(stream.name);
    }
  }

  position(cursors: ReadonlyMap<string, CursorRow>): Progress {
    const done = this.streams.filter((s) => cursors.has(s.name)).length;
    return { unit: 'streams', start: 0n, position: BigInt(done), target: BigInt(this.streams.length) };
  }

  stats(): SourceStats {
    const errors = Object.entries(this.client.stats.errors).map(([kind, count]) => ({ endpoint: this.info.id, kind, count }));
    return { requests: this.client.stats.requests, retries: this.client.stats.retries, rewinds: 0, errors };
  }

  async *pull({ cursors, signal }: PullOptions): AsyncGenerator<SourceItem<HttpItem>, PullEnd, undefined> {
    const now = new Date();
    const total = BigInt(this.streams.length);
    for (const [index, stream] of this.streams.entries()) {
      let cursor = cursors.get(stream.name)?.position ?? null;
      for (;;) {
        if (signal.aborted) return { state: 'caught-up', progress: null };
        const request = stream.next(cursor, now);
        if (!request) break;
        const body = await this.client.send(request);
        let page;
        try {
          page = stream.page(body, request, cursor);
        } catch (error) {
          throw new HttpSourceError(`source ${this.info.id}: ${request.label} on ${this.client.description}: ${(error as Error).message}`);
        }
        this.pages++;
        cursor = page.cursor;
        const items: HttpItem[] = page.items.map((value) => ({ stream: stream.name, request: request.label, value }));
        yield {
          type: 'batch',
          records: items,
          cursors: [{ stream: stream.name, position: page.cursor }],
          label: `${request.label} (${items.length} item${items.length === 1 ? '' : 's'})`,
          progress: { unit: 'streams', start: 0n, position: BigInt(index), target: total },
        };
        if (!page.more) break;
      }
    }
    return { state: 'caught-up', progress: { unit: 'streams', start: 0n, position: total, target: total } };
  }
}
