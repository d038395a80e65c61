import pino from 'pino';

/**
 * Hides credentials in a URL: userinfo, query strings (e.g. `?apikey=`) and long path segments that look
 * like API keys (Alchemy, Infura and QuickNode put the key in the path). Logs and reports must go through
 * this whenever they name an endpoint.
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
  const segments = parsed.pathname.split('/');
  if (segments.some(looksLikeSecret)) {
    changed = true;
    parsed.pathname = segments.map((segment) => (looksLikeSecret(segment) ? '***' : segment)).join('/');
  }
  // Unchanged URLs come back exactly as given (URL.toString would add a trailing slash).
  return changed ? parsed.toString().replace(/%2A%2A%2A/g, '***') : url;
}

function looksLikeSecret(segment: string): boolean {
  return segment.length >= 16 && /^[A-Za-z0-9_-]+$/.test(segment) && /\d/.test(segment);
}

/** Replaces every URL inside free text (error messages from providers often echo the endpoint). */
export function redactText(text: string): string {
  return text.replace(/\b(?:https?|wss?|postgres(?:ql)?):\/\/[^\s"'<>]+/g, (url) => redactUrl(url));
}

const level = process.env.LIQSCOPE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');

/**
 * The process logger: JSON lines on stderr (stdout is for command output such as `sql` results), or
 * pino-pretty when stderr is a terminal. Every message and error string passes through `redactText`.
 */
export const logger = pino(
  {
    level,
    base: undefined,
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as typeof args;
        method.apply(this, redacted);
      },
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
    : pino.destination(2),
);

export type Logger = typeof logger;
