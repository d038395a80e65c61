import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), as Postgres speaks it: the password never
 * crosses the connection, and a recorded exchange cannot be replayed. `db serve --password` uses it;
 * psql, libpq and node-postgres all support it.
 */

/** The salted password's derived keys: what a server stores instead of the password. */
export interface ScramSecret {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/**
 * Derives the secret once per server start (PBKDF2 with 4096 iterations, Postgres's default, costs
 * milliseconds; doing it per connection would let connection attempts burn CPU).
 */
export function scramSecret(password: string, options: { iterations?: number; salt?: Buffer } = {}): ScramSecret {
  const iterations = options.iterations ?? 4096;
  const salt = options.salt ?? randomBytes(16);
  // Postgres SASLprep-normalises the password; NFKC is that for every password a person types.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return { salt, iterations, storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** A malformed message: the exchange ends with an authentication failure. */
export class ScramProtocolError extends Error {
  override name = 'ScramProtocolError';
}

/**
 * One exchange: `start(client-first)` gives server-first; `finish(client-final)` gives server-final when
 * the client proved it knows the password, undefined when it did not.
 */
export class ScramExchange {
  #clientFirstBare = '';
  #serverFirst = '';
  #gs2Header = '';
  #nonce = '';

  /** `serverNonce` is random unless given (tests replay the RFC 7677 example). */
  constructor(
    private readonly secret: ScramSecret,
    private readonly serverNonce = randomBytes(18).toString('base64'),
  ) {}

  start(clientFirst: string): string {
    // gs2 header: "n,," (no channel binding) or "y,," (the client could bind, we did not offer it).
    // "p=…" asks for channel binding, which needs TLS, which this server does not speak.
    const match = /^([ny]),([^,]*),(.*)$/s.exec(clientFirst);
    if (!match) throw new ScramProtocolError('channel binding is not supported (no TLS)');
    this.#gs2Header = `${match[1]},${match[2]},`;
    this.#clientFirstBare = match[3]!;
    const clientNonce = attribute(this.#clientFirstBare, 'r');
    if (!clientNonce) throw new ScramProtocolError('client-first-message has no nonce');
    this.#nonce = clientNonce + this.serverNonce;
    this.#serverFirst = `r=${this.#nonce},s=${this.secret.salt.toString('base64')},i=${this.secret.iterations}`;
    return this.#serverFirst;
  }

  finish(clientFinal: string): string | undefined {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramProtocolError('client-final-message has no proof');
    const withoutProof = clientFinal.slice(0, proofAt);
    if (attribute(withoutProof, 'c') !== Buffer.from(this.#gs2Header).toString('base64')) throw new ScramProtocolError('channel binding data does not match');
    if (attribute(withoutProof, 'r') !== this.#nonce) throw new ScramProtocolError('nonce does not match');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    if (proof.length !== 32) return undefined;
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.secret.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(sha256(clientKey), this.secret.storedKey)) return undefined;
    return `v=${hmac(this.secret.serverKey, authMessage).toString('base64')}`;
  }
}

function attribute(message: string, name: string): string | undefined {
  for (const part of message.split(',')) if (part.startsWith(`${name}=`)) return part.slice(name.length + 1);
  return undefined;
}
