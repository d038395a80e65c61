import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createPasswordGateway } from '../../db/password-gateway.ts';
import { scramSecret } from '../../db/scram-server.ts';
import { logger } from '../../logger.ts';
import { CliError, type CliContext } from '../context.ts';

/** The environment variable that holds `db serve`'s password (kept out of `ps`, unlike an argument). */
export const SERVE_PASSWORD_ENV = 'LIQSCOPE_SERVE_PASSWORD';

interface ServeOptions {
  port: string;
  maxConnections: string;
  socketDir?: string;
  passwordFile?: string;
}

export function register(program: Command, context: CliContext): void {
  const db = program.command('db').description('database utilities');
  db.command('serve')
    .description(
      'expose the embedded database over the Postgres wire protocol on 127.0.0.1 (for psql and BI tools). ' +
        `Every client is the superuser; without a password any local user can connect: on a shared machine set ${SERVE_PASSWORD_ENV}, --password-file or --socket-dir`,
    )
    .option('-p, --port <port>', 'TCP port (with --socket-dir: the number in the socket name .s.PGSQL.<port>)', '5433')
    .option('--max-connections <n>', 'client connections at once (queries still run one at a time)', '8')
    .option('--socket-dir <dir>', 'listen on a Unix socket in this directory instead of TCP (psql -h DIR); created private (0700), refused if others can enter it')
    .option('--password-file <file>', `require this file's first line as password (SCRAM-SHA-256); ${SERVE_PASSWORD_ENV} does the same`)
    .action(async (options: ServeOptions) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`db serve: invalid --port "${options.port}"`, 2);
      const maxConnections = Number(options.maxConnections);
      if (!Number.isInteger(maxConnections) || maxConnections < 1) {
        throw new CliError(`db serve: invalid --max-connections "${options.maxConnections}"`, 2);
      }
      const password = readPassword(options.passwordFile);
      const socketDir = options.socketDir ? resolve(options.socketDir) : undefined;
      const socketPath = socketDir ? prepareSocketDir(socketDir, port) : undefined;
      if (socketPath) await removeStaleSocket(socketPath);

      const handle = await context.openDb();
      if (!handle.pglite) {
        await handle.close();
        throw new CliError(`db serve: the store is already a Postgres server (${handle.location}); connect to it directly`);
      }
      // With a password, the real server listens where only this user can reach it, behind the gateway.
      const privateDir = password ? mkdtempSync(join(tmpdir(), 'liqscope-serve-')) : undefined;
      const backendPath = privateDir ? join(privateDir, '.s.PGSQL.backend') : undefined;
      const server = new PGLiteSocketServer({
        db: handle.pglite,
        maxConnections,
        ...(backendPath ? { path: backendPath } : socketPath ? { path: socketPath } : { host: '127.0.0.1', port }),
      });
      let gateway: Server | undefined;
      try {
        await server.start();
        if (password && backendPath) {
          gateway = createPasswordGateway({ secret: scramSecret(password), backend: backendPath });
          gateway.on('error', (error) => logger.warn({ err: error }, 'db serve: gateway error'));
          gateway.maxConnections = maxConnections * 4; // unauthenticated connections are cheap but not free
          await listen(gateway, socketPath ?? { host: '127.0.0.1', port });
        }
        const listening = socketPath ? undefined : gateway ? (gateway.address() as { port: number }).port : Number(server.getServerConn().split(':').pop());
        // A socket directory goes in the host part, percent-encoded, as libpq and node-postgres read it.
        const url = socketDir ? `postgres://${encodeURIComponent(socketDir)}:${port}/postgres` : `postgres://127.0.0.1:${listening}/postgres`;
        const psql = socketDir ? `psql -h ${socketDir} -p ${port} -U postgres` : `psql -h 127.0.0.1 -p ${listening} -U postgres`;
        process.stdout.write(`serving ${handle.location} on ${socketPath ? `the Unix socket ${socketPath}` : url}  (Ctrl-C to stop)\n`);
        process.stdout.write(`  ${password ? `PGPASSWORD=… ${psql}` : psql}\n`);
        if (!password && !socketPath) {
          process.stderr.write(
            `db serve: no password: any user of this machine can connect, as superuser; on a shared machine set ${SERVE_PASSWORD_ENV} (or --password-file) or use --socket-dir\n`,
          );
        }
        handle.owner?.update({ serving: url });
      } catch (error) {
        await gateway?.close();
        await server.stop();
        await handle.close();
        if (privateDir) rmSync(privateDir, { recursive: true, force: true });
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`db serve: ${socketPath ?? `127.0.0.1:${port}`} is in use; choose another --port`);
        throw error;
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      logger.info('stopping db serve');
      if (gateway) await new Promise<void>((resolve) => gateway!.close(() => resolve()));
      await server.stop();
      await handle.close();
      if (privateDir) rmSync(privateDir, { recursive: true, force: true });
    });
}

function readPassword(file: string | undefined): string | undefined {
  let password: string | undefined;
  if (file) {
    try {
      password = readFileSync(file, 'utf8').split(/\r?\n/)[0];
    } catch (error) {
      throw new CliError(`db serve: cannot read --password-file ${file}: ${(error as Error).message}`, 2);
    }
    if (!password) throw new CliError(`db serve: --password-file ${file}: the first line is empty`, 2);
  } else {
    password = process.env[SERVE_PASSWORD_ENV] || undefined;
  }
  return password;
}

/**
 * The socket's directory is what keeps other users out (a Unix socket is reachable by whoever may enter
 * its directory), so it must be private: created 0700, or refused when group or others have access.
 */
function prepareSocketDir(dir: string, port: number): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw new CliError(`db serve: --socket-dir ${dir} is not a directory`, 2);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new CliError(`db serve: --socket-dir ${dir} belongs to another user; use a directory of your own`, 2);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new CliError(`db serve: --socket-dir ${dir} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); chmod 700 it or choose another`, 2);
  }
  chmodSync(dir, 0o700);
  const path = join(dir, `.s.PGSQL.${port}`);
  // Unix socket paths are limited to 104 (macOS) or 108 (Linux) bytes.
  if (Buffer.byteLength(path) > 100) throw new CliError(`db serve: --socket-dir ${dir} is too long for a Unix socket path; choose a shorter one`, 2);
  return path;
}

/** A socket file left by a server that died: nobody answers on it, so it may go. One that answers stays. */
async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (alive) throw new CliError(`db serve: a server already listens on ${path}; choose another --port or --socket-dir`);
  try {
    unlinkSync(path);
  } catch {
    // no file: nothing to remove
  }
}

function listen(server: Server, address: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (typeof address === 'string') server.listen(address, done);
    else server.listen(address.port, address.host, done);
  });
}
