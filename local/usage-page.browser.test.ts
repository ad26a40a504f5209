/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) opens /_usage of a
 * running local platform and reads what a person sees: the per-key table and the hourly chart.
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTempDirs, startPlatformProcess, tempDir, type PlatformProcess } from './testing/platform-process';

jest.setTimeout(120_000);

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let platform: PlatformProcess;
let browser: BrowserContext;
const sent = { acme: 7, globexOk: 3, globexBad: 1, noKey: 2 };

beforeAll(async () => {
  platform = await startPlatformProcess();
  const key = (id: string) => platform.keys.find((k) => k.id === id)!.value;
  for (let i = 0; i < sent.acme; i++) {
    expect((await fetch(`${platform.url}/example`, { headers: { 'x-api-key': key('acme') } })).status).toBe(200);
  }
  for (let i = 0; i < sent.globexOk; i++) {
    const res = await fetch(`${platform.url}/data`, {
      method: 'POST',
      headers: { 'x-api-key': key('globex'), 'content-type': 'application/json' },
      body: JSON.stringify({ i }),
    });
    expect(res.status).toBe(200);
  }
  const bad = await fetch(`${platform.url}/data`, { method: 'POST', headers: { 'x-api-key': key('globex'), 'content-type': 'text/plain' }, body: 'x' });
  expect(bad.status).toBe(415);
  for (let i = 0; i < sent.noKey; i++) expect((await fetch(`${platform.url}/example`)).status).toBe(403);
  // A fresh profile: the test never reads or writes the user's browser state.
  browser = await chromium.launchPersistentContext(tempDir('chromium-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
});

afterAll(async () => {
  await browser?.close();
  if (platform !== undefined) expect(await platform.stop('SIGTERM')).toBe(0);
  removeTempDirs();
});

test('/_usage shows the per-key numbers and draws the hourly chart', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${platform.url}/_usage?refresh=1`);
  expect(response?.status()).toBe(200);

  const cell = (key: string, field: string) => page.locator(`tr[data-key="${key}"] [data-field="${field}"]`).innerText();
  expect(await cell('acme', 'requests')).toBe(String(sent.acme));
  expect(await cell('acme', 'rejected')).toBe('0');
  expect(await cell('acme', 'quota')).toBe('10,000');
  expect(await cell('globex', 'requests')).toBe(String(sent.globexOk));
  expect(await cell('globex', 'rejected')).toBe(String(sent.globexBad));
  expect(await cell('globex', 'quota')).toBe('100');
  expect(await cell('globex', 'quotaUsedPercent')).toBe(`${((100 * sent.globexOk) / 100).toFixed(1)} %`);
  expect(await page.locator('[data-field="unattributed"]').innerText()).toBe(String(sent.noKey));
  expect(Number(await page.locator('tr[data-key="acme"] [data-field="bytesOut"]').getAttribute('data-bytes'))).toBeGreaterThan(sent.acme * 200);

  // The chart: one stacked segment per key with billable requests, sized in proportion.
  const bars = page.locator('#hourly-chart rect.hour-bar');
  const segments = await bars.evaluateAll((rects) =>
    rects.map((r) => ({
      key: r.getAttribute('data-key'),
      requests: Number(r.getAttribute('data-requests')),
      height: (r as unknown as { getBBox(): { height: number } }).getBBox().height,
    })),
  );
  const byKey = (k: string) => segments.filter((s) => s.key === k);
  expect(byKey('acme').reduce((s, b) => s + b.requests, 0)).toBe(sent.acme);
  expect(byKey('globex').reduce((s, b) => s + b.requests, 0)).toBe(sent.globexOk);
  for (const s of segments) expect(s.height).toBeGreaterThan(0);
  if (segments.length === 2) {
    // Same hour: heights are proportional to the counts.
    const [a, g] = [byKey('acme')[0], byKey('globex')[0]];
    expect(a.height / g.height).toBeCloseTo(sent.acme / sent.globexOk, 1);
  }
  // Kept after the test (not a tempDir) so the screenshot can be looked at.
  const shot = join(mkdtempSync(join(tmpdir(), 'usage-page-')), 'usage.png');
  await page.screenshot({ path: shot, fullPage: true });
  process.stderr.write(`screenshot of /_usage: ${shot}\n`);
});
