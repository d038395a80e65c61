import type { Command } from 'commander';
import { migrateDown, migrateToLatest, migrationStatus } from '../../db/migrate.ts';
import { CliError, type CliContext } from '../context.ts';

export function register(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('apply (up), undo the newest (down) or list (status) schema migrations')
    .argument('[action]', 'up | down | status', 'up')
    .action(async (action: string) => {
      if (!['up', 'down', 'status'].includes(action)) {
        throw new CliError(`migrate: unknown action "${action}" (expected up, down or status)`, 2);
      }
      const handle = await context.openDb({ migrate: false, access: action === 'status' ? 'read' : 'write' });
      try {
        if (action === 'up') {
          const { results = [] } = await migrateToLatest(handle.db);
          const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
          process.stdout.write(applied.length ? `applied ${applied.join(', ')} on ${handle.location}\n` : `schema up to date on ${handle.location}\n`);
        } else if (action === 'down') {
          const { results = [] } = await migrateDown(handle.db);
          const undone = results.map((r) => r.migrationName);
          process.stdout.write(undone.length ? `undid ${undone.join(', ')} on ${handle.location}\n` : 'nothing to undo\n');
        } else {
          for (const m of await migrationStatus(handle.db)) {
            process.stdout.write(`${m.executedAt ? 'applied ' : 'pending '} ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}\n`);
          }
        }
      } finally {
        await handle.close();
      }
    });
}
