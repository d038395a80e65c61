import type { Command } from 'commander';
import { SourceLockedError } from '../../indexer/source-lock.ts';
import { registerUrlSecrets } from '../../secrets.ts';
import { verifyLogsAgainstChain, VerifyRequestError, type LogsReference } from '../../verify/logs-against-chain.ts';
import { logsReport, renderReport } from '../../verify/report.ts';
import { verifyRowsAcrossSources } from '../../verify/rows-across-sources.ts';
import { rowsReport } from '../../verify/rows-report.ts';
import { CliError, type CliContext } from '../context.ts';
import { PROTOCOLS } from '../protocols.ts';

/** Discrepancies were found (and, with --repair, repaired): a scheduled job should alert. */
export const EXIT_DISCREPANCIES = 3;
const EXIT_USAGE = 2;
/** EX_TEMPFAIL, as `index`: another run holds the source's lock. */
const EXIT_LOCKED = 75;

interface VerifyOptions {
  source?: string;
  venue?: string;
  from?: string;
  to?: string;
  against?: string;
  repair?: boolean;
  format: string;
}

function blockNumber(option: string, value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`verify: ${option} must be a block number, got "${value}"`, EXIT_USAGE);
  return BigInt(value);
}

/** An instant for --from/--to with --venue: ISO 8601 with a zone (`2025-10-10T21:00:00Z`), or a UTC date (`2025-10-10`). */
function instant(option: string, value: string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(date) ? Date.parse(date) : NaN;
  if (Number.isNaN(ms)) throw new CliError(`verify: ${option} must be a time with its zone (2025-10-10T21:00:00Z) or a UTC date (2025-10-10), got "${value}"`, EXIT_USAGE);
  return new Date(ms);
}

function reference(value: string | undefined): LogsReference {
  if (value === undefined) throw new CliError('verify: --against is required with --source (rpc:URL or receipts)', EXIT_USAGE);
  if (value === 'receipts') return { kind: 'receipts' };
  if (value.startsWith('rpc:')) {
    const url = value.slice('rpc:'.length);
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    // Never echo the value: the URL may carry a key.
    if (protocol !== 'http:' && protocol !== 'https:') throw new CliError('verify: --against rpc: needs an http(s) URL after "rpc:"', EXIT_USAGE);
    // From here on, any text that leaves the process has the URL's key replaced, wherever it appears.
    registerUrlSecrets(url);
    return { kind: 'rpc', url };
  }
  throw new CliError('verify: --against must be rpc:URL (a second provider) or receipts (eth_getBlockReceipts from the configured RPC)', EXIT_USAGE);
}

export function register(program: Command, context: CliContext): void {
  program
    .command('verify')
    .description(
      "compare a source's stored logs with a second view of the chain: report missing, extra and changed logs per block, " +
        'and with --repair store what is missing; or, with --venue, the rows a venue\'s chain sources and subgraph sources stored: ' +
        'rows missing on either side and values that differ (exit 0 clean, 3 discrepancies found, 1 failed, 2 usage error, 75 source locked)',
    )
    .option('--source <name>', 'the EVM source whose raw logs to check')
    .option('--venue <name>', 'the venue whose chain-indexed rows to compare with its subgraph rows')
    .option('--from <block|time>', "first block (--source; default: the source's startBlock) or time (--venue, inclusive; default: the beginning)")
    .option('--to <block|time>', 'last block (--source; default: the last block the source indexed) or time (--venue, exclusive; default: now)')
    .option('--against <rpc:URL|receipts>', "a second provider's eth_getLogs, or eth_getBlockReceipts from the configured RPC")
    .option('--repair', "store the missing logs, delete the extra ones and rebuild the source's facts, in one transaction")
    .option('--format <table|json>', 'output format', 'table')
    .action(async (opts: VerifyOptions) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw new CliError(`verify: --format must be table or json, got "${opts.format}"`, EXIT_USAGE);
      if (opts.source !== undefined && opts.venue !== undefined) throw new CliError('verify: --source and --venue are two different checks: give one', EXIT_USAGE);
      if (opts.venue !== undefined) return verifyVenue(context, { ...opts, venue: opts.venue, format: opts.format });
      if (opts.source === undefined) {
        throw new CliError(
          "verify: say what to check: --source NAME (its raw logs against the chain) or --venue NAME (its chain rows against its subgraph rows)",
          EXIT_USAGE,
        );
      }
      const against = reference(opts.against);
      const from = blockNumber('--from', opts.from);
      const to = blockNumber('--to', opts.to);
      const { config } = await context.loadConfig();
      const handle = await context.openDb();
      try {
        const verification = await verifyLogsAgainstChain(handle.db, config, {
          protocols: PROTOCOLS,
          source: opts.source,
          against,
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          repair: opts.repair ?? false,
          dbKind: handle.kind,
        });
        const report = logsReport(verification);
        process.stdout.write(renderReport(report, opts.format));
        if (report.discrepancies > 0) {
          throw new CliError(`verify: ${report.summary.replace(/^.*stored: /, '')} in blocks ${verification.from}–${verification.to} of source ${verification.source}${verification.repair ? ' (repaired)' : ''}`, EXIT_DISCREPANCIES);
        }
      } catch (error) {
        if (error instanceof VerifyRequestError) throw new CliError(`verify: ${error.message}`, EXIT_USAGE);
        if (error instanceof SourceLockedError) throw new CliError(error.message, EXIT_LOCKED);
        throw error;
      } finally {
        await handle.close();
      }
    });
}

/**
 * `verify --venue V [--from T] [--to T]`: the rows venue V's chain sources and subgraph sources stored
 * for [from, to), compared (src/verify/rows-across-sources.ts). Exit 3 when anything is missing on either
 * side or differs, so that a scheduled job can alert on it.
 */
async function verifyVenue(context: CliContext, opts: VerifyOptions & { venue: string; format: 'table' | 'json' }): Promise<void> {
  if (opts.against !== undefined || opts.repair) throw new CliError('verify --venue: --against and --repair belong to --source (raw logs against the chain)', EXIT_USAGE);
  const from = instant('--from', opts.from, new Date(0));
  const to = instant('--to', opts.to, new Date());
  if (!(from.getTime() < to.getTime())) throw new CliError(`verify: --from (${from.toISOString()}) must be before --to (${to.toISOString()})`, EXIT_USAGE);
  const { config } = await context.loadConfig();
  const handle = await context.openDb({ access: 'read' });
  try {
    const verification = await verifyRowsAcrossSources(handle.db, config, { venue: opts.venue, from, to, protocols: PROTOCOLS });
    const report = rowsReport(verification);
    process.stdout.write(renderReport(report, opts.format));
    if (report.discrepancies > 0) throw new CliError(`verify: venue ${opts.venue}: ${report.summary.replace(/^.*in both: /, '')}`, EXIT_DISCREPANCIES);
  } catch (error) {
    if (error instanceof VerifyRequestError) throw new CliError(`verify: ${error.message}`, EXIT_USAGE);
    throw error;
  } finally {
    await handle.close();
  }
}
