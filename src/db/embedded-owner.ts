import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * One owner process per embedded database directory.
 *
 * PGlite keeps the database in process memory and writes it back to the directory; two processes on
 * one directory each believe they own it and corrupt it (issue 10: 5,981 raw_logs rows for 3,000 keys,
 * a broken index, both runs exiting 0). So a process that opens a directory first becomes its owner,
 * and any other process is refused with EmbeddedDirectoryBusyError (the CLI exits 75).
 *
 * The lock is a listening Unix-domain socket: a kernel object that disappears the moment its process
 * exits, even on SIGKILL, so a rerun right after a crash never waits and no stale lock can block it
 * (proper-lockfile and other time-based locks would). Node has no flock, and a native addon would need
 * a compiler on a newcomer's machine.
 * - Linux: an abstract-namespace socket named after the directory's real path. It leaves no file at all.
 *   Abstract names are per network namespace: processes in different containers do not see each other.
 * - Windows: a named pipe, with the same semantics.
 * - elsewhere (macOS): a socket file in the directory. A file left by a crashed owner is taken over
 *   safely: a connect that is refused proves nobody listens, and the unlink + listen runs under an
 *   atomic mkdir mutex so two takers cannot both win.
 * The owner answers every connection with its pid, command and start time, which goes into the error
 * the second process prints. The same facts are written to OWNER_FILE in the directory for people.
 */

/** Human-readable owner file in the directory (informational; the socket is the lock). */
export const OWNER_FILE = 'liqscope-owner.txt';
/** Socket file in the directory, where the platform has no abstract sockets. */
export const OWNER_SOCKET_FILE = 'liqscope-owner.sock';
/** Files of the owner mechanism, which a tool emptying the directory must leave in place. */
export const OWNER_FILES: readonly string[] = [OWNER_FILE, OWNER_SOCKET_FILE];

export type EmbeddedAccess = 'read' | 'write';

export interface OwnerInfo {
  pid: number;
  /** The command line, e.g. `liqscope index --follow`. */
  command: string;
  startedAt: string;
  /** Where `db serve` serves the directory, when it does: other processes can connect there. */
  serving?: string;
}

/** Another process owns the embedded directory (the CLI exits 75, EX_TEMPFAIL). */
export class EmbeddedDirectoryBusyError extends Error {
  override name = 'EmbeddedDirectoryBusyError';
  constructor(
    readonly directory: string,
    readonly holder: OwnerInfo | undefined,
    readonly access: EmbeddedAccess,
  ) {
    super(busyMessage(directory, holder, access));
  }
}

function busyMessage(directory: string, holder: OwnerInfo | undefined, access: EmbeddedAccess): string {
  const who = holder ? `pid ${holder.pid}: ${holder.command}, since ${holder.startedAt}` : 'a process that did not say which';
  const head = `the embedded database ${directory} is open in another process (${who}); an embedded database has one owner process at a time`;
  // A URL is always followed by a space: the CLI redacts URL-shaped text up to the next space.
  if (holder?.serving) {
    return `${head}. That process serves it over the Postgres protocol: connect through it, e.g. liqscope sql --database ${holder.serving} "<query>", or psql`;
  }
  if (access === 'read') {
    return `${head}. To query it while another command uses it, make \`liqscope db serve --database ${directory}\` its one owner and connect through that, e.g. liqscope sql --database postgres://127.0.0.1:5433/postgres "<query>", or psql`;
  }
  return `${head}. Wait for it to finish, or use a Postgres server for concurrent runs (docs/operations.md)`;
}

export interface EmbeddedOwner {
  /** The directory's real path. */
  readonly directory: string;
  /** Adds facts other processes are told (db serve: where it serves). */
  update(info: Pick<OwnerInfo, 'serving'>): void;
  /** Gives up ownership (once all handles of this process are released). */
  release(): Promise<void>;
}

export interface AcquireOwnerOptions {
  /** What the caller wants to do, for the advice in the error. Default 'write'. */
  access?: EmbeddedAccess;
  /** 'auto' picks the platform's mechanism; 'socket-file' forces the file socket (tests run it on Linux). */
  mechanism?: 'auto' | 'socket-file';
}

interface Held {
  refs: number;
  server: Server;
  info: OwnerInfo;
  directory: string;
  socketFile?: string;
}

/**
 * Ownership is per process: a second acquire in the same process shares it (the demo takes it before it
 * empties the directory, then opens the database). Whether the same process may open two engines on
 * one directory at once is connect.ts's decision.
 */
const heldHere = new Map<string, Promise<Held>>();

/**
 * Becomes the owner of `directory` (created if missing) or throws EmbeddedDirectoryBusyError naming the
 * process that is.
 *
 * @example
 * const owner = await acquireEmbeddedOwner('.liqscope/db');
 * try { ... } finally { await owner.release(); }
 */
export async function acquireEmbeddedOwner(directory: string, options: AcquireOwnerOptions = {}): Promise<EmbeddedOwner> {
  mkdirSync(directory, { recursive: true });
  const real = realpathSync(directory);
  let pending = heldHere.get(real);
  if (!pending) {
    pending = takeOwnership(real, options);
    heldHere.set(real, pending);
    pending.catch(() => heldHere.delete(real));
  }
  const held = await pending;
  held.refs++;
  let released = false;
  return {
    directory: real,
    update(info) {
      Object.assign(held.info, info);
      writeOwnerFile(held);
    },
    async release() {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      heldHere.delete(real);
      await giveUp(held);
    },
  };
}

async function takeOwnership(directory: string, options: AcquireOwnerOptions): Promise<Held> {
  const access = options.access ?? 'write';
  const info: OwnerInfo = { pid: process.pid, command: currentCommand(), startedAt: new Date().toISOString() };
  const held: Held = { refs: 0, server: createOwnerServer(() => info), info, directory };
  const mechanism = options.mechanism === 'socket-file' ? 'socket-file' : platformMechanism();
  if (mechanism === 'socket-file') {
    held.socketFile = socketFilePath(directory);
    await listenOnSocketFile(held.server, held.socketFile, directory, access);
  } else {
    const address = mechanism === 'pipe' ? `\\\\?\\pipe\\liqscope-owner-${directoryHash(directory)}` : `\0liqscope-owner:${directoryHash(directory)}`;
    try {
      await listen(held.server, address);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      const holder = await askHolder(address);
      throw new EmbeddedDirectoryBusyError(directory, holder.info ?? readOwnerFile(directory), access);
    }
  }
  // The owner's socket must never keep a finished command alive.
  held.server.unref();
  writeOwnerFile(held);
  process.once('exit', () => cleanUpAtExit(held));
  return held;
}

function platformMechanism(): 'abstract' | 'pipe' | 'socket-file' {
  if (process.platform === 'linux') return 'abstract';
  if (process.platform === 'win32') return 'pipe';
  return 'socket-file';
}

function directoryHash(directory: string): string {
  return createHash('sha256').update(directory).digest('hex').slice(0, 40);
}

/** Unix socket paths are limited to 104 (macOS) or 108 (Linux) bytes; a deep directory falls back to tmpdir. */
function socketFilePath(directory: string): string {
  const inside = join(directory, OWNER_SOCKET_FILE);
  return Buffer.byteLength(inside) < 100 ? inside : join(tmpdir(), `liqscope-owner-${directoryHash(directory)}.sock`);
}

/** Answers every connection with the owner's facts as one JSON line. */
function createOwnerServer(info: () => OwnerInfo): Server {
  return createServer((socket) => {
    socket.on('error', () => {}); // the asker may hang up first
    socket.end(`${JSON.stringify(info())}\n`);
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(address);
  });
}

interface HolderAnswer {
  /** Something listens at the address. */
  alive: boolean;
  info?: OwnerInfo;
}

/** Connects to the owner's socket: refused (or gone) means nobody owns it; otherwise reads its facts. */
function askHolder(address: string, timeoutMs = 1000): Promise<HolderAnswer> {
  return new Promise((resolve) => {
    const socket = createConnection(address);
    let text = '';
    let connected = false;
    const done = (answer: HolderAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // An owner busy in a long synchronous stretch (PGlite runs queries on the main thread) answers late:
    // it is alive all the same, and the owner file says who it is.
    const timer = setTimeout(() => done({ alive: true }), timeoutMs);
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => done({ alive: true, ...parseInfo(text) }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected && (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')) done({ alive: false });
      else done({ alive: true });
    });
  });
}

function parseInfo(text: string): { info?: OwnerInfo } {
  try {
    const value = JSON.parse(text) as OwnerInfo;
    return typeof value.pid === 'number' ? { info: value } : {};
  } catch {
    return {};
  }
}

/**
 * Listens on a socket file, taking over one left by a dead owner. Without the mutex, two takers could
 * both see "refused", and the second could unlink the socket the first had just bound.
 */
async function listenOnSocketFile(server: Server, path: string, directory: string, access: EmbeddedAccess): Promise<void> {
  const mutex = `${path}.takeover`;
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
    const holder = await askHolder(path);
    if (holder.alive) throw new EmbeddedDirectoryBusyError(directory, holder.info ?? readOwnerFile(directory), access);
    if (tryMkdir(mutex)) {
      try {
        const again = await askHolder(path);
        if (again.alive) throw new EmbeddedDirectoryBusyError(directory, again.info ?? readOwnerFile(directory), access);
        try {
          unlinkSync(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        try {
          await listen(server, path);
          return;
        } catch (error) {
          // A newcomer bound the path between our unlink and our listen: it is the owner now.
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        }
      } finally {
        rmdirSync(mutex);
      }
    } else {
      // Another process is taking over right now (milliseconds). A mutex that stays is one whose taker
      // died inside that window: after 10 s it cannot be anyone's any more.
      try {
        if (Date.now() - statSync(mutex).mtimeMs > 10_000) rmdirSync(mutex);
      } catch {
        // gone already
      }
      if (attempt > 200) throw new Error(`cannot take over the owner socket ${path}: ${mutex} stays in place`);
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
}

function tryMkdir(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function giveUp(held: Held): Promise<void> {
  removeOwnerFile(held);
  // Unlink before closing: once the file is gone a newcomer may bind a fresh one, while ours can no
  // longer be taken for a dead owner's and unlinked from under that newcomer.
  if (held.socketFile) unlinkQuietly(held.socketFile);
  await new Promise<void>((resolve) => held.server.close(() => resolve()));
}

function cleanUpAtExit(held: Held): void {
  if (!held.server.listening) return;
  removeOwnerFile(held);
  if (held.socketFile) unlinkQuietly(held.socketFile);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function currentCommand(): string {
  const [, script = '', ...args] = process.argv;
  const program = /liqscope(\.mjs)?$/.test(script) ? 'liqscope' : basename(script) || 'node';
  const line = [program, ...args.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : JSON.stringify(a)))].join(' ');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function writeOwnerFile(held: Held): void {
  const { info } = held;
  const lines = [
    'This embedded database is open in a liqscope process; an embedded database has one owner process at a time.',
    'The lock is held by the process itself (a socket that ends with it), not by this file: if no such process',
    'runs, this file is stale and the next owner replaces it.',
    '',
    `pid: ${info.pid}`,
    `command: ${info.command}`,
    `started: ${info.startedAt}`,
    ...(info.serving ? [`serving: ${info.serving}`] : []),
  ];
  try {
    writeFileSync(join(held.directory, OWNER_FILE), `${lines.join('\n')}\n`);
  } catch {
    // informational only: a read-only directory still gets the lock
  }
}

function removeOwnerFile(held: Held): void {
  const path = join(held.directory, OWNER_FILE);
  // Only our own: a newcomer may have written its facts already.
  if (readOwnerFile(held.directory)?.pid === held.info.pid) unlinkQuietly(path);
}

/** The owner file's facts, when its process still runs (a crashed owner's file is stale). */
export function readOwnerFile(directory: string): OwnerInfo | undefined {
  let text: string;
  try {
    text = readFileSync(join(directory, OWNER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1];
  const pid = Number(field('pid'));
  if (!Number.isInteger(pid) || pid <= 0 || !processExists(pid)) return undefined;
  const serving = field('serving');
  return { pid, command: field('command') ?? '?', startedAt: field('started') ?? '?', ...(serving ? { serving } : {}) };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
