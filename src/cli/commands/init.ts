import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.ts';
import { PRESETS, presetConfig } from '../../protocols/presets.ts';
import { CliError, type CliContext } from '../context.ts';

/**
 * `liqscope init --preset <name> [--force] [--out file]`: writes a working liqscope.config.json with the
 * protocol's real addresses and start blocks. Refuses to overwrite an existing file without --force.
 */
export function register(program: Command, _context: CliContext): void {
  program
    .command('init')
    .description('write a liqscope.config.json for a supported protocol and chain')
    .option('-p, --preset <name>', `one of: ${Object.keys(PRESETS).join(', ')}`)
    .option('-o, --out <file>', 'file to write', 'liqscope.config.json')
    .option('-f, --force', 'overwrite an existing file')
    .option('--list', 'list the presets')
    .action(async (opts: { preset?: string; out: string; force?: boolean; list?: boolean }) => {
      if (opts.list) {
        for (const [name, preset] of Object.entries(PRESETS)) process.stdout.write(`${name.padEnd(24)} ${preset.description}\n`);
        return;
      }
      if (!opts.preset) throw new CliError(`init: --preset is required (one of ${Object.keys(PRESETS).join(', ')})`, 2);
      if (!PRESETS[opts.preset]) throw new CliError(`init: unknown preset "${opts.preset}" (available: ${Object.keys(PRESETS).join(', ')})`, 2);
      const config = presetConfig(opts.preset);
      // The file must be one the loader accepts; a failure here is a bug in the preset, not user input.
      configSchema.parse(config);
      const path = resolve(opts.out);
      if (!opts.force && (await exists(path))) {
        throw new CliError(`init: ${opts.out} already exists; use --force to overwrite it`, 1);
      }
      await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
      const envs = [...new Set(Object.values(config.chains ?? {}).flatMap((c) => c.rpc.map((url) => url.replace(/^\$\{(.*)\}$/, "$1"))))];
      process.stdout.write(`wrote ${opts.out} (preset ${opts.preset}); set ${envs.join(', ')} before running liqscope\n`);
    });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
