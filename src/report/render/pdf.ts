import { pathToFileURL } from 'node:url';
import { launchChromium } from './chromium.ts';

/**
 * Prints the report's HTML file to PDF with headless Chromium (A4, backgrounds, the print style
 * sheet's page breaks). The page is loaded from the file with every network request refused: the
 * HTML needs none, and a PDF must not depend on one.
 */
export async function printPdf(htmlPath: string, pdfPath: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ offline: true });
    await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: pdfPath, format: 'A4', printBackground: true, preferCSSPageSize: true, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: FOOTER });
  } finally {
    await browser.close();
  }
}

/** Page numbers in the footer (Chromium fills the pageNumber/totalPages spans). */
const FOOTER = `<div style="font-size:8px;width:100%;text-align:center;color:#777"><span class="pageNumber"></span> / <span class="totalPages"></span></div>`;
