// Entry of a files source's decode worker (decode-worker.ts). A worker thread does not inherit the
// TypeScript loader registered in the main thread (bin/liqscope.mjs), so it registers tsx's own before
// loading the TypeScript module. Plain JavaScript because nothing can compile this file before it runs.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
