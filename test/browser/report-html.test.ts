import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../functions/render/html.js';
import { loadTemplates } from '../../functions/render/templates.js';
import { buildViewModel } from '../../functions/render/view-model.js';
import { sampleReportWithAccess } from '../support/sample-access.js';
import { HOSTILE, NON_LATIN, SAMPLE_BRANDING } from '../support/sample-report.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** A 1×1 PNG, so the logo's data: URL is exercised too. */
/** A user name that reads "admin" when its right-to-left override is passed to the page raw. */
const REVERSED_ADMIN = '\u202Enimda';
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** The few browser globals the checks read; the project compiles without the DOM library. */
type InPage = { document: { querySelectorAll(selector: string): { length: number } }; __xss?: unknown };

let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  const templates = await loadTemplates();
  // The sample day with access evidence in operator mode (a report without it is the HTML unit tests' case).
  const report = sampleReportWithAccess();
  report.connections.byUser[2]!.user = REVERSED_ADMIN;
  const vm = buildViewModel(report, {
    branding: { ...SAMPLE_BRANDING, logoPng: TINY_PNG },
    maxRows: 100,
    signed: true,
    archiveLocation: 's3://evidence/sox/daily/2026/11/24/',
  });
  const html = renderReportHtml(vm, templates);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  page.on('request', (req) => requests.push(req.url()));
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.setContent(html, { waitUntil: 'load' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('report.html in Chromium', () => {
  it('loads without console errors and fetches nothing', () => {
    const dataUrls = requests.filter((url) => url.startsWith('data:'));
    const fetched = requests.filter((url) => !url.startsWith('data:') && url !== 'about:blank');
    if (dataUrls.length > 0) console.info(`data: URLs loaded (not fetches): ${dataUrls.length}`);
    expect(consoleErrors).toEqual([]);
    expect(fetched).toEqual([]);
  });

  it('runs no script: none in the document, no dialog (alert), no injected global', async () => {
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).document.querySelectorAll('script').length),
    ).toBe(0);
    expect(
      await page.evaluate(
        () => (globalThis as unknown as InPage).document.querySelectorAll('[onerror], [onload], [onclick]').length,
      ),
    ).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__xss)).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('shows the key figures, the overall status and non-Latin names', async () => {
    const connections = page.locator('.figure', { hasText: 'Connections' });
    await expect(connections.locator('.figure-value').textContent()).resolves.toBe('42');
    await expect(page.locator('.overall .badge').textContent()).resolves.toBe('FAIL');
    expect(await page.getByText(NON_LATIN.greek).first().isVisible()).toBe(true);
    expect(await page.getByText(NON_LATIN.cyrillic).first().isVisible()).toBe(true);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('NATS SOX control report');
    expect(
      await page.locator('img.logo').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(1);
  });

  it('shows hostile names as text', async () => {
    expect(await page.getByText(HOSTILE.template).count()).toBeGreaterThan(0);
    expect(await page.getByText(HOSTILE.script, { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.locator('img:not(.logo)').count()).toBe(0);
  });

  it('shows a bidi override as its escape: the user "\\u202Enimda" does not read as "admin"', async () => {
    const cell = page.locator('td', { hasText: 'nimda' });
    expect(await cell.count()).toBe(1);
    // innerText, not textContent: what a person sees, after the browser applied the text's direction.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point of this test
    expect(await cell.innerText()).toBe('\\u202Enimda');
    expect(await page.locator('td', { hasText: /^admin$/ }).count()).toBe(0);
  });

  it('shows the Access review: in the contents, changes first, the marks, names beside keys', async () => {
    const section = page.locator('#section-access-review');
    expect(await section.locator('h2').textContent()).toBe('Access review');
    expect(await section.isVisible()).toBe(true);
    expect(await page.locator('nav.contents a[href="#section-access-review"]').textContent()).toBe('Access review');
    const tables = await section.locator('table caption').allTextContents();
    expect(tables[0]).toBe('Changes since the previous daily report (4 rows)');
    const changes = section.locator('#table-access-changes tbody tr');
    expect(await changes.count()).toBe(4);
    expect(await changes.first().locator('td').allTextContents()).toEqual([
      'configuration reloaded',
      'server hub-1',
      'server hub-1 reloaded its configuration',
      '2026-11-24 10:30:00.000000000 -05:00',
      'sha256:0c9d5e7a3f21 → sha256:4f2a9c0e1b7d',
    ]);
    expect(await section.locator('#table-access-reporting-user .badge-read-only').allTextContents()).toEqual([
      'READ-ONLY',
    ]);
    const admins = section.locator('#table-access-users tbody tr', { has: page.locator('.badge-admin') });
    expect(await admins.count()).toBe(2);
    expect(await admins.first().locator('td').nth(1).textContent()).toBe('ops-admin (UVEW…)');
    expect(await admins.first().locator('.badge-admin').textContent()).toBe('ADMIN');
  });

  it('shows hostile names in the Access review as text, a bidi override as its escape', async () => {
    const section = page.locator('#section-access-review');
    const script = section.locator('#table-access-users td', { hasText: `${HOSTILE.script} (UYCS…)` });
    expect(await script.count()).toBe(1);
    const reversed = section.locator('td', { hasText: 'toor' });
    expect(await reversed.count()).toBe(1);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point of this test
    expect(await reversed.innerText()).toBe('\\u202Etoor (U2HT…)');
    expect(await section.locator('td', { hasText: /^root/ }).count()).toBe(0);
  });

  it('keeps every table within the page width (long tokens wrap)', async () => {
    const overflow = await page.evaluate(() => {
      const root = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('renders a full-page screenshot for a human to look at', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'report-html.png');
    await page.screenshot({ path: file, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-html-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  });
});
