/**
 * The process's registry of secrets: every configured endpoint URL and every configuration value that
 * came from the environment. Text that leaves the process (log lines, the CLI's error line, progress,
 * reports) passes through `redactSecrets`, which replaces each registered fragment wherever it appears,
 * with or without the URL around it. That catches what no pattern can: a provider's error text echoing
 * `host/v2/KEY` without its scheme, a key of letters only, a key with a dot.
 *
 * Registration derives the fragments from a URL's structure, so it never needs to guess what a key
 * looks like; `redactUrl` in logger.ts stays as the second line of defence for URLs never registered.
 */

/**
 * Fragments shorter than this are not registered on their own: replacing them everywhere would mangle
 * ordinary text ("rpc", "v2", "1"), and a key that short protects nothing anyway. The whole URL and its
 * scheme-less forms are always registered when the URL holds anything secret.
 */
export const MIN_SECRET_LENGTH = 6;

const REPLACEMENT = '***';

const fragments = new Set<string>();
/** Registered fragments, longest first (so a URL is replaced whole before its key alone); rebuilt lazily. */
let ordered: string[] | null = null;

/**
 * A path segment or value that reads as a plain word (`arbitrum`, `optimism-mainnet`, `json_rpc`) rather
 * than a credential: lower-case letters in at most 20 characters, optionally joined by - or _. Keys
 * carry digits, capitals, dots or are long; a 32-letter key without digits is not "plain" here.
 */
export function isPlainWord(text: string): boolean {
  return text.length <= 20 && /^[a-z]+(?:[-_][a-z]+)*$/.test(text);
}

/** Whether a URL path segment or query value may be a credential (see isPlainWord). */
export function mayBeSecret(text: string): boolean {
  return text.length >= MIN_SECRET_LENGTH && !isPlainWord(text);
}

function add(fragment: string): void {
  if (fragment.length === 0 || fragments.has(fragment)) return;
  fragments.add(fragment);
  // The same text as it appears inside a JSON string (a log line), when escaping changes it.
  const escaped = JSON.stringify(fragment).slice(1, -1);
  if (escaped !== fragment) fragments.add(escaped);
  ordered = null;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The secret fragments of a URL: its userinfo, every path segment that may be a key, every query value
 * of MIN_SECRET_LENGTH or more, the fragment; and, when any of these exists, the URL itself with and
 * without its scheme and userinfo (providers echo `host/path` in their errors). A URL with none of them
 * (`http://127.0.0.1:8545`, `https://arb1.arbitrum.io/rpc`) has no secret and yields nothing.
 *
 * @example secretFragmentsOfUrl('https://x.example/v2/SECRETKEY123?apikey=SECRETKEY456') // includes 'SECRETKEY123', 'SECRETKEY456', 'x.example/v2/SECRETKEY123?apikey=SECRETKEY456', …
 */
export function secretFragmentsOfUrl(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const parts: string[] = [];
  if (parsed.username || parsed.password) {
    const user = decoded(parsed.username);
    const password = decoded(parsed.password);
    parts.push(`${parsed.username}:${parsed.password}@`, `${parsed.username}:${parsed.password}`, `${user}:${password}`);
    // As sent in the Authorization header (Basic), which a proxy or provider may echo.
    parts.push(Buffer.from(`${user}:${password}`).toString('base64'));
    for (const part of [parsed.username, user, parsed.password, password]) if (part.length >= MIN_SECRET_LENGTH) parts.push(part);
  }
  let secretPath = false;
  for (const segment of parsed.pathname.split('/')) {
    for (const form of new Set([segment, decoded(segment)])) {
      if (!mayBeSecret(form)) continue;
      parts.push(form);
      secretPath = true;
    }
  }
  const query = parsed.search.slice(1);
  if (query.length >= MIN_SECRET_LENGTH) parts.push(query);
  for (const pair of query ? query.split('&') : []) {
    const raw = pair.slice(pair.indexOf('=') + 1);
    for (const form of new Set([raw, decoded(raw.replace(/\+/g, ' '))])) if (form.length >= MIN_SECRET_LENGTH) parts.push(form);
  }
  const hash = parsed.hash.slice(1);
  if (hash.length >= MIN_SECRET_LENGTH) parts.push(hash);
  if (parts.length === 0) return [];
  const withoutScheme = (text: string) => text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  for (const whole of [url, parsed.href]) parts.push(whole, withoutScheme(whole));
  parts.push(`${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`);
  // host + path without the query: how most providers echo the endpoint; a secret only when the path holds one.
  if (secretPath) parts.push(`${parsed.host}${parsed.pathname}`, `${parsed.host}${parsed.pathname}`.replace(/\/$/, ''));
  return [...new Set(parts)];
}

/** Registers a URL's secret fragments (see secretFragmentsOfUrl). Non-URLs are registered by registerSecret. */
export function registerUrlSecrets(url: string): void {
  for (const fragment of secretFragmentsOfUrl(url)) add(fragment);
}

/**
 * Registers a value taken from the environment or configuration as secret: a URL by its fragments, any
 * other text whole when it may be a key (a plain word such as a chain name is left readable).
 */
export function registerSecret(value: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) registerUrlSecrets(value);
  else if (mayBeSecret(value)) add(value);
}

/** Replaces every registered secret fragment in `text` with `***`. */
export function redactSecrets(text: string): string {
  if (fragments.size === 0 || text.length === 0) return text;
  ordered ??= [...fragments].sort((a, b) => b.length - a.length);
  let out = text;
  for (const fragment of ordered) {
    if (out.includes(fragment)) out = out.split(fragment).join(REPLACEMENT);
  }
  return out;
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  fragments.clear();
  ordered = null;
}

/**
 * How an endpoint is named in logs and errors: a stable label from the config and the host only, never
 * its path, query or userinfo.
 *
 * @example describeEndpoint('arbitrum#0', 'https://arb-mainnet.g.alchemy.com/v2/KEY') // 'arbitrum#0 (arb-mainnet.g.alchemy.com)'
 */
export function describeEndpoint(label: string, url: string): string {
  try {
    return `${label} (${new URL(url).host})`;
  } catch {
    return label;
  }
}
