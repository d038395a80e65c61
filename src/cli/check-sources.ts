import type { LiqscopeConfig } from '../config/schema.ts';
import { planSources, UnknownSourceError } from '../indexer/plan-sources.ts';
import { CliError } from './context.ts';
import { PROTOCOLS } from './protocols.ts';

/**
 * Resolves and checks the sources a command will run (see planSources). An unknown `--source` is a
 * usage error (exit 2) naming the configured sources; anything else wrong is the config's (exit 1).
 */
export function checkSources(command: string, config: LiqscopeConfig, path: string | null, names: string[] | undefined): void {
  try {
    planSources(config, PROTOCOLS, { origin: path ?? '(defaults)', ...(names ? { sources: names } : {}) });
  } catch (error) {
    if (error instanceof UnknownSourceError) throw new CliError(`${command} --source: ${error.message}`, 2);
    throw error;
  }
}
