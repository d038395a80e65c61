import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { logger, redactText } from '../logger.ts';
import { createCliContext, CliError, type CliContext, type GlobalOptions } from './context.ts';
import * as migrateCommand from './commands/migrate.ts';
import * as sqlCommand from './commands/sql.ts';
import * as dbCommand from './commands/db.ts';
import * as initCommand from './commands/init.ts';
import * as demoCommand from './commands/demo.ts';
import * as simCommand from './commands/sim.ts';
import * as indexCommand from './commands/index-command.ts';
import * as redecodeCommand from './commands/redecode.ts';
import * as benchCommand from './commands/bench.ts';

/** A command module: adds its subcommand(s) to the program. */
export interface CommandModule {
  register(program: Command, context: CliContext): void;
}

/** Every command of the CLI, in help order. Add a new command's module here. */
const COMMANDS: CommandModule[] = [
  demoCommand,
  simCommand,
  initCommand,
  migrateCommand,
  sqlCommand,
  dbCommand,
  indexCommand,
  redecodeCommand,
  benchCommand,
];

export function buildProgram(): Command {
  const program = new Command('liqscope')
    .description('Explains liquidation cascades on perpetual DEXs: indexes liquidations, ADL and oracle prices into Postgres.')
    .option('-c, --config <file>', 'configuration file (default: liqscope.config.ts or liqscope.config.json)')
    .option('-d, --database <url|dir>', 'postgres:// URL, memory://, or embedded database directory (default: config, DATABASE_URL, .liqscope/db)')
    .showHelpAfterError()
    .exitOverride();
  const context = createCliContext(() => program.opts<GlobalOptions>());
  for (const command of COMMANDS) command.register(program, context);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Entry point of bin/liqscope.mjs. Exit codes: 0 ok, 1 failure, 2 usage error, others per command. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed the usage message; help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`liqscope: ${redactText(error.message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
  // One clear line for people and cron logs; the stack only when asked for (LIQSCOPE_LOG_LEVEL=debug).
  logger.debug({ err: error }, 'command failed');
  process.stderr.write(`liqscope: ${redactText(error instanceof Error ? error.message : String(error))}\n`);
  return 1;
}
