#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so that `npm ci && npx liqscope` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
