import type { PricesConfig } from '../../config/types';
import { hourlyChart, last24Hours, quotaColor, renderUsagePage, type UsageSnapshot } from './usage-page';

const prices: PricesConfig = {
  currency: 'USD',
  plans: {
    flat: {
      requests: { mode: 'graduated', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] },
      gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
    },
  },
};
const snapshot: UsageSnapshot = {
  usage: {
    month: '2026-11',
    keys: [
      {
        id: 'acme',
        name: 'Acme <script>alert(1)</script>',
        requests: 2_000_000,
        rejected: 3,
        errors: 1,
        bytesOut: 5e9,
        bytesIn: 0,
        quota: 1_000_000,
        quotaUsedPercent: 200,
      },
      { id: 'globex', name: 'Globex', requests: 0, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 100, quotaUsedPercent: 0 },
    ],
    unattributed: { requests: 12 },
    totalRequests: 2_000_016,
  },
  hours: [
    { hour: '2026-11-28T02', requestsByKey: { acme: 300 } },
    { hour: '2026-11-28T03', requestsByKey: { acme: 100, globex: 50 } },
    { hour: '2026-11-20T00', requestsByKey: { acme: 999 } }, // older than 24 hours: not drawn
  ],
  computedAt: '2026-11-28T03:30:00.000Z',
  logRecords: 2_000_016,
  logRoot: '/tmp/x',
  quotaThresholds: [50, 80, 100],
  plans: { acme: 'flat', globex: 'retired' },
};

test('the table: numbers, the invoice amount so far, an over-quota bar capped at full width, names escaped', () => {
  const html = renderUsagePage(snapshot, 5, prices);
  expect(html).toContain('<td class="num" data-field="requests">2,000,000</td>');
  expect(html).toContain('<td class="num" data-field="amount">1000.45</td>'); // 2,000 x 0.5 + 5 GB x 0.09
  expect(html).toMatch(/data-key="globex"[\s\S]*data-field="amount">no price</);
  expect(html).toContain('<th>Amount (USD)</th>');
  expect(html).toContain('style="width:100.0%;background:#dc2626"');
  expect(html).toContain('data-field="quotaUsedPercent">200.0 %');
  expect(html).toContain('data-field="unattributed">12<');
  expect(html).not.toContain('<script>');
  expect(html).toContain('Acme &#60;script&#62;alert(1)&#60;/script&#62;');
  expect(html).toContain('<link rel="icon" href="data:,">'); // no favicon request would be billed as API traffic
});

test('the configured quota thresholds: listed, marked on each bar, reached ones named per key, and they set the colours', () => {
  const html = renderUsagePage(snapshot, 5, prices);
  expect(html).toContain('Quota thresholds: 50 %, 80 %, 100 %');
  expect(html.match(/class="mark" data-threshold="80"/g)).toHaveLength(2);
  expect(html).toMatch(/data-key="acme"[\s\S]*data-field="thresholdsReached">50 %, 80 %, 100 %</);
  expect(html).toMatch(/data-key="globex"[\s\S]*data-field="thresholdsReached">—</);
  expect([10, 50, 79.9, 80, 100].map((p) => quotaColor(p, [50, 80, 100]))).toEqual(['#16a34a', '#d97706', '#d97706', '#d97706', '#dc2626']);
  expect([10, 60, 99].map((p) => quotaColor(p, [60]))).toEqual(['#16a34a', '#dc2626', '#dc2626']);
});

test('the chart: 24 hourly slots ending at the current hour, stacked bars in proportion', () => {
  expect(last24Hours('2026-11-28T03')).toHaveLength(24);
  expect(last24Hours('2026-11-28T03')[0]).toBe('2026-11-27T04');
  const svg = hourlyChart(snapshot.hours, ['acme', 'globex'], '2026-11-28T03');
  const bars = [...svg.matchAll(/data-hour="([^"]+)" data-key="([^"]+)" data-requests="(\d+)"[^>]* height="([\d.]+)"/g)].map((m) => ({
    hour: m[1],
    key: m[2],
    requests: Number(m[3]),
    height: Number(m[4]),
  }));
  expect(bars.map((b) => `${b.hour} ${b.key} ${b.requests}`)).toEqual(['2026-11-28T02 acme 300', '2026-11-28T03 acme 100', '2026-11-28T03 globex 50']);
  expect(bars[0].height / bars[1].height).toBeCloseTo(3, 1);
  expect(bars[1].height / bars[2].height).toBeCloseTo(2, 1);
  expect(hourlyChart([], ['acme'], '2026-11-28T03')).toContain('no billable requests in the last 24 hours');
});

test('before the first usage run the page says so', () => {
  expect(renderUsagePage(undefined, 5, prices)).toContain('has not finished its first run yet');
});
