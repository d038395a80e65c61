// Entry of the eth_getLogs fetch worker (logs-worker.ts). A worker thread does not inherit the TypeScript
// loader registered in the main thread (bin/liqscope.mjs), so it registers tsx's own before loading the
// TypeScript module. Plain JavaScript because nothing can compile this file before it runs.
import { register } from 'tsx/esm/api';

register();
await import('./logs-worker.ts');
