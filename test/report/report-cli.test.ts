import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { runCli } from '../helpers/cli.ts';
import { parseFormats, parseReportTime } from '../../src/cli/commands/report.ts';

/** The CLI itself: usage errors exit 2 with one clear line; no Chromium means no PDF, with how to install it. */
describe('liqscope report (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liqscope-report-cli-'));
  const db = join(dir, 'db');

  beforeAll(async () => {
    const handle = await openDatabase({ path: db });
    await migrateToLatest(handle.db);
    await handle.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown cascade id exits 2 and names it', async () => {
    const run = await runCli(['report', '--database', db, '--cascade', 'C-2025-10-10T21:15:03.127Z', '--out', join(dir, 'r1')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('liqscope: report: unknown cascade id "C-2025-10-10T21:15:03.127Z"; the database has none (run `liqscope analyze`)');
    expect(existsSync(join(dir, 'r1', 'report.md'))).toBe(false);
  });

  it('times and formats are checked as a user types them', () => {
    expect(parseReportTime('--from', '2025-10-10').toISOString()).toBe('2025-10-10T00:00:00.000Z');
    expect(parseReportTime('--from', '2025-10-10T21:15').toISOString()).toBe('2025-10-10T21:15:00.000Z');
    expect(parseReportTime('--to', '2025-10-10 23:15:03.5+02:00').toISOString()).toBe('2025-10-10T21:15:03.500Z');
    expect(() => parseReportTime('--from', 'yesterday')).toThrow('report: --from must be an ISO 8601 time such as 2025-10-10T21:15:00Z, got "yesterday"');
    expect(() => parseReportTime('--to', '2025-02-30')).toThrow('report: --to is not a valid time: "2025-02-30"');
    expect(parseFormats('md, PDF')).toEqual(['md', 'pdf']);
    expect(() => parseFormats('md,docx')).toThrow('report: --format takes a comma-separated list of md, html, json, pdf; unknown: docx');
  });

  it('an empty range writes the short report; without Chromium the PDF is skipped with how to install it, the rest is written', async () => {
    const out = join(dir, 'r3');
    const run = await runCli(['report', '--database', db, '--from', '2025-10-10', '--to', '2025-10-11', '--out', out, '--format', 'md,json,pdf'], {
      env: { LIQSCOPE_CHROMIUM: join(dir, 'no-such-chromium') },
    });
    expect(run.stdout).toContain(`report (no liquidation or ADL in scope: short form) written to ${out}`);
    expect(run.stderr).toContain(`liqscope: report: pdf not written: LIQSCOPE_CHROMIUM=${join(dir, 'no-such-chromium')} does not exist; install Chromium from your distribution (Debian/Ubuntu: \`sudo apt-get install chromium\`)`);
    // asked for explicitly, a missing PDF fails the command; the other formats are there
    expect(run.code).toBe(1);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('No liquidation and no ADL fill between 2025-10-10 00:00:00.000 and 2025-10-11 00:00:00.000 UTC');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({ empty: true, scope: { cascadeId: null, from: '2025-10-10T00:00:00.000Z', to: '2025-10-11T00:00:00.000Z' } });
    expect(existsSync(join(out, 'report.pdf'))).toBe(false);
    expect(existsSync(join(out, 'report.html'))).toBe(false);
  });
});
