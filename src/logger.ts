import pino from 'pino';
import { mayBeSecret, redactSecrets } from './secrets.ts';

/**
 * Hides credentials in a URL by its shape: userinfo, query strings (e.g. `?apikey=`), the fragment, and
 * every path segment that is not a plain word (Alchemy, Infura and QuickNode put the key in the path;
 * keys may be letters only or hold dots). This is the second line of defence: configured URLs are
 * registered in src/secrets.ts and redacted by value wherever they appear, with or without a scheme.
 *
 * @example redactUrl('https://arb-mainnet.g.alchemy.com/v2/abcdef0123456789abcdef') // 'https://arb-mainnet.g.alchemy.com/v2/***'
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '***';
  }
  let changed = false;
  if (parsed.username || parsed.password) {
    changed = true;
    parsed.username = parsed.username ? '***' : '';
    parsed.password = parsed.password ? '***' : '';
  }
  if (parsed.search) {
    changed = true;
    parsed.search = '?***';
  }
  if (parsed.hash) {
    changed = true;
    parsed.hash = '#***';
  }
  const segments = parsed.pathname.split('/');
  if (segments.some(mayBeSecret)) {
    changed = true;
    parsed.pathname = segments.map((segment) => (mayBeSecret(segment) ? '***' : segment)).join('/');
  }
  // Unchanged URLs come back exactly as given (URL.toString would add a trailing slash).
  return changed ? parsed.toString().replace(/%2A%2A%2A/g, '***') : url;
}

/**
 * Makes free text safe to print: every registered secret (src/secrets.ts) is replaced wherever it
 * appears, then every URL left is redacted by shape (provider error messages often echo the endpoint).
 */
export function redactText(text: string): string {
  return redactSecrets(text).replace(/\b(?:https?|wss?|postgres(?:ql)?):\/\/[^\s"'<>]+/g, (url) => redactUrl(url));
}

const level = process.env.LIQSCOPE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');

/**
 * The process logger: JSON lines on stderr (stdout is for command output such as `sql` results), or
 * pino-pretty when stderr is a terminal. Every line, whatever field holds the text, passes through
 * `redactText` just before it is written (pino's streamWrite hook sees the serialized line).
 */
export const logger = pino(
  {
    level,
    base: undefined,
    hooks: {
      streamWrite: (line) => redactText(line),
    },
    serializers: {
      err: (err: unknown) => {
        const serialized = pino.stdSerializers.err(err as Error);
        return { ...serialized, message: redactText(serialized.message), stack: redactText(serialized.stack ?? '') };
      },
      url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
      rpcUrl: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
    },
  },
  process.stderr.isTTY && !process.env.VITEST
    ? pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } })
    : // Synchronous: a CLI's log lines must not trail its final `liqscope:` line or be lost on exit
      // (pino's default destination writes asynchronously); lines are few outside debug level.
      pino.destination({ dest: 2, sync: true }),
);

export type Logger = typeof logger;
