import type { Address } from 'viem';
import type { z } from 'zod';
import { ConfigError } from '../config/load.ts';
import type { LiqscopeConfig, SourceConfig } from '../config/schema.ts';
import { evmChainName } from '../pipeline/assets.ts';
import type { Decoder } from '../pipeline/decode.ts';
import type { LogFilter, Protocol } from '../pipeline/protocol.ts';
import type { SourceInfo } from '../pipeline/source-info.ts';

/** A configured source resolved against the protocols, before anything is written or fetched. */
export interface SourcePlan {
  config: SourceConfig;
  protocol: Protocol;
  info: SourceInfo;
  decoder: Decoder<unknown>;
  /** EVM sources: the eth_getLogs filter their protocol asks for. */
  logFilter?: LogFilter;
}

/** `--source` names a source the config does not have (a usage error, not a config error). */
export class UnknownSourceError extends Error {
  override name = 'UnknownSourceError';
}

export interface PlanOptions {
  /** Where the config came from (its file), for error messages. */
  origin?: string;
  /** Only these sources (by name); all by default. */
  sources?: readonly string[];
}

/**
 * Resolves the selected sources against the protocols and checks everything about them that can be
 * wrong in the config, before anything is written or fetched: the protocol exists and is read from the
 * source's kind, the `options` match the protocol's schema (unknown keys rejected), and the protocol
 * accepts them. Errors are ConfigErrors naming the file and the field
 * (`liqscope.config.json: sources[2].options.topic0[0]: must be a 32-byte hex topic`).
 */
export function planSources(config: LiqscopeConfig, protocols: readonly Protocol[], opts: PlanOptions = {}): SourcePlan[] {
  const origin = opts.origin ?? 'configuration';
  for (const name of opts.sources ?? []) {
    if (!config.sources.some((s) => s.name === name)) {
      throw new UnknownSourceError(`unknown source "${name}" (configured: ${config.sources.map((s) => s.name).join(', ') || 'none'})`);
    }
  }
  const plans: SourcePlan[] = [];
  config.sources.forEach((source, i) => {
    if (opts.sources && !opts.sources.includes(source.name)) return;
    plans.push(planSource(config, protocols, source, `${origin}: sources[${i}]`));
  });
  return plans;
}

function planSource(config: LiqscopeConfig, protocols: readonly Protocol[], source: SourceConfig, field: string): SourcePlan {
  const protocol = protocols.find((p) => p.id === source.protocol);
  if (!protocol) {
    throw new ConfigError(`${field}.protocol: unknown protocol "${source.protocol}" (known protocols: ${protocols.map((p) => p.id).join(', ')})`);
  }
  const options = parseOptions(protocol, source.options, field);
  const venue = source.venue ?? protocol.venue;
  if (source.kind === 'evm') {
    if (!protocol.evm) throw new ConfigError(`${field}.kind: protocol "${protocol.id}" is not read from chain logs (its kinds: ${kindsOf(protocol)})`);
    const chain = config.chains[source.chain];
    if (!chain) throw new ConfigError(`${field}.chain: unknown chain "${source.chain}"`);
    const info: SourceInfo = {
      id: source.name,
      kind: 'evm',
      protocol: protocol.id,
      venue,
      chain: evmChainName(chain.chainId),
      chainId: chain.chainId,
      addresses: source.addresses.map((a) => a.toLowerCase() as Address),
      options,
    };
    let logFilter: LogFilter;
    try {
      logFilter = protocol.evm.logFilter(info);
    } catch (error) {
      throw new ConfigError(`${field}.options: ${(error as Error).message}`);
    }
    return { config: source, protocol, info, decoder: protocol.evm.decoder as Decoder<unknown>, logFilter };
  }
  if (source.kind === 'http') {
    if (!protocol.http) throw new ConfigError(`${field}.kind: protocol "${protocol.id}" is not read from an HTTP API (its kinds: ${kindsOf(protocol)})`);
    const info: SourceInfo = { id: source.name, kind: 'http', protocol: protocol.id, venue, chain: protocol.http.chain, chainId: null, addresses: [], options };
    return { config: source, protocol, info, decoder: protocol.http.decoder as Decoder<unknown> };
  }
  if (source.kind === 'subgraph') {
    if (!protocol.subgraph) throw new ConfigError(`${field}.kind: protocol "${protocol.id}" is not read from a subgraph (its kinds: ${kindsOf(protocol)})`);
    const chain = config.chains[source.chain];
    if (!chain) throw new ConfigError(`${field}.chain: unknown chain "${source.chain}" (a subgraph source names the chain its subgraph indexes)`);
    const info: SourceInfo = { id: source.name, kind: 'subgraph', protocol: protocol.id, venue, chain: evmChainName(chain.chainId), chainId: chain.chainId, addresses: [], options };
    try {
      // The protocol checks its options against what it reads from a subgraph (an entity it has not).
      if (protocol.subgraph.entities(info).length === 0) throw new Error('no entity to read');
    } catch (error) {
      throw new ConfigError(`${field}.options: ${(error as Error).message}`);
    }
    return { config: source, protocol, info, decoder: protocol.subgraph.decoder as Decoder<unknown> };
  }
  if (!protocol.files) throw new ConfigError(`${field}.kind: protocol "${protocol.id}" is not read from files (its kinds: ${kindsOf(protocol)})`);
  const info: SourceInfo = { id: source.name, kind: 'files', protocol: protocol.id, venue, chain: protocol.files.chain, chainId: null, addresses: [], options };
  return { config: source, protocol, info, decoder: protocol.files.decoder as Decoder<unknown> };
}

/** The source's options through its protocol's schema; an error names each bad key or path. */
function parseOptions(protocol: Protocol, options: Record<string, unknown>, field: string): Record<string, unknown> {
  const schema = protocol.options;
  const known = schema && 'shape' in schema ? Object.keys((schema as z.ZodObject).shape).sort() : [];
  const unknown = (key: string) => `${field}.options.${key}: unknown option for protocol "${protocol.id}" (its options: ${known.join(', ') || 'none'})`;
  if (!schema) {
    const key = Object.keys(options)[0];
    if (key !== undefined) throw new ConfigError(unknown(key));
    return options;
  }
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue: z.core.$ZodIssue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => unknown([...issue.path.map(String), key].join('.')))
      : [`${field}.options${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`],
  );
  throw new ConfigError(lines.join('\n'));
}

function kindsOf(protocol: Protocol): string {
  return (['evm', 'files', 'http', 'subgraph'] as const).filter((k) => protocol[k]).join(', ') || 'none';
}
