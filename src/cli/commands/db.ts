import type { Command } from 'commander';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { logger } from '../../logger.ts';
import { CliError, type CliContext } from '../context.ts';

export function register(program: Command, context: CliContext): void {
  const db = program.command('db').description('database utilities');
  db.command('serve')
    .description('expose the embedded database over the Postgres wire protocol on 127.0.0.1 (for psql and BI tools)')
    .option('-p, --port <port>', 'TCP port', '5433')
    .option('--max-connections <n>', 'client connections at once (queries still run one at a time)', '8')
    .action(async (options: { port: string; maxConnections: string }) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`db serve: invalid --port "${options.port}"`, 2);
      const maxConnections = Number(options.maxConnections);
      if (!Number.isInteger(maxConnections) || maxConnections < 1) {
        throw new CliError(`db serve: invalid --max-connections "${options.maxConnections}"`, 2);
      }
      const handle = await context.openDb();
      if (!handle.pglite) {
        await handle.close();
        throw new CliError(`db serve: the store is already a Postgres server (${handle.location}); connect to it directly`);
      }
      const server = new PGLiteSocketServer({ db: handle.pglite, host: '127.0.0.1', port, maxConnections });
      await server.start();
      process.stdout.write(`serving ${handle.location} on postgres://${server.getServerConn()}/postgres  (Ctrl-C to stop)\n`);
      process.stdout.write(`  psql -h 127.0.0.1 -p ${server.getServerConn().split(':').pop()} -U postgres\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      logger.info('stopping db serve');
      await server.stop();
      await handle.close();
    });
}
