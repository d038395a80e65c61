import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.ts';
import { EmbeddedDirectoryBusyError } from '../db/embedded-owner.ts';
import { logger, redactText } from '../logger.ts';
import { createCliContext, CliError, type CliContext, type GlobalOptions } from './context.ts';
/** A command module: adds its subcommand(s) to the program. */
export interface CommandModule {
  register(program: Command, context: CliContext): void;
}

/**
 * Every command of the CLI, in help order, by the name it is invoked with. Modules load only when
 * their command runs: loading all fourteen cost every invocation about 8 s of CPU on a loaded 2-core
 * machine (the report and demo modules alone 4.5 s, with ECharts and the simulator), which every
 * scheduled `liqscope index` and every CLI test paid. Add a new command here.
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<CommandModule> }> = [
  { name: 'demo', load: () => import('./commands/demo.ts') },
  { name: 'sim', load: () => import('./commands/sim.ts') },
  { name: 'init', load: () => import('./commands/init.ts') },
  { name: 'migrate', load: () => import('./commands/migrate.ts') },
  { name: 'sql', load: () => import('./commands/sql.ts') },
  { name: 'db', load: () => import('./commands/db.ts') },
  { name: 'index', load: () => import('./commands/index-command.ts') },
  { name: 'run', load: () => import('./commands/run.ts') },
  { name: 'import', load: () => import('./commands/import.ts') },
  { name: 'analyze', load: () => import('./commands/analyze.ts') },
  { name: 'redecode', load: () => import('./commands/redecode.ts') },
  { name: 'verify', load: () => import('./commands/verify.ts') },
  { name: 'report', load: () => import('./commands/report.ts') },
  { name: 'bench', load: () => import('./commands/bench.ts') },
];

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-c', '--config', '-d', '--database']);

/** The command word of `argv` (node, script, …): the first word that is neither a global option nor its value. */
function invokedCommand(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i]!;
    if (GLOBAL_OPTIONS_WITH_VALUE.has(word)) i++;
    else if (!word.startsWith('-')) return word;
  }
  return undefined;
}

/**
 * The program with the commands `argv` needs: the invoked command's alone, or every command when
 * none is named or the name is unknown (help and "unknown command" list them all).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('liqscope')
    .description('Explains liquidation cascades on perpetual DEXs: indexes liquidations, ADL and oracle prices into Postgres.')
    .option('-c, --config <file>', 'configuration file (default: liqscope.config.ts or liqscope.config.json)')
    .option('-d, --database <url|dir>', 'postgres:// URL, memory://, or embedded database directory (default: config, DATABASE_URL, .liqscope/db)')
    .showHelpAfterError()
    .exitOverride();
  const context = createCliContext(() => program.opts<GlobalOptions>());
  const name = invokedCommand(argv);
  const wanted = COMMANDS.filter((command) => command.name === name);
  for (const command of wanted.length > 0 ? wanted : COMMANDS) (await command.load()).register(program, context);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * EX_TEMPFAIL: another process has what this one needs (a source's lock, the embedded directory); a
 * scheduler simply tries again later.
 */
export const EXIT_TEMPFAIL = 75;

/**
 * Entry point of bin/liqscope.mjs. Exit codes: 0 ok, 1 failure, 2 usage error, 75 another process has
 * the embedded directory open or holds a source's lock, others per command.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) logger.debug({ err: error }, 'command failed');
    process.exitCode = exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed the usage message; help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof EmbeddedDirectoryBusyError) {
    process.stderr.write(`liqscope: ${redactText(error.message)}\n`);
    return EXIT_TEMPFAIL;
  }
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`liqscope: ${redactText(error.message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
  // One clear line for people and cron logs; the stack only when asked for (LIQSCOPE_LOG_LEVEL=debug, above).
  process.stderr.write(`liqscope: ${redactText(error instanceof Error ? error.message : String(error))}\n`);
  return 1;
}
