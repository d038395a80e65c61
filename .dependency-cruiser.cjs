/**
 * The shape of the code, checked by test/architecture.test.ts (dependency-cruiser):
 * - no import cycle;
 * - the engine (indexer, sources, pipeline contracts, store, analytics, reports) knows no venue: it never
 *   imports src/protocols; only the composition root (src/cli) and the simulator's demo wire protocols in;
 * - protocols import only the contracts (src/pipeline), the schema's row types and their shared helpers,
 *   never the engine;
 * - sources do not reach into the runner or the store beyond the schema.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: { path: '^src' }, to: { circular: true } },
    {
      name: 'engine-knows-no-protocol',
      severity: 'error',
      from: { path: '^src/(indexer|sources|pipeline|db|util|analytics|report|verify|config)/' },
      to: { path: '^src/protocols/' },
    },
    {
      name: 'protocols-import-only-contracts',
      severity: 'error',
      from: { path: '^src/protocols/' },
      to: { path: '^src/(indexer|sources|cli|sim|verify|analytics|report)/' },
    },
    {
      name: 'sources-do-not-import-the-runner',
      severity: 'error',
      from: { path: '^src/sources/' },
      to: { path: '^src/(indexer|cli|sim|verify)/' },
    },
    {
      name: 'pipeline-contracts-stand-alone',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(indexer|sources|cli|sim|verify|protocols)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
