import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from the distribution's package (Debian: `apt-get install chromium`), driven by
 * playwright-core, which downloads nothing. LIQSCOPE_CHROMIUM names another binary.
 */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const INSTALL_CHROMIUM_HINT =
  'install Chromium from your distribution (Debian/Ubuntu: `sudo apt-get install chromium`) or set LIQSCOPE_CHROMIUM to a Chromium or Chrome binary';

/** The Chromium binary to use, or null when none is installed. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env.LIQSCOPE_CHROMIUM;
  if (explicit) return existsSync(explicit) ? explicit : null;
  return CHROMIUM_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError';
  constructor(explicit?: string) {
    super(explicit ? `LIQSCOPE_CHROMIUM=${explicit} does not exist; ${INSTALL_CHROMIUM_HINT}` : `no Chromium found (looked for ${CHROMIUM_CANDIDATES.join(', ')}); ${INSTALL_CHROMIUM_HINT}`);
  }
}

/**
 * Launch flags for a headless run on servers and CI: no sandbox (root in containers has none to give),
 * no GPU, and none of the background traffic a browser profile starts (updates, sync, field trials).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
  '--metrics-recording-only',
];

/**
 * Launches the browser. Playwright's launch() gives Chromium a fresh temporary profile
 * (user-data-dir) of its own and deletes it on close, so no run sees another's cookies or cache; it
 * refuses a --user-data-dir flag for that reason.
 */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<Browser> {
  const executablePath = findChromium(env);
  if (!executablePath) throw new ChromiumMissingError(env.LIQSCOPE_CHROMIUM);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}
