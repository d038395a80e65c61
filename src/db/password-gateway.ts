import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ScramExchange, ScramProtocolError, type ScramSecret } from './scram-server.ts';

/**
 * A Postgres wire-protocol front door that asks for a password (SCRAM-SHA-256) before a client reaches
 * `db serve`'s real server. PGlite answers every startup with "authentication ok", whatever the user
 * and password (issue 10), and pglite-socket has no authentication of its own. So the real server
 * listens on a Unix socket in a private (0700) directory that only this process's user can reach, and
 * this gateway, on the address clients use, authenticates each connection, then replays the client's
 * startup message to the real server and joins the two sockets byte for byte. The client sees the
 * usual sequence: SASL, SASL continue, SASL final, then the real server's AuthenticationOk.
 */

const PROTOCOL_3_0 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export interface PasswordGatewayOptions {
  secret: ScramSecret;
  /** Unix socket path of the real server. */
  backend: string;
  /** A client that has not authenticated by then is disconnected. Default 10 s. */
  authTimeoutMs?: number;
}

/** A net.Server to `listen()` on a TCP port or a Unix socket path. */
export function createPasswordGateway(options: PasswordGatewayOptions): Server {
  return createServer((client) => authenticate(client, options));
}

class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function authenticate(client: Socket, options: PasswordGatewayOptions): void {
  let buffer = Buffer.alloc(0);
  let state: 'startup' | 'sasl-initial' | 'sasl-response' = 'startup';
  let startup = Buffer.alloc(0);
  let user = '';
  const exchange = new ScramExchange(options.secret);
  const timer = setTimeout(() => client.destroy(), options.authTimeoutMs ?? 10_000);
  client.on('error', () => {});
  client.on('close', () => clearTimeout(timer));

  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    try {
      advance();
    } catch (error) {
      const failure = error instanceof ClientError ? error : new ClientError('28000', error instanceof ScramProtocolError ? `SCRAM authentication failed: ${error.message}` : 'authentication failed');
      clearTimeout(timer);
      client.off('data', onData);
      client.end(errorResponse(failure.code, failure.message));
    }
  };
  client.on('data', onData);

  function advance(): void {
    for (;;) {
      if (state === 'startup') {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (length < 8 || length > 10_000) throw new ClientError('08P01', 'invalid startup packet length');
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const message = Buffer.from(buffer.subarray(0, length));
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          client.write('N'); // no TLS, no GSSAPI: the client goes on in plain text (loopback or a private socket)
          continue;
        }
        if (code === CANCEL_REQUEST) {
          client.end(); // pglite-socket cannot cancel either
          return;
        }
        if (code !== PROTOCOL_3_0) throw new ClientError('0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`);
        startup = message;
        user = startupParameters(message).get('user') ?? '';
        client.write(authentication(10, Buffer.from('SCRAM-SHA-256\0\0')));
        state = 'sasl-initial';
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]!);
      const length = buffer.readInt32BE(1);
      if (length < 4 || length > 100_000) throw new ClientError('08P01', 'invalid message length');
      if (buffer.length < 1 + length) return;
      const body = buffer.subarray(5, 1 + length);
      buffer = buffer.subarray(1 + length);
      if (type === 'X') {
        client.end();
        return;
      }
      if (type !== 'p') throw new ClientError('08P01', `expected a SASL response, got message type ${JSON.stringify(type)}`);
      if (state === 'sasl-initial') {
        const end = body.indexOf(0);
        const mechanism = body.subarray(0, end).toString();
        if (end < 0 || mechanism !== 'SCRAM-SHA-256') throw new ClientError('28000', `SASL mechanism ${JSON.stringify(mechanism)} is not SCRAM-SHA-256`);
        const size = body.readInt32BE(end + 1);
        const serverFirst = exchange.start(body.subarray(end + 5, end + 5 + size).toString());
        client.write(authentication(11, Buffer.from(serverFirst)));
        state = 'sasl-response';
        continue;
      }
      const serverFinal = exchange.finish(body.toString());
      if (!serverFinal) throw new ClientError('28P01', `password authentication failed for user "${user}"`);
      client.write(authentication(12, Buffer.from(serverFinal)));
      clearTimeout(timer);
      client.pause(); // whatever the client sends next waits for the real server
      client.off('data', onData);
      connectBackend(client, options.backend, Buffer.concat([startup, buffer]));
      return;
    }
  }
}

/** Joins an authenticated client to the real server, which answers the replayed startup itself. */
function connectBackend(client: Socket, path: string, replay: Buffer): void {
  const backend = createConnection(path);
  backend.on('error', () => client.destroy());
  backend.on('close', () => client.destroy());
  client.on('close', () => backend.destroy());
  backend.on('connect', () => {
    backend.write(replay);
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  });
}

function startupParameters(message: Buffer): Map<string, string> {
  const parts = message.subarray(8).toString().split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) parameters.set(parts[i]!, parts[i + 1]!);
  return parameters;
}

/** An Authentication message ('R') of the given kind: 10 SASL, 11 SASL continue, 12 SASL final. */
function authentication(kind: number, payload: Buffer): Buffer {
  const message = Buffer.alloc(9 + payload.length);
  message.write('R', 0);
  message.writeInt32BE(8 + payload.length, 1);
  message.writeInt32BE(kind, 5);
  payload.copy(message, 9);
  return message;
}

function errorResponse(code: string, text: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${text}\0\0`);
  const message = Buffer.alloc(5 + fields.length);
  message.write('E', 0);
  message.writeInt32BE(4 + fields.length, 1);
  fields.copy(message, 5);
  return message;
}
