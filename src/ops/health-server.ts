import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../logger.ts';
import type { Readiness } from './lag-probe.ts';
import type { OpsMetrics } from './metrics.ts';

export interface HealthServer {
  /** `host:port` it listens on (the port chosen when 0 was asked). */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The port is taken, or the address is not this machine's: a message naming the setting to change. */
export class HealthServerError extends Error {
  override name = 'HealthServerError';
}

/**
 * The HTTP endpoints of `liqscope run`:
 * - `/metrics`: Prometheus text format (metrics.ts);
 * - `/healthz`: 200 while the process runs its scheduler (liveness: a process that cannot answer this
 *   is wedged and should be restarted);
 * - `/readyz`: 200 when every source is within its lag thresholds and its last run did not fail, 503
 *   otherwise; the JSON body says why (readiness: alert, or keep a rollout from going on).
 * GET and HEAD only; nothing here changes anything.
 */
export async function startHealthServer(options: { host: string; port: number; metrics: OpsMetrics; readiness: () => Readiness; alive?: () => boolean }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (path === '/metrics') {
      options.metrics.text().then(
        (text) => send(200, options.metrics.contentType, text),
        (error: Error) => send(500, 'text/plain', `metrics failed: ${error.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const alive = options.alive?.() ?? true;
      return send(alive ? 200 : 503, 'application/json', `${JSON.stringify({ status: alive ? 'ok' : 'stopping' })}\n`);
    }
    if (path === '/readyz') {
      const readiness = options.readiness();
      return send(readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(readiness)}\n`);
    }
    send(404, 'text/plain', 'not found: /metrics, /healthz, /readyz\n');
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE') reject(new HealthServerError(`the metrics port ${where} is in use by another process (metrics.port in the config, or --metrics-port)`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new HealthServerError(`cannot listen on ${where}: not an address of this machine (metrics.host)`));
      else reject(new HealthServerError(`cannot listen on ${where}: ${error.message}`));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (error) => logger.warn({ err: error }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
