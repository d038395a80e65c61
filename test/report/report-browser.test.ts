import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { LiqscopeDb } from '../../src/db/connect.ts';
import { findChromium, launchChromium, mainCascadeId, writeReport, type WrittenReport } from '../../src/report/index.ts';
import { SERIES_PALETTE } from '../../src/report/charts/palette.ts';
import { openPgliteTestDb } from '../helpers/db.ts';
import { REPO_ROOT } from '../helpers/cli.ts';
import { loadAnalysedScenario } from './scenario-db.ts';

/** Screenshots and the PDF's page images are kept here for a person to look at (gitignored). */
const ARTIFACTS = join(REPO_ROOT, '.liqscope', 'test-artifacts', 'report');
const chromium = findChromium();
const pdftotext = ['/usr/bin/pdftotext'].find((p) => existsSync(p));
const skipReason = !chromium
  ? 'no Chromium at /usr/bin/chromium (install it: apt-get install chromium; .ci/run does so when it is missing)'
  : null;
if (skipReason) console.warn(`report browser test skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('the HTML report in headless Chromium, and its PDF (oct-10-2025, main cascade)', () => {
  let handle: LiqscopeDb;
  let browser: Browser;
  let written: WrittenReport;
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-report-browser-'));

  beforeAll(async () => {
    handle = await openPgliteTestDb();
    await loadAnalysedScenario(handle, 'oct-10-2025');
    const cascadeId = await mainCascadeId(handle.db);
    expect(cascadeId).not.toBeNull();
    written = await writeReport(handle.db, { cascadeId: cascadeId!, outDir: dir });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens offline with no console or page error, and every chart has drawn marks', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const requests: string[] = [];
    // block every request the page makes except the file itself: the report must need none
    await context.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const htmlPath = join(dir, 'report.html');
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);

    // Per chart: shapes in a series colour (not the axes' greys) that lie inside the plot area and have an area or a length.
    const palette = SERIES_PALETTE.map((c) => c.toLowerCase());
    const charts = await page.$$eval('div.chart', (divs, colours) =>
      divs.map((div) => {
        const [left, top, width, height] = (div.getAttribute('data-plot') ?? '').split(',').map(Number) as [number, number, number, number];
        const svg = div.querySelector('svg')!;
        const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
        const origin = svg.getBoundingClientRect();
        let marks = 0;
        const shapes = svg.querySelectorAll('path, rect, circle, polyline');
        for (let i = 0; i < shapes.length; i++) {
          const el = shapes[i]!;
          const colour = `${el.getAttribute('fill') ?? ''} ${el.getAttribute('stroke') ?? ''}`.toLowerCase();
          if (!colours.some((c) => colour.includes(c))) continue;
          const box = el.getBoundingClientRect();
          if (box.width === 0 && box.height === 0) continue;
          const x = (box.left + box.width / 2 - origin.left) / scale;
          const y = (box.top + box.height / 2 - origin.top) / scale;
          if (x >= left - 1 && x <= left + width + 1 && y >= top - 1 && y <= top + height + 1) marks++;
        }
        return { figure: div.getAttribute('data-figure'), series: Number(div.getAttribute('data-series')), marks };
      }), palette);
    const ids = charts.map((c) => c.figure);
    for (const expected of ['liquidations.per-second', 'liquidations.cumulative-notional', 'adl.per-second', 'oracle.deviation']) expect(ids).toContain(expected);
    expect(ids.some((id) => id?.startsWith('microstructure.price-path.'))).toBe(true);
    for (const chart of charts) expect(chart.marks, `${chart.figure}: marks drawn in the plot`).toBeGreaterThanOrEqual(chart.series);

    await page.screenshot({ path: join(ARTIFACTS, 'report-oct-10.png'), fullPage: false });
    await page.locator('#liquidations\\.per-second').screenshot({ path: join(ARTIFACTS, 'liquidations-per-second.png') });
    expect(existsSync(join(ARTIFACTS, 'report-oct-10.png'))).toBe(true);
    await context.close();
  });

  it('the PDF has one section start per page break and the sections in order, and says what the HTML says', () => {
    expect(written.skipped).toEqual([]);
    const pdf = join(dir, 'report.pdf');
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    // Page count from the PDF's own objects (one /Type /Page per page), independent of any tool.
    const pages = [...bytes.toString('latin1').matchAll(/\/Type\s*\/Page(?![a-zA-Z])/g)].length;
    const sections = written.report.sections;
    // every section after the first starts a page; long sections take more than one
    expect(pages).toBeGreaterThanOrEqual(sections.length);
    expect(pages).toBeLessThan(sections.length * 8);
    if (!pdftotext) {
      console.warn('report PDF text not checked: pdftotext (Debian poppler-utils) is not installed');
      return;
    }
    const pageText = (n: number) => execFileSync(pdftotext, ['-layout', '-f', String(n), '-l', String(n), pdf, '-'], { encoding: 'utf8' });
    // the footer prints "n / N" on every page
    expect(pageText(pages)).toContain(`${pages} / ${pages}`);
    let page = 1;
    for (const [i, section] of sections.entries()) {
      const heading = `${i + 1}. ${section.title}`;
      while (page <= pages && !pageText(page).includes(heading)) page++;
      expect(page, `section "${heading}" found in order`).toBeLessThanOrEqual(pages);
      // a section's heading opens its page (the first section follows the title)
      if (i > 0) expect(pageText(page).trimStart().startsWith(heading), `"${heading}" opens page ${page}`).toBe(true);
    }
    const all = execFileSync(pdftotext, [pdf, '-'], { encoding: 'utf8' });
    expect(all).toContain(written.report.title);
    expect(all).toContain('select'); // the SQL under the figures
  });
});
