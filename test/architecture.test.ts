import { describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';
import { REPO_ROOT } from './helpers/cli.ts';

/**
 * The rules in .dependency-cruiser.cjs, checked on every run: no import cycle, the engine imports no
 * protocol, protocols import only the contracts. A violation names the rule and the import.
 */
describe('architecture (dependency-cruiser)', () => {
  it('has no import cycle and no import across the engine/protocol boundary', async () => {
    const cwd = process.cwd();
    process.chdir(REPO_ROOT);
    try {
      const { createRequire } = await import('node:module');
      const options = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as Record<string, unknown>;
      const result = await cruise(['src'], { ...(options.options as object), validate: true, ruleSet: { forbidden: options.forbidden } } as never);
      const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: unknown[] }[] } };
      const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
      expect(violations).toEqual([]);
      // The check sees the code at all: it cruised the engine and every protocol folder.
      const modules = (result.output as { modules: { source: string }[] }).modules.map((m) => m.source);
      expect(modules).toEqual(expect.arrayContaining(['src/indexer/runner.ts', 'src/protocols/gmx-v2/decoder.ts', 'src/protocols/hyperliquid/decoder.ts']));
    } finally {
      process.chdir(cwd);
    }
  });
});

/**
 * The engine knows no venue by name either: no protocol's id or venue as a string literal outside the
 * protocol folders, the simulator and the composition root (src/cli). Comments may name venues; code
 * that branched on one (an ADL ranking table, a list of reference feeds) was venue knowledge in the engine.
 */
describe('architecture: no venue names in the engine', () => {
  const ENGINE = ['analytics', 'config', 'db', 'indexer', 'ops', 'pipeline', 'report', 'sources', 'util', 'verify'];
  /** Literals that are not a venue: an RPC provider's error message pattern (Hyperliquid's EVM RPC). */
  const NOT_A_VENUE = [/^src\/sources\/evm\/range-refusal\.ts: .*pattern: 'hyperliquid'/];

  it('names no venue in a string literal outside comments', async () => {
    const { PROTOCOLS } = await import('../src/cli/protocols.ts');
    // `raw` (logs stored undecoded) is no venue, and a column name besides.
    const names = [...new Set(PROTOCOLS.flatMap((p) => [p.id, p.venue]))].filter((n) => n !== 'raw');
    expect(names).toEqual(expect.arrayContaining(['hyperliquid', 'gmx-v2', 'chainlink']));
    const literal = new RegExp(`(['"\`])(${names.map((n) => n.replace(/[-.]/g, '\\$&')).join('|')})\\1`);
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join, relative } = await import('node:path');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              const code = line.trimStart();
              if (code.startsWith('*') || code.startsWith('/*') || code.startsWith('//')) return;
              const where = `${relative(REPO_ROOT, path)}: ${line.trim()}`;
              if (literal.test(code.replace(/\/\/.*$/, '')) && !NOT_A_VENUE.some((r) => r.test(where))) found.push(`${relative(REPO_ROOT, path)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    for (const folder of ENGINE) walk(join(REPO_ROOT, 'src', folder));
    expect(found).toEqual([]);
  });
});
