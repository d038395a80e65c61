import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { registerSecret, registerUrlSecrets } from '../secrets.ts';
import { configSchema, type LiqscopeConfig } from './schema.ts';

export const DEFAULT_CONFIG_FILES = ['liqscope.config.ts', 'liqscope.config.json'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: LiqscopeConfig;
  /** Absolute path of the file read, or null when none exists and defaults are used. */
  path: string | null;
}

/**
 * Reads, interpolates and validates the configuration. With no explicit path it looks for
 * liqscope.config.ts then liqscope.config.json in `cwd`, and falls back to defaults (embedded database,
 * no sources) when neither exists.
 */
export async function loadConfig(explicitPath?: string, cwd = process.cwd(), env = process.env): Promise<LoadedConfig> {
  const path = explicitPath ? resolve(cwd, explicitPath) : DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find(existsSync);
  if (explicitPath && (!path || !existsSync(path))) throw new ConfigError(`config file ${explicitPath} does not exist`);
  if (!path) return { config: parseConfig({}, '(defaults)', env), path: null };
  return { config: parseConfig(await readConfigFile(path), path, env), path };
}

async function readConfigFile(path: string): Promise<unknown> {
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${path}: not valid JSON: ${(error as Error).message}`);
    }
  }
  if (/\.(ts|mts|js|mjs)$/.test(path)) {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    if (module.default === undefined) throw new ConfigError(`${path}: must \`export default\` the configuration object`);
    return module.default;
  }
  throw new ConfigError(`${path}: unsupported config file type (use .json or .ts)`);
}

/**
 * Validates a raw configuration object, after replacing `${NAME}` with environment variables.
 * Errors name the file and the field, e.g. `liqscope.config.json: chains.arbitrum.chainId: expected number, received string`.
 *
 * Before anything is validated (an error message may quote a value), every value taken from the
 * environment and every endpoint URL is registered as a secret (src/secrets.ts), so that no output of
 * this process can show it.
 */
export function parseConfig(raw: unknown, origin: string, env: NodeJS.ProcessEnv = process.env): LiqscopeConfig {
  const interpolated = interpolate(raw, [], origin, env);
  registerEndpointSecrets(interpolated, env);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`${origin}: invalid configuration\n${lines.join('\n')}`);
  }
  checkReferences(result.data, origin);
  return result.data;
}

/**
 * Registers the URL fields (RPC endpoints, subgraph and HTTP sources' URLs, the database URL, and
 * DATABASE_URL, which the store reads when the config names none), read from the raw object so that it works before validation. Values
 * that came from `${NAME}` are registered as interpolate() replaces them.
 */
function registerEndpointSecrets(config: unknown, env: NodeJS.ProcessEnv): void {
  const object = (value: unknown) => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});
  for (const chain of Object.values(object(object(config).chains))) {
    const rpc = object(chain).rpc;
    for (const url of Array.isArray(rpc) ? rpc : [rpc]) if (typeof url === 'string') registerUrlSecrets(url);
  }
  // A subgraph gateway or venue API URL carries its key as often as an RPC URL does; registered here,
  // before any client exists, so that a config or planning error cannot print it either.
  const sources = object(config).sources;
  for (const source of Array.isArray(sources) ? sources : []) {
    const url = object(source).url;
    if (typeof url === 'string') registerUrlSecrets(url);
  }
  const databaseUrl = object(object(config).database).url;
  if (typeof databaseUrl === 'string') registerUrlSecrets(databaseUrl);
  if (env.DATABASE_URL) registerUrlSecrets(env.DATABASE_URL);
}

function checkReferences(config: LiqscopeConfig, origin: string): void {
  const names = new Set<string>();
  config.sources.forEach((source, i) => {
    if (names.has(source.name)) throw new ConfigError(`${origin}: sources[${i}].name: duplicate source name "${source.name}"`);
    names.add(source.name);
    if (source.kind !== 'evm') return;
    if (!config.chains[source.chain]) {
      const known = Object.keys(config.chains).join(', ') || 'none defined';
      throw new ConfigError(`${origin}: sources[${i}].chain: unknown chain "${source.chain}" (chains: ${known})`);
    }
    if (source.endBlock !== undefined && source.endBlock < source.startBlock) {
      throw new ConfigError(`${origin}: sources[${i}].endBlock: ${source.endBlock} is before startBlock ${source.startBlock}`);
    }
  });
}

function interpolate(value: unknown, path: (string | number)[], origin: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') {
        throw new ConfigError(`${origin}: ${formatPath(path)}: environment variable ${name} is not set`);
      }
      // Whatever the environment supplies is a candidate secret (an RPC URL, an API key, a password).
      registerSecret(found);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, [...path, i], origin, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], origin, env)]));
  }
  return value;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

export { z };
