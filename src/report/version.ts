import { readFileSync } from 'node:fs';

/** liqscope's version from package.json, recorded in every report (reports must say what made them). */
export const REPORT_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
