import type { Command } from 'commander';
import { sql } from 'kysely';
import { analyze, AnalyzeRequestError } from '../../analytics/analyze.ts';
import { analysisContextOf } from '../../pipeline/protocol.ts';
import { formatRows } from '../format-rows.ts';
import { CliError, type CliContext } from '../context.ts';
import { PROTOCOLS } from '../protocols.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A time on the command line: ISO 8601 (`2025-10-10T21:15:00Z`, `2025-10-10 21:15`, `2025-10-10`; a
 * time without a zone is UTC, as every time in the store) or unix seconds.
 */
export function parseTime(value: string, flag: string): Date {
  const text = value.trim();
  let date: Date;
  if (/^\d{9,11}(\.\d+)?$/.test(text)) date = new Date(Number(text) * 1000);
  else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) {
    let iso = text.replace(' ', 'T');
    if (!iso.includes('T')) iso += 'T00:00:00';
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) iso += 'Z';
    date = new Date(iso);
  } else date = new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new CliError(`analyze: ${flag} "${value}" is not a time (ISO 8601 such as 2025-10-10T21:15:00Z, a date, or unix seconds)`, 2);
  }
  return date;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('analyze')
    .description('find liquidation cascades, their stages, ADL waves, depth and Hawkes figures, and oracle-driven liquidation errors in a range of the store; results replace that range\'s (one transaction)')
    .option('--from <time>', 'start of the range (ISO 8601 or unix seconds; default: the first stored event)')
    .option('--to <time>', 'end of the range, exclusive (default: just after the last stored event)')
    .option('--venue <venue>', 'only this venue (repeatable)', collect)
    .option('--asset <asset>', 'only this asset, e.g. BTC (repeatable)', collect)
    .option('--step <step>', 'only this step: cascades, adl, … (repeatable)', collect)
    .option('-f, --format <format>', 'table | json', 'table')
    .action(async (opts: { from?: string; to?: string; venue?: string[]; asset?: string[]; step?: string[]; format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw new CliError(`analyze: unknown --format "${opts.format}" (expected table or json)`, 2);
      const from = opts.from === undefined ? undefined : parseTime(opts.from, '--from');
      const to = opts.to === undefined ? undefined : parseTime(opts.to, '--to');
      const { config } = await context.loadConfig();
      const handle = await context.openDb();
      try {
        let summary;
        try {
          summary = await analyze(handle.db, config, {
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(opts.venue ? { venues: opts.venue } : {}),
            ...(opts.asset ? { assets: opts.asset } : {}),
            ...(opts.step ? { steps: opts.step } : {}),
            // the venues' margin rules, for the oracle step's counterfactuals (the engine imports no protocol)
            context: analysisContextOf(PROTOCOLS),
          });
        } catch (error) {
          if (error instanceof AnalyzeRequestError) throw new CliError(error.message, 2);
          throw error;
        }
        if (summary.runId === null) {
          process.stdout.write(opts.format === 'json' ? `${JSON.stringify({ runId: null, message: 'nothing to analyze' })}\n` : 'nothing to analyze: the store has no liquidations, ADL events, oracle prices or trade bars in the selected venues and assets\n');
          return;
        }
        const { rows } = await sql<Record<string, unknown>>`
          select c.cascade_id, c.start_time, c.end_time, c.liquidations, round(c.liquidated_usd, 0) as liquidated_usd, c.adl_fills,
                 array_to_string(c.venues, ',') as venues, round(c.max_drawdown_pct::numeric, 2) as max_drawdown_pct,
                 round(c.hawkes_n::numeric, 3) as hawkes_n,
                 (select string_agg(stage, ',' order by start_time) from cascade_stages s where s.cascade_id = c.cascade_id) as stages
            from cascades c where c.run_id = ${summary.runId} order by c.start_time`.execute(handle.db);
        const { rows: waves } = await sql<Record<string, unknown>>`
          select venue, count(*)::integer as waves, sum(fills)::integer as fills, round(sum(notional_usd), 0) as notional_usd,
                 round(sum(needed_budget_usd), 2) as needed_budget_usd
            from adl_waves where run_id = ${summary.runId} group by venue order by venue`.execute(handle.db);
        const { rows: oracle } = await sql<Record<string, unknown>>`
          select venue, count(*)::integer as checked,
                 count(*) filter (where verdict = 'erroneous')::integer as erroneous,
                 count(*) filter (where verdict = 'borderline')::integer as borderline,
                 count(*) filter (where verdict = 'justified')::integer as justified,
                 count(*) filter (where verdict = 'unknown')::integer as unknown,
                 round(coalesce(sum(dollars_lost_usd) filter (where verdict = 'erroneous'), 0), 2) as dollars_lost_usd
            from liquidation_oracle_checks where run_id = ${summary.runId} group by venue order by venue`.execute(handle.db);
        if (opts.format === 'json') {
          process.stdout.write(`${JSON.stringify({ ...summary, cascades: rows, adlWaves: waves, oracleChecks: oracle }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`run ${summary.runId}: ${summary.from!.toISOString()} – ${summary.to!.toISOString()} (scope ${summary.scope}), ${summary.seconds.toFixed(1)} s\n`);
        process.stdout.write(`cascades: ${rows.length}\n`);
        if (rows.length > 0) process.stdout.write(formatRows(rows, Object.keys(rows[0]!), 'table'));
        process.stdout.write(`ADL waves: ${waves.length === 0 ? 'none' : ''}\n`);
        if (waves.length > 0) process.stdout.write(formatRows(waves, Object.keys(waves[0]!), 'table'));
        process.stdout.write(`oracle checks: ${oracle.length === 0 ? 'none' : ''}\n`);
        if (oracle.length > 0) process.stdout.write(formatRows(oracle, Object.keys(oracle[0]!), 'table'));
      } finally {
        await handle.close();
      }
    });
}
